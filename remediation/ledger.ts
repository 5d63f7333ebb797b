// The RemediationTask ledger in PostgreSQL: the task row (authority for the state), its transitions in
// audit_events, and the outbox rows each change causes — always in the same transaction, so an ALM is
// told about exactly the changes that were committed.
import type pg from "pg";
import type { Severity, TaskState } from "../api/v1alpha1/index.js";
import { enqueue, retryDead, type OutboxPayload } from "../outbox/store.js";
import { inTransaction } from "../store/pool.js";
import { checkTransition, type PlannedTransition, type Sla } from "./lifecycle.js";

export const AUDIT_KIND = "RemediationTask";

export interface LedgerRow {
  namespace: string;
  name: string;
  cluster_key: string;
  severity: Severity;
  state: TaskState;
  sla_due_at: Date | null;
  sla_source: string | null;
  sla_breached_at: Date | null;
  retry_token: string | null;
  created_at: Date;
  resolved_at: Date | null;
}

export interface OutboxWork {
  integration: string;
  work: OutboxPayload;
}

export interface NewTask {
  namespace: string;
  name: string;
  uid?: string;
  clusterKey: string;
  severity: Severity;
  sla: Sla;
}

/**
 * The task's ledger row, created on first sight together with a create row per integration. Creates for
 * integrations added later are queued on later calls (at most one per (task, integration), ever).
 */
export async function ensureTask(pool: pg.Pool, t: NewTask, creates: OutboxWork[]): Promise<{ row: LedgerRow; created: boolean; queued: number }> {
  return inTransaction(pool, async (c) => {
    const ins = await c.query<LedgerRow>(
      `INSERT INTO remediation_tasks (namespace, name, uid, cluster_key, severity, state, sla_due_at, sla_source)
       VALUES ($1, $2, $3, $4, $5, 'OPEN', $6, $7) ON CONFLICT (namespace, name) DO NOTHING RETURNING *`,
      [t.namespace, t.name, t.uid ?? null, t.clusterKey, t.severity, t.sla.dueAt, t.sla.source],
    );
    const created = ins.rows.length > 0;
    if (created) {
      await audit(c, t.namespace, t.name, "created", { state: "OPEN", clusterKey: t.clusterKey, severity: t.severity, slaDueAt: t.sla.dueAt.toISOString(), slaSource: t.sla.source });
    }
    const row = created ? ins.rows[0]! : (await c.query<LedgerRow>(`SELECT * FROM remediation_tasks WHERE namespace = $1 AND name = $2 FOR UPDATE`, [t.namespace, t.name])).rows[0]!;
    let queued = 0;
    // Closed tasks do not open new tickets.
    if (row.state === "OPEN" || row.state === "ASSIGNED" || row.state === "IN_PROGRESS") {
      for (const w of creates) if (await enqueue(c, { namespace: t.namespace, task: t.name, integration: w.integration, ...w.work })) queued++;
    }
    return { row, created, queued };
  });
}

export async function readTask(pool: pg.Pool, namespace: string, name: string): Promise<LedgerRow | undefined> {
  return (await pool.query<LedgerRow>(`SELECT * FROM remediation_tasks WHERE namespace = $1 AND name = $2`, [namespace, name])).rows[0];
}

export class StaleStateError extends Error {
  override readonly name = "StaleStateError";
}

/**
 * One transition: checked against the state machine and against the state the caller decided from
 * (optimistic: a concurrent change makes this throw StaleStateError, and the caller re-reads), written
 * with its audit event and its outbox rows in one transaction. `work` receives the audit event id, which
 * makes the idempotency keys of the rows this transition queues unique.
 */
export async function transition(
  pool: pg.Pool,
  namespace: string,
  name: string,
  from: TaskState,
  t: PlannedTransition,
  actor: string,
  work: (auditId: string) => OutboxWork[],
): Promise<LedgerRow> {
  checkTransition(from, t.to);
  return inTransaction(pool, async (c) => {
    const cur = (await c.query<LedgerRow>(`SELECT * FROM remediation_tasks WHERE namespace = $1 AND name = $2 FOR UPDATE`, [namespace, name])).rows[0];
    if (!cur) throw new Error(`RemediationTask ${namespace}/${name} has no ledger row`);
    if (cur.state !== from) throw new StaleStateError(`RemediationTask ${namespace}/${name} is ${cur.state}, not ${from}`);
    const upd = await c.query<LedgerRow>(
      `UPDATE remediation_tasks SET state = $3, updated_at = now(), resolved_at = CASE WHEN $3 = 'RESOLVED' THEN now() ELSE resolved_at END
        WHERE namespace = $1 AND name = $2 RETURNING *`,
      [namespace, name, t.to],
    );
    const auditId = await audit(c, namespace, name, "transition", { from, to: t.to, reason: t.reason }, actor);
    for (const w of work(auditId)) await enqueue(c, { namespace, task: name, integration: w.integration, discriminator: auditId, ...w.work });
    return upd.rows[0]!;
  });
}

