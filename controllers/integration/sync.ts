// The Integration's periodic sync (every spec.syncInterval, and on demand when the
// fixops.io/sync-requested annotation takes a new value): re-read every ticket linked to a task through
// the connector, report drift, and repair what is safe.
//
//   ticket deleted                  → reported (a person decides: re-creating could duplicate a ticket the
//                                     ALM only hid); the link is marked deleted.
//   ticket closed, finding present  → the task is still open in FixOps and a current ScanResult of its
//                                     artifact still has the finding: the ticket is reopened through the
//                                     outbox, with a comment naming that ScanResult.
//   state mismatch                  → the ALM changed the ticket and the webhook never arrived: applied
//                                     exactly as the webhook would have been (remediation/alm.ts;
//                                     done → VERIFICATION, never RESOLVED). A ticket reopened
//                                     after FixOps closed the task is reported only.
import type pg from "pg";
import { RemediationTaskSpec, ScanResultSpec, type IntegrationResource, type IntegrationSpec, type IntegrationStatus } from "../../api/v1alpha1/index.js";
import { RateLimitedError, type Ticket, type TicketConnector } from "../../connectors/index.js";
import { errorMessage } from "../../operator/errors.js";
import { enqueue } from "../../outbox/store.js";
import { inTransaction } from "../../store/pool.js";
import { applyAlmState } from "../../remediation/alm.js";
import { audit } from "../../remediation/ledger.js";
import { findingIdentity } from "../../remediation/verify.js";
import type { ControllerDeps } from "../shared/deps.js";

export const ANNOTATION_SYNC_REQUESTED = "fixops.io/sync-requested";
/** Tickets re-read per sync (least recently synced first, so a larger ledger is covered over several syncs). */
export const MAX_SYNC_ITEMS = 1000;
const MAX_DRIFT_LISTED = 20;

export type LastSync = NonNullable<IntegrationStatus["lastSync"]>;
type DriftKind = "closed-with-finding-present" | "ticket-deleted" | "state-mismatch";
type Drift = NonNullable<LastSync["drift"]>[number];

/** Whether a sync is due now (interval passed, or a new on-demand request), and what request it answers. */
export function syncDue(obj: Pick<IntegrationResource, "metadata" | "status">, intervalMs: number, now: Date): { due: boolean; request?: string } {
  const request = obj.metadata.annotations?.[ANNOTATION_SYNC_REQUESTED]?.slice(0, 253);
  const last = obj.status?.lastSync;
  if (request !== undefined && request !== last?.request) return { due: true, request };
  const at = last ? Date.parse(last.time) : NaN;
  return { due: Number.isNaN(at) || now.getTime() - at >= intervalMs, ...(request !== undefined ? { request } : {}) };
}

interface LinkRow {
  task: string;
  ticket_ref: string;
  ticket_key: string;
  link_category: string;
  state: string;
}

export type SyncDeps = Pick<ControllerDeps, "pool" | "informers" | "log"> & Partial<Pick<ControllerDeps, "taskChanged">>;

const OPEN_TASK = new Set(["OPEN", "ASSIGNED", "IN_PROGRESS"]);
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/** The current ScanResult of the task's artifact that still has one of its findings, if any. */
async function scanStillHaving(deps: SyncDeps, namespace: string, taskName: string): Promise<{ scanResult: string; ids: string[] } | undefined> {
  const t = deps.informers.remediationTasks.get(namespace, taskName);
  const spec = t ? RemediationTaskSpec.safeParse(t.spec ?? {}) : undefined;
  if (!spec?.success) return undefined;
  const scans = deps.informers.scanResults
    .list(namespace)
    .filter((s) => {
      const p = ScanResultSpec.safeParse(s.spec ?? {});
      return p.success && p.data.artifact.image === spec.data.artifact.image;
    })
    .sort((a, b) => (b.metadata.creationTimestamp ?? "").localeCompare(a.metadata.creationTimestamp ?? ""));
  if (scans.length === 0) return undefined;
  const wanted = new Set((spec.data.findingKeys.length ? spec.data.findingKeys : [spec.data.clusterKey]).map(findingIdentity));
  const rows = await deps.pool.query<{ scan_result: string; cluster_key: string; vulnerability_id: string }>(
    `SELECT scan_result, cluster_key, vulnerability_id FROM scan_findings WHERE namespace = $1 AND scan_result = ANY($2::text[])`,
    [namespace, scans.map((s) => s.metadata.name)],
  );
  for (const s of scans) {
    const ids = rows.rows.filter((r) => r.scan_result === s.metadata.name && wanted.has(findingIdentity(r.cluster_key))).map((r) => r.vulnerability_id);
    if (ids.length) return { scanResult: s.metadata.name, ids: [...new Set(ids)] };
  }
  return undefined;
}

/** Queues the reopen, only if the task is still open in FixOps (checked under the task's row lock). */
async function reopenClosedTicket(pool: pg.Pool, namespace: string, integration: string, link: LinkRow, comment: string): Promise<boolean> {
  return inTransaction(pool, async (c) => {
    const cur = await c.query<{ state: string }>(`SELECT state FROM remediation_tasks WHERE namespace = $1 AND name = $2 FOR UPDATE`, [namespace, link.task]);
    if (!cur.rows[0] || !OPEN_TASK.has(cur.rows[0].state)) return false;
    const auditId = await audit(c, namespace, link.task, "sync-reopen", { integration, ticket: link.ticket_key, comment }, `Integration/${integration}`);
    return enqueue(c, { namespace, task: link.task, integration, discriminator: `sync-${auditId}`, operation: "set_state", payload: { target: "open", comment } });
  });
}

