import type { Command } from "commander";
import { registerMigrate } from "./migrate.js";
import { registerOperator } from "./operator.js";
import { registerEvaluate } from "./evaluate.js";
import { registerImport } from "./import.js";
import { registerOutbox } from "./outbox.js";
import { registerPush } from "./push.js";

/** Every sub-command registers itself here (one line each). */
export function registerCommands(program: Command): void {
  registerOperator(program);
  registerMigrate(program);
  registerEvaluate(program);
  registerImport(program);
  registerOutbox(program);
  registerPush(program);
}
