import { Command } from "commander";
import { createLogger } from "../operator/logger.js";
import { createPool } from "../store/pool.js";
import { migrate } from "../store/migrate.js";

export function registerMigrate(program: Command): void {
  program
    .command("migrate")
    .description("Apply the database schema migrations (safe to run concurrently and repeatedly)")
    .option("--database-url <url>", "PostgreSQL URL; env DATABASE_URL")
    .action(async (opts: { databaseUrl?: string }) => {
      const url = opts.databaseUrl ?? process.env.DATABASE_URL;
      if (!url) throw new Error("no database: pass --database-url or set DATABASE_URL");
      const log = createLogger(process.env.FIXOPS_LOG_LEVEL ?? "info", process.stderr);
      const pool = createPool(url, 2, log, "fixops-migrate");
      try {
        const r = await migrate(pool, log);
        process.stdout.write(
          r.applied.length ? `applied migrations ${r.applied.join(", ")}; schema version ${r.current}\n` : `schema is current (version ${r.current})\n`,
        );
      } finally {
        await pool.end();
      }
    });
}
