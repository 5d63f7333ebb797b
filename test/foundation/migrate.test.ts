// Migrations against a real PostgreSQL: fresh, repeated, and two processes at once.
import { afterAll, describe, expect, it } from "@jest/globals";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { createLogger } from "../../operator/logger.js";
import { migrate } from "../../store/migrate.js";
import { MIGRATIONS } from "../../store/migrations.js";
import { createPool } from "../../store/pool.js";
import { ROOT, createDatabase } from "../harness/env.js";

const run = promisify(execFile);
const pools: pg.Pool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
});
const log = createLogger("silent");
const latest = Math.max(...MIGRATIONS.map((m) => m.version));

async function appliedVersions(url: string): Promise<number[]> {
  const c = new pg.Client(url);
  await c.connect();
  try {
    return (await c.query<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version")).rows.map((r) => r.version);
  } finally {
    await c.end();
  }
}

describe("migrations", () => {
  it("migrates a fresh database, and a second run does nothing", async () => {
    const url = await createDatabase("mig_fresh");
    const pool = createPool(url, 2, log);
    pools.push(pool);
    const first = await migrate(pool, log);
    expect(first.applied).toEqual(MIGRATIONS.map((m) => m.version));
    expect(first.current).toBe(latest);
    const tables = await pool.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
    expect(tables.rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(["audit_events", "reports", "scan_findings", "feed_snapshots"]));
    const second = await migrate(pool, log);
    expect(second.applied).toEqual([]);
    expect(await appliedVersions(url)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it("is safe when two `fixops migrate` processes start at the same moment", async () => {
    const url = await createDatabase("mig_race");
    const cli = (n: number) =>
      run(process.execPath, ["--import", "tsx", join(ROOT, "cli", "main.ts"), "migrate", "--database-url", url], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, FIXOPS_LOG_LEVEL: "silent", N: String(n) },
      });
    const [a, b] = await Promise.all([cli(1), cli(2)]);
    const outputs = [a.stdout, b.stdout].sort();
    expect(outputs[0]).toMatch(/^applied migrations 1.*; schema version \d+\n$/);
    expect(outputs[1]).toBe(`schema is current (version ${latest})\n`);
    expect(await appliedVersions(url)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it("refuses a migration that was edited after it was applied", async () => {
    const url = await createDatabase("mig_edit");
    const pool = createPool(url, 2, log);
    pools.push(pool);
    await migrate(pool, log);
    const edited = MIGRATIONS.map((m) => (m.version === 1 ? { ...m, sql: `${m.sql}\n-- edited` } : m));
    await expect(migrate(pool, log, edited)).rejects.toThrow(/migration 1 \(ledger\) was changed after it was applied/);
  });
});
