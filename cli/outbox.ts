// `fixops outbox`: look at and retry the remediation outbox from outside the operator (the same SQL the
// fixops.io/retry annotation runs). Needs only the database.
import { Command } from "commander";
import type pg from "pg";
import { createLogger } from "../operator/logger.js";
import { retryDead } from "../outbox/store.js";
import { createPool, inTransaction } from "../store/pool.js";

async function withPool<T>(url: string | undefined, fn: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const databaseUrl = url ?? process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error("no database: pass --database-url or set DATABASE_URL");
  const pool = createPool(databaseUrl, 2, createLogger(process.env.FIXOPS_LOG_LEVEL ?? "warn", process.stderr), "fixops-outbox");
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

export function registerOutbox(program: Command): void {
  const outbox = program.command("outbox").description("Inspect and retry the remediation outbox");
  outbox
    .command("dead")
    .description("List dead-lettered outbox rows of a namespace, with their last error")
    .requiredOption("-n, --namespace <namespace>", "namespace (tenant)")
    .option("--database-url <url>", "PostgreSQL URL; env DATABASE_URL")
    .action(async (o: { namespace: string; databaseUrl?: string }) => {
      const rows = await withPool(o.databaseUrl, async (pool) =>
        (
          await pool.query<{ task: string; integration: string; operation: string; attempts: number; last_error: string | null }>(
            "SELECT task, integration, operation, attempts, last_error FROM outbox WHERE namespace = $1 AND status = 'dead' ORDER BY task, integration, id",
            [o.namespace],
          )
        ).rows,
      );
      if (!rows.length) process.stdout.write(`no dead letters in namespace ${o.namespace}\n`);
      for (const r of rows) process.stdout.write(`${r.task}\t${r.integration}\t${r.operation}\tattempts=${r.attempts}\t${r.last_error ?? ""}\n`);
    });
  outbox
    .command("retry")
    .description("Put dead-lettered rows back in the queue with a fresh attempt budget (the leader's worker picks them up)")
    .requiredOption("-n, --namespace <namespace>", "namespace (tenant)")
    .option("-t, --task <name>", "only this RemediationTask")
    .option("--database-url <url>", "PostgreSQL URL; env DATABASE_URL")
    .action(async (o: { namespace: string; task?: string; databaseUrl?: string }) => {
      const n = await withPool(o.databaseUrl, (pool) =>
        inTransaction(pool, async (c) => {
          const count = await retryDead(c, o.namespace, o.task);
          if (count > 0) {
            await c.query("INSERT INTO audit_events (namespace, kind, name, action, actor, details) VALUES ($1, 'RemediationTask', $2, 'retry-dead-letters', 'fixops-cli', $3)", [
              o.namespace,
              o.task ?? "*",
              JSON.stringify({ requeued: count }),
            ]);
          }
          return count;
        }),
      );
      process.stdout.write(`requeued ${n} dead letter${n === 1 ? "" : "s"} in namespace ${o.namespace}${o.task ? ` for task ${o.task}` : ""}\n`);
    });
}
