// I/O shell of task creation, called from the ScanResult reconcile: plan (pure, plan.ts), then create the
// RemediationTasks that do not exist yet. Names are deterministic, so "exists" is a cache lookup and a
// create that races another (409) is simply already done.
//
// Owner: the PolicyGate whose remediation block asked for the task (not the ScanResult: scans are
// replaced routinely, and a task must outlive the scan that found its problem — verification compares
// later scans). Deleting the gate deletes its tasks through garbage collection; their ledger rows, audit
// trail and tickets stay in PostgreSQL and the ALMs, and a re-created gate gets the same task names back,
// so no second ticket is ever opened.
import type { RemediationTaskResource, ScanResultResource } from "../api/v1alpha1/index.js";
import { API_VERSION } from "../api/v1alpha1/index.js";
import type { Analysis } from "../engine/index.js";
import { ConflictError, KubeApiError, errorMessage } from "../operator/errors.js";
import { Resources, type KubeObject } from "../operator/kube/port.js";
import type { ControllerDeps } from "../controllers/shared/deps.js";
import { planRemediationTasks } from "./plan.js";
import { verifyRemediationTasks } from "./verify.js";

/** Delay before the ScanResult is looked at again when creating its tasks failed. */
export const CREATE_RETRY_MS = 5_000;

type CreateDeps = Pick<ControllerDeps, "kube" | "informers" | "pool" | "feeds" | "log"> & Partial<Pick<ControllerDeps, "taskChanged">>;

/**
 * Verifies the artifact's tasks waiting in VERIFICATION against this scan (verify.ts), then creates
 * missing tasks; returns a requeue delay when something failed (the decision is still written).
 */
export async function createRemediationTasks(deps: CreateDeps, obj: ScanResultResource, analysis: Analysis, now: Date): Promise<number | undefined> {
  let verifyRetry: number | undefined;
  try {
    await verifyRemediationTasks(deps, obj, analysis);
  } catch (err) {
    deps.log.warn({ scanResult: `${obj.metadata.namespace}/${obj.metadata.name}`, err: errorMessage(err) }, "could not verify RemediationTasks against this scan; retrying");
    verifyRetry = CREATE_RETRY_MS;
  }
  return (await createMissingTasks(deps, obj, analysis, now)) ?? verifyRetry;
}

async function createMissingTasks(deps: CreateDeps, obj: ScanResultResource, analysis: Analysis, now: Date): Promise<number | undefined> {
  const namespace = obj.metadata.namespace ?? "";
  const gates = deps.informers.policyGates.list(namespace);
  if (!gates.some((g) => (g.spec as { remediation?: unknown } | undefined)?.remediation)) return undefined;
  const artifact = (obj.spec as { artifact?: { image?: string; digest?: string } } | undefined)?.artifact;
  if (!artifact?.image) return undefined;
  try {
    const seen = await deps.pool.query<{ cluster_key: string; first_seen: Date }>(
      "SELECT cluster_key, first_seen FROM scan_findings WHERE namespace = $1 AND scan_result = $2",
      [namespace, obj.metadata.name],
    );
    const firstSeen = new Map(seen.rows.map((r) => [r.cluster_key, r.first_seen.toISOString()]));
    const plan = planRemediationTasks({
      namespace,
      scanResult: obj.metadata.name,
      artifact: { image: artifact.image, ...(artifact.digest ? { digest: artifact.digest } : {}) },
      scored: analysis.scored,
      stats: analysis.correlation.stats,
      feeds: deps.feeds.current(),
      ...(analysis.assessment.scannedAt ? { scannedAt: analysis.assessment.scannedAt } : {}),
      firstSeen: (k) => firstSeen.get(k),
      gates,
      exceptions: deps.informers.riskExceptions.list(namespace),
      now,
    });
    if (plan.truncated) deps.log.warn({ scanResult: `${namespace}/${obj.metadata.name}`, truncated: plan.truncated }, "more remediation groups than one scan may open; the most severe were kept");
    for (const t of plan.tasks) {
      if (deps.informers.remediationTasks.get(namespace, t.name)) continue;
      const gate = gates.find((g) => g.metadata.name === t.gate);
      const task: RemediationTaskResource & KubeObject = {
        apiVersion: API_VERSION,
        kind: "RemediationTask",
        metadata: {
          name: t.name,
          namespace,
          labels: t.labels,
          annotations: t.annotations,
          ...(gate?.metadata.uid
            ? { ownerReferences: [{ apiVersion: API_VERSION, kind: "PolicyGate", name: gate.metadata.name, uid: gate.metadata.uid, controller: false, blockOwnerDeletion: false }] }
            : {}),
        },
        spec: t.spec,
      };
      try {
        await deps.kube.create(Resources.RemediationTask, task);
      } catch (err) {
        if (!(err instanceof ConflictError || (err instanceof KubeApiError && err.status === 409))) throw err;
      }
    }
    return undefined;
  } catch (err) {
    deps.log.warn({ scanResult: `${namespace}/${obj.metadata.name}`, err: errorMessage(err) }, "could not create RemediationTasks; retrying");
    return CREATE_RETRY_MS;
  }
}
