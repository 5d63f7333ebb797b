// The outbox table and the ticket links it produces. Rows are written by the RemediationTask ledger in
// the same transaction as the task change that caused them (see enqueue, which takes the caller's
// client); the worker claims due rows with FOR UPDATE SKIP LOCKED and a lease, so two workers never
// hold the same row and a crashed worker's rows come back when its lease runs out.
import { createHash } from "node:crypto";
import type pg from "pg";
import { z } from "zod";
import type { Block, TargetState, Ticket, TicketDraft } from "../connectors/types.js";
import { inTransaction } from "../store/pool.js";

export type Operation = "create" | "set_state" | "comment";
export type OutboxStatus = "pending" | "delivered" | "dead";

export const CreatePayload = z.object({
  title: z.string().min(1),
  description: z.array(z.custom<Block>((v) => typeof v === "object" && v !== null && "kind" in v)),
  severity: z.enum(["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"]),
  labels: z.array(z.string()).optional(),
  dueDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
});
export type CreatePayload = z.infer<typeof CreatePayload>;
export const SetStatePayload = z.object({ target: z.enum(["open", "done"]), comment: z.string().optional() });
export const CommentPayload = z.object({ text: z.string().min(1) });

export type OutboxPayload =
  | { operation: "create"; payload: CreatePayload }
  | { operation: "set_state"; payload: z.infer<typeof SetStatePayload> }
  | { operation: "comment"; payload: z.infer<typeof CommentPayload> };

export interface OutboxRow {
  id: string;
  namespace: string;
  task: string;
  integration: string;
  operation: Operation;
  payload: unknown;
  idempotency_key: string;
  status: OutboxStatus;
  attempts: number;
  created_at: Date;
  last_error: string | null;
}

export interface TicketLink {
  namespace: string;
  task: string;
  integration: string;
  ticket_ref: string;
  ticket_key: string;
  url: string;
  state: string;
  category: string;
  synced_at: Date;
}

/**
 * The key written into the ticket (label / correlation_id / tag). For the create row it depends only on
 * (namespace, task, integration): whatever happens, a task has one key per ALM, and the lookup before
 * create finds a ticket an earlier, interrupted attempt made.
 */
export function idempotencyKeyFor(namespace: string, task: string, integration: string, discriminator = "create"): string {
  const h = createHash("sha256").update(`${namespace}\u0000${task}\u0000${integration}\u0000${discriminator}`).digest("hex");
  return `t-${h.slice(0, 32)}`;
}

