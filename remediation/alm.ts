// What an ALM says about a ticket, applied to the ledger: the ticket link's state, and the task's
// transition by state category through the state machine (done → VERIFICATION, reopened → back to
// work). Used by the inbound webhook processor and by the Integration's periodic sync, so a missed
// webhook and a received one end the same way. ALM-reported transitions queue no outbox work: the ALM
// already knows, and pushing it back would be the loop DefectDojo users report.
import type pg from "pg";
import type { Category } from "../connectors/types.js";
import { readTask, StaleStateError, transition } from "./ledger.js";
import { almTransition, type PlannedTransition } from "./lifecycle.js";

export interface AlmChange {
  namespace: string;
  integration: string;
  /** Ticket.ref (Jira key, GitHub number, …). */
  ticketRef: string;
  category: Category | "deleted";
  rawState: string;
  /** Who changed the ticket, as the ALM names them. */
  actor: string;
  /** Caused by FixOps itself (loop guard): recorded on the link, never a task transition. */
  selfInflicted: boolean;
  /** The event changed the ticket's state (not only its labels or text). */
  stateChanged: boolean;
  source: "webhook" | "sync";
}

export interface AlmOutcome {
  /** The task the ticket belongs to, when there is one. */
  task?: string;
  transition?: PlannedTransition & { from: string };
  outcome: string;
}

/** Finds the ticket's task, records the ALM's state on the link, and makes the transition it calls for. */
export async function applyAlmState(pool: pg.Pool, c: AlmChange): Promise<AlmOutcome> {
  const link = await pool.query<{ task: string }>(
    `UPDATE ticket_links SET state = $4, category = $5, synced_at = now() WHERE namespace = $1 AND integration = $2 AND ticket_ref = $3 RETURNING task`,
    [c.namespace, c.integration, c.ticketRef, c.category === "deleted" ? "(deleted)" : c.rawState.slice(0, 200), c.category],
  );
  const task = link.rows[0]?.task;
  if (!task) return { outcome: `no RemediationTask has ticket ${c.ticketRef} in ${c.integration}` };
  if (c.selfInflicted) return { task, outcome: `own change (${c.category}) recorded, not acted on` };
  if (c.category === "deleted") return { task, outcome: "ticket deleted in the ALM; reported by the Integration's sync" };
  if (!c.stateChanged) return { task, outcome: "no state change" };
  for (let attempt = 0; attempt < 3; attempt++) {
    const row = await readTask(pool, c.namespace, task);
    if (!row) return { task, outcome: `task ${task} has no ledger row` };
    const t = almTransition(row.state, c.category);
    if (!t) return { task, outcome: `${row.state} unchanged by ${c.category}` };
    const actor = `${c.integration}:${c.actor || "unknown"}`.slice(0, 200);
    try {
      await transition(pool, c.namespace, task, row.state, { to: t.to, reason: c.source === "sync" ? `${t.reason} (found by sync)` : t.reason }, actor, () => []);
      return { task, transition: { ...t, from: row.state }, outcome: `${row.state} → ${t.to}` };
    } catch (err) {
      if (!(err instanceof StaleStateError)) throw err;
    }
  }
  return { task, outcome: "task kept changing; left as it is" };
}
