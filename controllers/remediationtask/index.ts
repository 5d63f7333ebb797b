import type { RemediationTaskResource } from "../../api/v1alpha1/index.js";
import { Controller } from "../../operator/controller.js";
import { Resources, type KubeObject } from "../../operator/kube/port.js";
import type { ControllerDeps } from "../shared/deps.js";
import { reconcileWithPlan } from "../shared/reconcile-status.js";
import { planRemediationTask } from "./reconcile.js";

export const REMEDIATION_TASK_KIND = "RemediationTask";

export function remediationTaskController(deps: ControllerDeps, workers: number): Controller {
  const { informers } = deps;
  const allInNamespace = (obj: KubeObject) => informers.remediationTasks.list(obj.metadata.namespace).map((t) => `${t.metadata.namespace}/${t.metadata.name}`);
  return new Controller({
    reconciler: {
      kind: REMEDIATION_TASK_KIND,
      reconcile: (key) =>
        reconcileWithPlan<RemediationTaskResource & KubeObject, object>(deps, Resources.RemediationTask, key, (obj, now) => planRemediationTask(deps, obj, now)),
    },
    primary: informers.remediationTasks,
    // References, SLA days and coverage come from the namespace's Integrations, gates and exceptions.
    // (Outbox deliveries re-run a task through the queue: see operator/main.ts.)
    secondaries: [
      { informer: informers.integrations, map: allInNamespace },
      { informer: informers.riskExceptions, map: allInNamespace },
      { informer: informers.policyGates, map: (g) => informers.remediationTasks.list(g.metadata.namespace).filter((t) => (t.spec as { gateRef?: { name: string } } | undefined)?.gateRef?.name === g.metadata.name).map((t) => `${t.metadata.namespace}/${t.metadata.name}`) },
    ],
    workers,
    log: deps.log,
    metrics: deps.metrics,
  });
}
