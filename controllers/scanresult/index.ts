import { Controller } from "../../operator/controller.js";
import type { Informer, KubeObject } from "../../operator/kube/port.js";
import { taskRefs } from "../../remediation/escalation.js";
import type { ControllerDeps } from "../shared/deps.js";
import { AnalysisCache, reconcileScanResult } from "./reconcile.js";

/**
 * True when the object is new, deleted, or its spec changed (generation/uid): status-only writes of
 * gates and exceptions do not change any decision, so they do not re-run every ScanResult. (An
 * exception's expiry is met by the ScanResult's own requeue at decision.nextChangeAt.)
 */
export function specChangeFilter<T extends KubeObject>(informer: Informer<T>): (obj: KubeObject) => boolean {
  const seen = new Map<string, string>();
  return (obj) => {
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    // The informer updates its cache before calling handlers: absent means deleted.
    if (!informer.get(obj.metadata.namespace, obj.metadata.name)) {
      seen.delete(key);
      return true;
    }
    const version = `${obj.metadata.uid ?? ""}#${obj.metadata.generation ?? ""}`;
    if (seen.get(key) === version) return false;
    seen.set(key, version);
    return true;
  };
}

/**
 * Maps a RemediationTask event to the ScanResults whose decision it changes. A decision reads only the
 * open, breached tasks a gate asked for (escalateOnBreach), and tasks change status often (transitions
 * between open states, ticket sync): only a breach starting or ending (or the breached task's gate,
 * artifact, ids or due date changing) re-runs anything, and then only the ScanResults of that task's
 * artifact, before and after the change.
 */
export function breachedTaskMapper<T extends KubeObject, S extends KubeObject>(tasks: Informer<T>, scanResults: Informer<S>): (obj: KubeObject) => string[] {
  const seen = new Map<string, { sig: string; artifact: { image: string; digest?: string } }>();
  return (obj) => {
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    const before = seen.get(key);
    // The informer updates its cache before calling handlers: absent means deleted.
    const ref = tasks.get(obj.metadata.namespace, obj.metadata.name) ? taskRefs([obj])[0] : undefined;
    const breach = ref?.open && ref.breached && ref.gate !== undefined ? ref : undefined;
    const sig = breach ? JSON.stringify([breach.gate, breach.image, breach.digest, breach.dueAt, breach.vulnerabilityIds]) : "";
    if ((before?.sig ?? "") === sig) return [];
    const artifacts = [before?.artifact, breach ? { image: breach.image, ...(breach.digest ? { digest: breach.digest } : {}) } : undefined].filter((a) => a !== undefined);
    if (breach) seen.set(key, { sig, artifact: artifacts[artifacts.length - 1]! });
    else seen.delete(key);
    return scanResults
      .list(obj.metadata.namespace)
      .filter((s) => {
        const a = (s.spec as { artifact?: { image?: unknown; digest?: unknown } } | undefined)?.artifact;
        return artifacts.some((t) => a?.image === t.image || (t.digest !== undefined && a?.digest === t.digest));
      })
      .map((s) => `${s.metadata.namespace}/${s.metadata.name}`);
  };
}

export function scanResultController(deps: ControllerDeps, workers: number, watchNamespace?: string): Controller {
  const { informers } = deps;
  const cache = new AnalysisCache(256);
  const allInNamespace = (changed: (obj: KubeObject) => boolean) => (obj: KubeObject): string[] =>
    changed(obj) ? informers.scanResults.list(obj.metadata.namespace).map((s) => `${s.metadata.namespace}/${s.metadata.name}`) : [];
  const controller = new Controller({
    reconciler: { kind: "ScanResult", reconcile: (key) => reconcileScanResult(deps, cache, key) },
    primary: informers.scanResults,
    // A decision depends on the PolicyGates and RiskExceptions of the ScanResult's namespace.
    secondaries: [
      { informer: informers.policyGates, map: allInNamespace(specChangeFilter(informers.policyGates)) },
      { informer: informers.riskExceptions, map: allInNamespace(specChangeFilter(informers.riskExceptions)) },
      // escalateOnBreach: a task's SLA breach (or its end) changes its gate's verdict on the artifact.
      { informer: informers.remediationTasks, map: breachedTaskMapper(informers.remediationTasks, informers.scanResults) },
    ],
    workers,
    log: deps.log,
    metrics: deps.metrics,
  });
  // ScanResults deleted while no operator ran still have findings in the ledger: once the cache is
  // complete, their keys go through the queue like any deletion (reconcile finds them gone).
  void informers.scanResults.synced
    .then(async () => {
      const r = await deps.pool.query<{ namespace: string; scan_result: string }>(
        `SELECT DISTINCT namespace, scan_result FROM scan_findings${watchNamespace ? " WHERE namespace = $1" : ""}`,
        watchNamespace ? [watchNamespace] : [],
      );
      for (const row of r.rows) if (!informers.scanResults.get(row.namespace, row.scan_result)) controller.queue.add(`${row.namespace}/${row.scan_result}`);
    })
    .catch((err: unknown) => deps.log.warn({ err: err instanceof Error ? err.message : String(err) }, "could not look for findings of deleted ScanResults"));
  // A new EPSS or KEV snapshot can change every score and decision.
  deps.feeds.onChange(() => {
    for (const s of informers.scanResults.list()) controller.queue.add(`${s.metadata.namespace}/${s.metadata.name}`);
  });
  return controller;
}
