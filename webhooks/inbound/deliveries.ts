// The durable side of inbound webhooks (table inbound_deliveries, migration 3). Recording a delivery is
// the replay check: its primary key is (namespace, integration, delivery id), so a replay is refused on
// every replica and after restarts. Unprocessed rows are the queue the leader applies (claimed with a
// lease, like the outbox, so a crashed processor's rows come back).
import type pg from "pg";
import type { InboundEvent } from "./parse.js";

export interface DeliveryRecord {
  namespace: string;
  integration: string;
  deliveryId: string;
  provider: string;
  /** Absent for deliveries that are recorded only against replays (ignored events). */
  event?: InboundEvent;
  selfInflicted: boolean;
  /** Set for deliveries that need no processing (recorded already processed with this outcome). */
  outcome?: string;
}

/** True when the delivery is new (and now recorded); false for a replay of an id already recorded. */
export async function recordDelivery(db: pg.Pool, d: DeliveryRecord): Promise<boolean> {
  const r = await db.query(
    `INSERT INTO inbound_deliveries (namespace, integration, delivery_id, provider, ticket_ref, category, self_inflicted, event, processed_at, outcome)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $9::text IS NULL THEN NULL ELSE now() END, $9)
     ON CONFLICT DO NOTHING`,
    [d.namespace, d.integration, d.deliveryId, d.provider, d.event?.ticketKey ?? null, d.event?.category ?? null, d.selfInflicted, JSON.stringify(d.event ?? {}), d.outcome ?? null],
  );
  return (r.rowCount ?? 0) > 0;
}

export interface PendingDelivery {
  namespace: string;
  integration: string;
  delivery_id: string;
  provider: string;
  self_inflicted: boolean;
  event: InboundEvent;
  attempts: number;
}

/** Claims up to `limit` unprocessed deliveries, oldest first, for `leaseMs`. */
export async function claimDeliveries(db: pg.Pool, limit: number, leaseMs: number, namespace?: string): Promise<PendingDelivery[]> {
  const r = await db.query<PendingDelivery>(
    `UPDATE inbound_deliveries d SET claimed_until = now() + ($2::bigint * interval '1 millisecond'), attempts = d.attempts + 1
      FROM (SELECT namespace, integration, delivery_id FROM inbound_deliveries
             WHERE processed_at IS NULL AND (claimed_until IS NULL OR claimed_until < now()) AND ($3::text IS NULL OR namespace = $3)
             ORDER BY received_at LIMIT $1 FOR UPDATE SKIP LOCKED) p
     WHERE d.namespace = p.namespace AND d.integration = p.integration AND d.delivery_id = p.delivery_id
     RETURNING d.namespace, d.integration, d.delivery_id, d.provider, d.self_inflicted, d.event, d.attempts, d.received_at`,
    [limit, leaseMs, namespace ?? null],
  );
  // RETURNING has no ORDER BY: apply in the order the ALM sent them.
  return (r.rows as (PendingDelivery & { received_at: Date })[]).sort((a, b) => a.received_at.getTime() - b.received_at.getTime());
}

export async function finishDelivery(db: pg.Pool, d: Pick<PendingDelivery, "namespace" | "integration" | "delivery_id">, outcome: string): Promise<void> {
  await db.query(`UPDATE inbound_deliveries SET processed_at = now(), claimed_until = NULL, outcome = $4 WHERE namespace = $1 AND integration = $2 AND delivery_id = $3`, [
    d.namespace,
    d.integration,
    d.delivery_id,
    outcome.length > 500 ? `${outcome.slice(0, 497)}...` : outcome,
  ]);
}