export async function syncIntegration(deps: SyncDeps, namespace: string, integration: string, spec: Pick<IntegrationSpec, "type">, connector: TicketConnector, now: Date, request?: string): Promise<LastSync> {
  const links = await deps.pool.query<LinkRow>(
    `SELECT l.task, l.ticket_ref, l.ticket_key, l.category AS link_category, t.state
       FROM ticket_links l JOIN remediation_tasks t ON t.namespace = l.namespace AND t.name = l.task
      WHERE l.namespace = $1 AND l.integration = $2 ORDER BY l.synced_at, l.task LIMIT $3`,
    [namespace, integration, MAX_SYNC_ITEMS],
  );
  const drift: Drift[] = [];
  const byKind = { closedWithFindingPresent: 0, ticketDeleted: 0, stateMismatch: 0 };
  const note = (link: LinkRow, kind: DriftKind, detail: string) => {
    byKind[kind === "ticket-deleted" ? "ticketDeleted" : kind === "state-mismatch" ? "stateMismatch" : "closedWithFindingPresent"]++;
    if (drift.length < MAX_DRIFT_LISTED) drift.push({ task: link.task, ticket: link.ticket_key, kind, detail: detail.slice(0, 512) });
  };
  let checked = 0;
  let repaired = 0;
  let failed = 0;
  let stopped: string | undefined;
  let lastError: string | undefined;
  for (const link of links.rows) {
    let ticket: Ticket | null;
    try {
      ticket = await connector.get(link.ticket_ref);
    } catch (err) {
      if (err instanceof RateLimitedError) {
        stopped = `stopped after ${checked} ticket(s): ${spec.type} asked to wait ${Math.ceil(err.retryAfterMs / 1000)}s`;
        break;
      }
      failed++;
      lastError = errorMessage(err);
      continue;
    }
    checked++;
    const base = { namespace, integration, ticketRef: link.ticket_ref, actor: "sync", selfInflicted: false, stateChanged: true, source: "sync" as const };
    if (!ticket) {
      note(link, "ticket-deleted", `ticket ${link.ticket_key} no longer exists in ${spec.type}; task ${link.state}`);
      if (link.link_category !== "deleted") await applyAlmState(deps.pool, { ...base, category: "deleted", rawState: "(deleted)" });
      continue;
    }
    if (ticket.category === "done" && OPEN_TASK.has(link.state)) {
      const still = await scanStillHaving(deps, namespace, link.task);
      if (still) {
        note(link, "closed-with-finding-present", `ticket ${link.ticket_key} is ${ticket.state} but ScanResult ${still.scanResult} still has ${still.ids.slice(0, 5).join(", ")}; task ${link.state}`);
        const comment = `FixOps: reopened — ScanResult ${namespace}/${still.scanResult} still has ${still.ids.slice(0, 10).join(", ")} (found by the Integration's sync).`;
        await deps.pool.query(`UPDATE ticket_links SET state = $4, category = $5, synced_at = now() WHERE namespace = $1 AND integration = $2 AND ticket_ref = $3`, [
          namespace,
          integration,
          link.ticket_ref,
          ticket.state,
          ticket.category,
        ]);
        if (await reopenClosedTicket(deps.pool, namespace, integration, link, comment)) repaired++;
        deps.taskChanged?.(namespace, link.task);
        continue;
      }
    }
    if (ticket.category !== link.link_category) {
      const r = await applyAlmState(deps.pool, { ...base, category: ticket.category, rawState: ticket.state });
      note(link, "state-mismatch", `ticket ${link.ticket_key} is ${ticket.state} (${ticket.category}); FixOps had ${link.link_category}, task ${link.state}${r.transition ? `; now ${r.transition.to}` : ""}`);
      repaired++;
      deps.taskChanged?.(namespace, link.task);
      continue;
    }
    await deps.pool.query(`UPDATE ticket_links SET state = $4, synced_at = now() WHERE namespace = $1 AND integration = $2 AND ticket_ref = $3`, [namespace, integration, link.ticket_ref, ticket.state]);
  }
  const driftFound = byKind.closedWithFindingPresent + byKind.ticketDeleted + byKind.stateMismatch;
  const result: LastSync["result"] = checked === 0 && (failed > 0 || stopped) ? "Failed" : failed > 0 || stopped ? "Partial" : "Succeeded";
  const message = [stopped, failed ? `${failed} ticket(s) could not be read: ${lastError}` : undefined, links.rows.length === MAX_SYNC_ITEMS ? `first ${MAX_SYNC_ITEMS} tickets (least recently synced) checked` : undefined]
    .filter(Boolean)
    .join("; ");
  return {
    time: iso(now),
    result,
    itemsChecked: checked,
    driftFound,
    repaired,
    ...(drift.length ? { drift } : {}),
    driftByKind: byKind,
    ...(request !== undefined ? { request } : {}),
    ...(message ? { message: message.slice(0, 1024) } : {}),
  };
}
