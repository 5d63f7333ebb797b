// Feed snapshots in PostgreSQL (table feed_snapshots, migration 1): one row per feed and version, with
// the source it came from and the raw bytes compressed, so every replica (and an auditor) can load
// exactly the data a decision named.
import { gunzipSync, gzipSync } from "node:zlib";
import type pg from "pg";
import type { FeedName } from "../engine/index.js";

export interface StoredFeedHead {
  version: string;
  fetchedAt: Date;
  entries: number;
}

/** Saves a snapshot; saving a version again marks it as the newest fetch from that source. */
export async function saveFeedSnapshot(pool: pg.Pool, feed: FeedName, version: string, source: string, entries: number, bytes: Buffer, now: Date): Promise<void> {
  const gz = bytes[0] === 0x1f && bytes[1] === 0x8b ? bytes : gzipSync(bytes);
  await pool.query(
    `INSERT INTO feed_snapshots (feed, version, fetched_at, source, entries, body_gzip) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (feed, version) DO UPDATE SET fetched_at = EXCLUDED.fetched_at, source = EXCLUDED.source, entries = EXCLUDED.entries, body_gzip = EXCLUDED.body_gzip`,
    [feed, version, now, source, entries, gz],
  );
}

/** The newest snapshot of a feed fetched from `source`, without its body. */
export async function latestFeedHead(pool: pg.Pool, feed: FeedName, source: string): Promise<StoredFeedHead | null> {
  const r = await pool.query<{ version: string; fetched_at: Date; entries: string }>(
    "SELECT version, fetched_at, entries FROM feed_snapshots WHERE feed = $1 AND source = $2 ORDER BY fetched_at DESC LIMIT 1",
    [feed, source],
  );
  const row = r.rows[0];
  return row ? { version: row.version, fetchedAt: row.fetched_at, entries: Number(row.entries) } : null;
}

/** The bytes of one stored snapshot (decompressed), or null. */
export async function loadFeedBody(pool: pg.Pool, feed: FeedName, version: string): Promise<Buffer | null> {
  const r = await pool.query<{ body_gzip: Buffer }>("SELECT body_gzip FROM feed_snapshots WHERE feed = $1 AND version = $2", [feed, version]);
  return r.rows[0] ? gunzipSync(r.rows[0].body_gzip) : null;
}
