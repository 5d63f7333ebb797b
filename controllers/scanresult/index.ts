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

/** True when a task is new, deleted, or its breach-relevant fields (gate, artifact, open, breached) changed. */
export function breachChangeFilter<T extends KubeObject>(informer: Informer<T>): (obj: KubeObject) => boolean {
  const seen = new Map<string, string>();
  return (obj) => {
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    if (!informer.get(obj.metadata.namespace, obj.metadata.name)) {
      seen.delete(key);
      return true;
    }
    const ref = taskRefs([obj])[0];
    const sig = ref ? JSON.stringify([ref.gate, ref.image, ref.digest, ref.open, ref.breached]) : "";
    if (seen.get(key) === sig) return false;
    seen.set(key, sig);
    return true;
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
      { informer: informers.remediationTasks, map: allInNamespace(breachChangeFilter(informers.remediationTasks)) },
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
