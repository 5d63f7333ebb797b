#!/usr/bin/env node
// The `fixops` command line. Each sub-command lives in its own module and is registered here; the
// operator itself is `fixops operator`.
import { Command } from "commander";
import { registerCommands } from "./commands.js";

const program = new Command("fixops")
  .description("FixOps: security scanner output in, enforced decisions and tracked work out")
  .version("0.1.0")
  .showHelpAfterError();

registerCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`fixops: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
