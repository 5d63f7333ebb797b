import type { PolicyGateResource } from "../../api/v1alpha1/index.js";
import { Controller } from "../../operator/controller.js";
import { Resources, type KubeObject } from "../../operator/kube/port.js";
import type { ControllerDeps } from "../shared/deps.js";
import { reconcileWithPlan } from "../shared/reconcile-status.js";
import { checkImageGlob } from "../../engine/glob.js";
import { planPolicyGate } from "./decide.js";

export function policyGateController(deps: ControllerDeps, workers: number): Controller {
  const { informers } = deps;
  return new Controller({
    reconciler: {
      kind: "PolicyGate",
      reconcile: (key) =>
        reconcileWithPlan<PolicyGateResource & KubeObject, object>(deps, Resources.PolicyGate, key, (obj) =>
          planPolicyGate(obj, {
            integrations: new Set(informers.integrations.list(obj.metadata.namespace).map((i) => i.metadata.name)),
            checkGlob: checkImageGlob,
          }),
        ),
    },
    primary: informers.policyGates,
    // A gate's validity depends on the Integrations of its namespace.
    secondaries: [
      {
        informer: informers.integrations,
        map: (integ) => informers.policyGates.list(integ.metadata.namespace).map((g) => `${g.metadata.namespace}/${g.metadata.name}`),
      },
    ],
    workers,
    log: deps.log,
    metrics: deps.metrics,
  });
}