/** Queue work for an ALM inside the caller's transaction. A create is queued at most once per (task, integration). */
export async function enqueue(
  client: pg.PoolClient,
  row: { namespace: string; task: string; integration: string; discriminator?: string } & OutboxPayload,
): Promise<boolean> {
  const key = idempotencyKeyFor(row.namespace, row.task, row.integration, row.operation === "create" ? "create" : `${row.operation}:${row.discriminator ?? ""}`);
  const r = await client.query(
    `INSERT INTO outbox (namespace, task, integration, operation, payload, idempotency_key) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
    [row.namespace, row.task, row.integration, row.operation, JSON.stringify(row.payload), key],
  );
  return (r.rowCount ?? 0) > 0;
}

export interface ClaimOptions {
  limit: number;
  leaseMs: number;
  /** Only rows of this namespace (an operator that watches one namespace). */
  namespace?: string;
  /** `namespace/integration` pairs not to claim now (saturated, rate limited, circuit open). */
  exclude: string[];
  /** Rows this worker is still delivering. */
  skipIds?: string[];
  /** How many more rows of `namespace/integration` may be claimed now (its free slots). */
  quota?: (key: string) => number;
}

/**
 * Claims up to `limit` due rows, at most `quota(key)` per integration, so a backlog of one ALM cannot take
 * the slots of the others. Candidates are locked with FOR UPDATE SKIP LOCKED (another worker skips them),
 * the chosen ones get a lease, and the locks end with the transaction: a claimed row is then protected by
 * its lease alone, so no transaction stays open across ALM calls.
 */
export async function claim(pool: pg.Pool, o: ClaimOptions): Promise<OutboxRow[]> {
  if (o.limit <= 0) return [];
  return inTransaction(pool, async (c) => {
    const candidates = await c.query<OutboxRow>(
      `SELECT id::text, namespace, task, integration, operation, payload, idempotency_key, status, attempts, created_at, last_error FROM outbox
        WHERE status = 'pending' AND next_attempt_at <= now() AND (claimed_until IS NULL OR claimed_until < now())
          AND ($2::text IS NULL OR namespace = $2)
          AND NOT ((namespace || '/' || integration) = ANY($3::text[]))
          AND NOT (id = ANY($4::bigint[]))
        ORDER BY next_attempt_at, id
        LIMIT $1
        FOR UPDATE SKIP LOCKED`,
      [Math.min(o.limit * 4, 1000), o.namespace ?? null, o.exclude, o.skipIds ?? []],
    );
    const left = new Map<string, number>();
    const chosen: OutboxRow[] = [];
    for (const r of candidates.rows) {
      if (chosen.length >= o.limit) break;
      const key = `${r.namespace}/${r.integration}`;
      const q = left.get(key) ?? o.quota?.(key) ?? Infinity;
      if (q <= 0) continue;
      left.set(key, q - 1);
      chosen.push(r);
    }
    if (chosen.length) {
      await c.query(`UPDATE outbox SET claimed_until = now() + ($2::bigint * interval '1 millisecond') WHERE id = ANY($1::bigint[])`, [chosen.map((r) => r.id), o.leaseMs]);
    }
    return chosen;
  });
}

export function parseCreate(row: OutboxRow): TicketDraft {
  const p = CreatePayload.parse(row.payload);
  return { ...p, idempotencyKey: row.idempotency_key } as TicketDraft;
}
export function parseSetState(row: OutboxRow): { target: TargetState; comment?: string } {
  const p = SetStatePayload.parse(row.payload);
  return { target: p.target, ...(p.comment ? { comment: p.comment } : {}) };
}
export function parseComment(row: OutboxRow): string {
  return CommentPayload.parse(row.payload).text;
}

/** Delivered: record the ticket (create / set_state) and close the row, in one transaction. */
export async function markDelivered(pool: pg.Pool, row: OutboxRow, ticket?: Ticket): Promise<void> {
  await inTransaction(pool, async (c) => {
    if (ticket) {
      await c.query(
        `INSERT INTO ticket_links (namespace, task, integration, ticket_ref, ticket_key, url, state, category, idempotency_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (namespace, task, integration) DO UPDATE
           SET ticket_ref = EXCLUDED.ticket_ref, ticket_key = EXCLUDED.ticket_key, url = EXCLUDED.url,
               state = EXCLUDED.state, category = EXCLUDED.category, synced_at = now()`,
        [row.namespace, row.task, row.integration, ticket.ref, ticket.key, ticket.url, ticket.state, ticket.category, row.operation === "create" ? row.idempotency_key : idempotencyKeyFor(row.namespace, row.task, row.integration)],
      );
    }
    await c.query(`UPDATE outbox SET status = 'delivered', delivered_at = now(), claimed_until = NULL, last_error = NULL WHERE id = $1`, [row.id]);
  });
}

/** Not attempted (rate limit, open circuit, waiting for the create): back in the queue, attempts unchanged. */
export async function defer(pool: pg.Pool, id: string, delayMs: number, note?: string): Promise<void> {
  await pool.query(
    `UPDATE outbox SET next_attempt_at = now() + ($2::bigint * interval '1 millisecond'), claimed_until = NULL, last_error = COALESCE($3, last_error) WHERE id = $1 AND status = 'pending'`,
    [id, Math.max(0, Math.round(delayMs)), note ?? null],
  );
}

/** A failed attempt: retry after `delayMs`, or dead-letter it. */
export async function markFailed(pool: pg.Pool, id: string, error: string, next: { dead: true } | { dead: false; delayMs: number }): Promise<void> {
  const msg = error.length > 1024 ? `${error.slice(0, 1021)}...` : error;
  if (next.dead) {
    await pool.query(`UPDATE outbox SET status = 'dead', attempts = attempts + 1, last_error = $2, claimed_until = NULL WHERE id = $1`, [id, msg]);
  } else {
    await pool.query(
      `UPDATE outbox SET attempts = attempts + 1, last_error = $2, claimed_until = NULL, next_attempt_at = now() + ($3::bigint * interval '1 millisecond') WHERE id = $1`,
      [id, msg, Math.max(0, Math.round(next.delayMs))],
    );
  }
}

/** Put dead letters back in the queue with a fresh attempt budget; returns how many. */
export async function retryDead(pool: pg.Pool | pg.PoolClient, namespace: string, task?: string): Promise<number> {
  const r = await pool.query(
    `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = now(), claimed_until = NULL
      WHERE status = 'dead' AND namespace = $1 AND ($2::text IS NULL OR task = $2)`,
    [namespace, task ?? null],
  );
  return r.rowCount ?? 0;
}

export async function ticketLink(pool: pg.Pool, namespace: string, task: string, integration: string): Promise<TicketLink | undefined> {
  const r = await pool.query<TicketLink>(`SELECT * FROM ticket_links WHERE namespace = $1 AND task = $2 AND integration = $3`, [namespace, task, integration]);
  return r.rows[0];
}

/** Is the create row for (task, integration) dead? (A set_state waiting for it would wait forever.) */
export async function createIsDead(pool: pg.Pool, namespace: string, task: string, integration: string): Promise<boolean> {
  const r = await pool.query(`SELECT 1 FROM outbox WHERE namespace = $1 AND task = $2 AND integration = $3 AND operation = 'create' AND status = 'dead'`, [namespace, task, integration]);
  return (r.rowCount ?? 0) > 0;
}

export interface DeliveryView {
  integration: string;
  link?: TicketLink;
  /** Last error of the newest undelivered row (pending with an error, or dead). */
  lastError?: string;
  dead: boolean;
}

/** Per integration of one task: its ticket and its outbox trouble, for the task's status. */
export async function deliveriesOf(db: pg.Pool | pg.PoolClient, namespace: string, task: string): Promise<DeliveryView[]> {
  const links = await db.query<TicketLink>(`SELECT * FROM ticket_links WHERE namespace = $1 AND task = $2`, [namespace, task]);
  const trouble = await db.query<{ integration: string; status: string; last_error: string | null }>(
    `SELECT DISTINCT ON (integration) integration, status, last_error FROM outbox
      WHERE namespace = $1 AND task = $2 AND status <> 'delivered' ORDER BY integration, (status = 'dead') DESC, id DESC`,
    [namespace, task],
  );
  const out = new Map<string, DeliveryView>();
  for (const l of links.rows) out.set(l.integration, { integration: l.integration, link: l, dead: false });
  for (const t of trouble.rows) {
    const v = out.get(t.integration) ?? { integration: t.integration, dead: false };
    v.dead = t.status === "dead";
    if (t.last_error) v.lastError = t.last_error;
    out.set(t.integration, v);
  }
  return [...out.values()].sort((a, b) => a.integration.localeCompare(b.integration));
}
