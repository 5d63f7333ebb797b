import pg from "pg";
import type { Logger } from "../operator/logger.js";

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export function createPool(url: string, size: number, log: Logger, applicationName = "fixops"): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: size, application_name: applicationName, connectionTimeoutMillis: 10_000 });
  // An idle client losing its connection must not crash the process.
  pool.on("error", (err) => log.warn({ err: err.message }, "idle PostgreSQL client error"));
  return pool;
}

/** Run fn in one transaction; rolls back on any error. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const out = await fn(client);
    await client.query("COMMIT");
    return out;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