/** Records the breach once; true only for the call that recorded it (metric and Event fire once). */
export async function recordSlaBreach(pool: pg.Pool, namespace: string, name: string, dueAt: Date): Promise<boolean> {
  return inTransaction(pool, async (c) => {
    const r = await c.query(`UPDATE remediation_tasks SET sla_breached_at = $3 WHERE namespace = $1 AND name = $2 AND sla_breached_at IS NULL`, [namespace, name, dueAt]);
    if (!r.rowCount) return false;
    await audit(c, namespace, name, "sla-breached", { dueAt: dueAt.toISOString() });
    return true;
  });
}

/** Requeues the task's dead letters once per distinct retry token (annotation value); returns how many. */
export async function retryOnce(pool: pg.Pool, namespace: string, name: string, token: string, actor: string): Promise<number | undefined> {
  return inTransaction(pool, async (c) => {
    const r = await c.query(`UPDATE remediation_tasks SET retry_token = $3 WHERE namespace = $1 AND name = $2 AND retry_token IS DISTINCT FROM $3`, [namespace, name, token]);
    if (!r.rowCount) return undefined;
    const n = await retryDead(c, namespace, name);
    await audit(c, namespace, name, "retry-dead-letters", { token, requeued: n }, actor);
    return n;
  });
}

/**
 * Time to remediate of a RESOLVED task, returned once per resolution (whoever made the transition —
 * verification, the ALM, this controller), so the MTTR metric counts each task exactly once.
 */
export async function takeResolution(pool: pg.Pool, namespace: string, name: string): Promise<{ seconds: number; severity: Severity } | undefined> {
  return inTransaction(pool, async (c) => {
    const row = (
      await c.query<LedgerRow>(`SELECT * FROM remediation_tasks WHERE namespace = $1 AND name = $2 AND state = 'RESOLVED' AND resolved_at IS NOT NULL FOR UPDATE`, [namespace, name])
    ).rows[0];
    if (!row?.resolved_at) return undefined;
    const resolvedAt = row.resolved_at.toISOString();
    const seen = await c.query(`SELECT 1 FROM audit_events WHERE namespace = $1 AND kind = $2 AND name = $3 AND action = 'mttr-recorded' AND details->>'resolvedAt' = $4`, [
      namespace,
      AUDIT_KIND,
      name,
      resolvedAt,
    ]);
    if (seen.rowCount) return undefined;
    const seconds = Math.max(0, (row.resolved_at.getTime() - row.created_at.getTime()) / 1000);
    await audit(c, namespace, name, "mttr-recorded", { resolvedAt, seconds, severity: row.severity });
    return { seconds, severity: row.severity };
  });
}

export interface TransitionRecord {
  from: string;
  to: TaskState;
  at: Date;
  reason: string;
}

/** The most recent `limit` transitions, oldest first. */
export async function recentTransitions(pool: pg.Pool, namespace: string, name: string, limit = 10): Promise<TransitionRecord[]> {
  const r = await pool.query<{ details: { from: string; to: TaskState; reason: string }; at: Date }>(
    `SELECT details, at FROM audit_events WHERE namespace = $1 AND kind = $2 AND name = $3 AND action = 'transition' ORDER BY id DESC LIMIT $4`,
    [namespace, AUDIT_KIND, name, limit],
  );
  return r.rows.reverse().map((x) => ({ from: x.details.from, to: x.details.to, reason: x.details.reason, at: x.at }));
}

/** One audit event in the caller's transaction; returns its id. */
export async function audit(c: pg.PoolClient, namespace: string, name: string, action: string, details: Record<string, unknown>, actor = "fixops-operator"): Promise<string> {
  const r = await c.query<{ id: string }>(
    `INSERT INTO audit_events (namespace, kind, name, action, actor, details) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id::text`,
    [namespace, AUDIT_KIND, name, action, actor, JSON.stringify(details)],
  );
  return r.rows[0]!.id;
}
