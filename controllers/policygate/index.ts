import { PolicyGateSpec, type PolicyGateResource, type PolicyGateStatus, type ScanResultResource } from "../../api/v1alpha1/index.js";
import { Controller } from "../../operator/controller.js";
import { errorMessage } from "../../operator/errors.js";
import { Resources, type KubeObject } from "../../operator/kube/port.js";
import type { ControllerDeps } from "../shared/deps.js";
import { reconcileWithPlan } from "../shared/reconcile-status.js";
import { checkImageGlob } from "../../engine/glob.js";
import { planPolicyGate } from "./decide.js";
import { gateCounts, whatIf, workloadPod, type WorkloadPod } from "./evaluation.js";

/** Pods come and go without telling the gate: the what-if is refreshed at least this often. */
export const WHATIF_REFRESH_MS = 60_000;

type OwnerRef = { kind: string; name: string; controller?: boolean };
type Owned = KubeObject;
const ownerRefs = (o: KubeObject): OwnerRef[] => (o.metadata as { ownerReferences?: OwnerRef[] }).ownerReferences ?? [];

/** Running Pods of a namespace, each attributed to its top-level workload (Deployment, CronJob, …). */
async function runningWorkloads(deps: ControllerDeps, namespace: string): Promise<WorkloadPod[]> {
  const pods = await deps.kube.list<Owned>(Resources.Pod, namespace);
  const parents = new Map<string, { kind: string; name: string }>();
  const need = new Set(pods.flatMap((p) => ownerRefs(p).map((r) => r.kind)));
  const index = async (kind: "ReplicaSet" | "Job") => {
    if (!need.has(kind)) return;
    for (const o of await deps.kube.list<Owned>(kind === "ReplicaSet" ? Resources.ReplicaSet : Resources.Job, namespace)) {
      const c = ownerRefs(o).find((r) => r.controller);
      if (c) parents.set(`${kind}/${o.metadata.name}`, { kind: c.kind, name: c.name });
    }
  };
  await Promise.all([index("ReplicaSet"), index("Job")]);
  const out: WorkloadPod[] = [];
  for (const p of pods) {
    const w = workloadPod(p as Parameters<typeof workloadPod>[0], (kind, name) => parents.get(`${kind}/${name}`));
    if (w) out.push(w);
  }
  return out;
}

export function policyGateController(deps: ControllerDeps, workers: number, whatIfRefreshMs = WHATIF_REFRESH_MS): Controller {
  const { informers } = deps;
  const inNamespace = (obj: KubeObject) => informers.policyGates.list(obj.metadata.namespace).map((g) => `${g.metadata.namespace}/${g.metadata.name}`);
  return new Controller({
    reconciler: {
      kind: "PolicyGate",
      reconcile: (key) =>
        reconcileWithPlan<PolicyGateResource & KubeObject, object>(deps, Resources.PolicyGate, key, async (obj, now) => {
          const namespace = obj.metadata.namespace!;
          const spec = PolicyGateSpec.safeParse(obj.spec ?? {});
          let evaluation: Pick<PolicyGateStatus, "counts" | "whatIf"> | undefined;
          if (spec.success) {
            const scans = informers.scanResults.list(namespace) as ScanResultResource[];
            evaluation = { counts: gateCounts(obj.metadata.name, scans) };
            try {
              const wi = whatIf({ name: obj.metadata.name, namespace, spec: spec.data }, scans, await runningWorkloads(deps, namespace), now);
              // evaluatedAt says when this result was first seen; an unchanged result is not rewritten.
              const prev = (obj.status as PolicyGateStatus | undefined)?.whatIf;
              if (prev && JSON.stringify({ ...prev, evaluatedAt: "" }) === JSON.stringify({ ...wi, evaluatedAt: "" })) wi.evaluatedAt = prev.evaluatedAt;
              evaluation.whatIf = wi;
            } catch (err) {
              deps.log.warn({ gate: key, err: errorMessage(err) }, "what-if needs to list Pods, ReplicaSets and Jobs; skipped");
            }
          }
          const plan = planPolicyGate(obj, {
            integrations: new Set(informers.integrations.list(namespace).map((i) => i.metadata.name)),
            checkGlob: checkImageGlob,
            ...(evaluation ? { evaluation } : {}),
          });
          return evaluation ? { ...plan, requeueAfterMs: whatIfRefreshMs } : plan;
        }),
    },
    primary: informers.policyGates,
    // A gate's validity depends on the Integrations of its namespace; its counts and what-if on the
    // decisions of the namespace's ScanResults.
    secondaries: [
      { informer: informers.integrations, map: inNamespace },
      { informer: informers.scanResults, map: inNamespace },
    ],
    workers,
    log: deps.log,
    metrics: deps.metrics,
  });
}
