// Applies MIGRATIONS in order under a PostgreSQL advisory lock, so two replicas (or `fixops migrate`
// and a starting operator) never migrate at the same time; the second waits, then finds nothing to do.
import { createHash } from "node:crypto";
import type pg from "pg";
import type { Logger } from "../operator/logger.js";
import { MIGRATIONS, type Migration } from "./migrations.js";

/** Arbitrary but fixed: the advisory lock id for schema migrations ("fixops" in ASCII). */
export const MIGRATION_LOCK_ID = 0x6669786f7073;

const checksum = (m: Migration) => createHash("sha256").update(m.sql).digest("hex");

export interface MigrateResult {
  applied: number[];
  current: number;
}

export async function migrate(pool: pg.Pool, log: Logger, migrations: Migration[] = MIGRATIONS): Promise<MigrateResult> {
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_ID]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version    integer PRIMARY KEY,
        name       text NOT NULL,
        checksum   text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const { rows } = await client.query<{ version: number; checksum: string; name: string }>(
        "SELECT version, checksum, name FROM schema_migrations ORDER BY version",
      );
      const done = new Map(rows.map((r) => [r.version, r]));
      const known = new Set(migrations.map((m) => m.version));
      for (const r of rows) {
        if (!known.has(r.version)) {
          throw new Error(`database has migration ${r.version} (${r.name}) that this version of FixOps does not know: refusing to run an older binary against a newer schema`);
        }
      }
      const applied: number[] = [];
      for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
        const prev = done.get(m.version);
        if (prev) {
          if (prev.checksum !== checksum(m)) throw new Error(`migration ${m.version} (${m.name}) was changed after it was applied`);
          continue;
        }
        await client.query("BEGIN");
        try {
          await client.query(m.sql);
          await client.query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", [m.version, m.name, checksum(m)]);
          await client.query("COMMIT");
        } catch (err) {
          await client.query("ROLLBACK").catch(() => {});
          throw new Error(`migration ${m.version} (${m.name}) failed: ${err instanceof Error ? err.message : String(err)}`);
        }
        applied.push(m.version);
        log.info({ version: m.version, name: m.name }, "applied migration");
      }
      const current = Math.max(0, ...migrations.map((m) => m.version));
      return { applied, current };
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_ID]).catch(() => {});
    }
  } finally {
    client.release();
  }
}
