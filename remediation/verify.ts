// Verification against later scans, run from the ScanResult reconcile (next to task creation): a task in
// VERIFICATION (its ticket was closed in the ALM) becomes RESOLVED only when a ScanResult of the same
// artifact, newer than the task's entry into VERIFICATION, no longer has any of its findings; when the
// newer scan still has one, the tickets are reopened with a comment naming that ScanResult and the task
// goes back to IN_PROGRESS. "Newer" is the scan's spec.scannedAt, else when FixOps first analysed that
// generation of the ScanResult — so re-deciding an old scan (new feeds) never counts as a new scan.
import type { ScanResultResource } from "../api/v1alpha1/index.js";
import { RemediationTaskSpec } from "../api/v1alpha1/index.js";
import type { Analysis } from "../engine/index.js";
import { deliveriesOf, type DeliveryView } from "../outbox/store.js";
import type { ControllerDeps } from "../controllers/shared/deps.js";
import { AUDIT_KIND, StaleStateError, transition, type OutboxWork } from "./ledger.js";
import { ticketWork } from "./lifecycle.js";

/**
 * A cluster key without its artifact segment (`finding/v1|<digest or image>|…`): the same problem in a
 * rebuilt image (a new digest) is still the same finding.
 */
export function findingIdentity(clusterKey: string): string {
  const parts = clusterKey.split("|");
  return parts.length > 2 ? [parts[0], ...parts.slice(2)].join("|") : clusterKey;
}

/** The task's findings the scan still has (by identity), given the scan's cluster keys. */
export function findingsStillPresent(spec: Pick<RemediationTaskSpec, "findingKeys" | "clusterKey">, scanKeys: Iterable<string>): string[] {
  const present = new Set<string>();
  for (const k of scanKeys) present.add(findingIdentity(k));
  const keys = spec.findingKeys.length ? spec.findingKeys : [spec.clusterKey];
  return keys.filter((k) => present.has(findingIdentity(k)));
}

/** The comment a reopened ticket gets. */
export function reopenComment(namespace: string, scanResult: string, scannedAt: Date, ids: readonly string[]): string {
  const shown = ids.slice(0, 10).join(", ") + (ids.length > 10 ? ` and ${ids.length - 10} more` : "");
  return `FixOps: reopened — ScanResult ${namespace}/${scanResult} (scanned ${scannedAt.toISOString()}) still has ${shown || "the finding"}.`;
}

export function reopenWork(deliveries: readonly DeliveryView[], comment: string): OutboxWork[] {
  return deliveries.filter((d) => d.link).map((d) => ({ integration: d.integration, work: { operation: "set_state" as const, payload: { target: "open" as const, comment } } }));
}

type VerifyDeps = Pick<ControllerDeps, "informers" | "pool" | "log"> & Partial<Pick<ControllerDeps, "taskChanged">>;

/** Verifies the namespace's VERIFICATION tasks of this scan's artifact; returns how many changed. */
export async function verifyRemediationTasks(deps: VerifyDeps, obj: ScanResultResource, analysis: Analysis): Promise<number> {
  const namespace = obj.metadata.namespace ?? "";
  const scan = obj.metadata.name;
  const spec = obj.spec as { artifact?: { image?: string }; scannedAt?: string } | undefined;
  const image = spec?.artifact?.image;
  if (!image) return 0;
  const candidates = new Map<string, RemediationTaskSpec>();
  for (const t of deps.informers.remediationTasks.list(namespace)) {
    const p = RemediationTaskSpec.safeParse(t.spec ?? {});
    if (p.success && p.data.artifact.image === image) candidates.set(t.metadata.name, p.data);
  }
  if (candidates.size === 0) return 0;
  const waiting = await deps.pool.query<{ name: string; since: Date | null }>(
    `SELECT t.name, (SELECT max(a.at) FROM audit_events a WHERE a.namespace = t.namespace AND a.kind = $3 AND a.name = t.name AND a.action = 'transition' AND a.details->>'to' = 'VERIFICATION') AS since
       FROM remediation_tasks t WHERE t.namespace = $1 AND t.name = ANY($2::text[]) AND t.state = 'VERIFICATION'`,
    [namespace, [...candidates.keys()], AUDIT_KIND],
  );
  if (waiting.rows.length === 0) return 0;
  await deps.pool.query(`INSERT INTO scan_generations (namespace, scan_result, generation) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [namespace, scan, obj.metadata.generation ?? 0]);
  const seen = await deps.pool.query<{ first_analysed_at: Date }>(`SELECT first_analysed_at FROM scan_generations WHERE namespace = $1 AND scan_result = $2 AND generation = $3`, [
    namespace,
    scan,
    obj.metadata.generation ?? 0,
  ]);
  const declared = spec?.scannedAt ? Date.parse(spec.scannedAt) : NaN;
  const scannedAt = Number.isNaN(declared) ? seen.rows[0]!.first_analysed_at : new Date(declared);
  const scanKeys = analysis.scored.map((s) => s.cluster.key);
  let changed = 0;
  for (const w of waiting.rows) {
    if (!w.since || scannedAt.getTime() <= w.since.getTime()) continue;
    const task = candidates.get(w.name)!;
    const still = findingsStillPresent(task, scanKeys);
    const deliveries = await deliveriesOf(deps.pool, namespace, w.name);
    const ids = [...new Set(analysis.scored.filter((s) => still.some((k) => findingIdentity(k) === findingIdentity(s.cluster.key))).map((s) => s.cluster.finding.id))];
    const t = still.length
      ? { to: "IN_PROGRESS" as const, reason: `ScanResult ${scan} still has ${ids.slice(0, 5).join(", ") || "the finding"}` }
      : { to: "RESOLVED" as const, reason: `ScanResult ${scan} no longer has the finding` };
    const work = () =>
      still.length
        ? reopenWork(deliveries, reopenComment(namespace, scan, scannedAt, ids))
        : ticketWork(t, deliveries, deliveries.map((d) => d.integration));
    try {
      await transition(deps.pool, namespace, w.name, "VERIFICATION", t, `ScanResult/${scan}`, work);
    } catch (err) {
      // Changed meanwhile (reopened in the ALM, an exception): the next scan looks again.
      if (err instanceof StaleStateError) continue;
      throw err;
    }
    changed++;
    deps.log.info({ task: `${namespace}/${w.name}`, scanResult: scan, to: t.to }, "RemediationTask verified against a newer scan");
    deps.taskChanged?.(namespace, w.name);
  }
  return changed;
}
