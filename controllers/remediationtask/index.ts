import type { RemediationTaskResource } from "../../api/v1alpha1/index.js";
import { Controller } from "../../operator/controller.js";
import { Resources, type KubeObject } from "../../operator/kube/port.js";
import type { ControllerDeps } from "../shared/deps.js";
import { ready } from "../shared/ready.js";
import { reconcileWithPlan } from "../shared/reconcile-status.js";
import { validateRemediationTask } from "./decide.js";

export function remediationTaskController(deps: ControllerDeps, workers: number): Controller {
  const { informers } = deps;
  return new Controller({
    reconciler: {
      kind: "RemediationTask",
      reconcile: (key) =>
        reconcileWithPlan<RemediationTaskResource & KubeObject, object>(deps, Resources.RemediationTask, key, (obj) => {
          const gen = obj.metadata.generation;
          const v = validateRemediationTask(obj, new Set(informers.integrations.list(obj.metadata.namespace).map((i) => i.metadata.name)));
          if (!v.ok) return { status: { state: obj.status?.state ?? "OPEN" }, conditions: [ready("False", v.reason, v.message, gen)] };
          return {
            status: { state: obj.status?.state ?? "OPEN" },
            conditions: [ready("True", "Valid", `tracking ${v.spec.vulnerabilityIds.length} vulnerability id(s) for ${v.spec.artifact.image}`, gen)],
          };
        }),
    },
    primary: informers.remediationTasks,
    secondaries: [
      {
        informer: informers.integrations,
        map: (integ) => informers.remediationTasks.list(integ.metadata.namespace).map((t) => `${t.metadata.namespace}/${t.metadata.name}`),
      },
    ],
    workers,
    log: deps.log,
    metrics: deps.metrics,
  });
}
