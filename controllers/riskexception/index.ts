import { Controller } from "../../operator/controller.js";
import { Resources } from "../../operator/kube/port.js";
import type { ControllerDeps } from "../shared/deps.js";
import { reconcileWithPlan } from "../shared/reconcile-status.js";
import type { RiskExceptionResource } from "../../api/v1alpha1/index.js";
import type { KubeObject } from "../../operator/kube/port.js";
import { planRiskException } from "./decide.js";

export function riskExceptionController(deps: ControllerDeps, workers: number): Controller {
  return new Controller({
    reconciler: {
      kind: "RiskException",
      reconcile: (key) =>
        reconcileWithPlan<RiskExceptionResource & KubeObject, object>(deps, Resources.RiskException, key, (obj, now) => planRiskException(obj, now)),
    },
    primary: deps.informers.riskExceptions,
    workers,
    log: deps.log,
    metrics: deps.metrics,
  });
}
