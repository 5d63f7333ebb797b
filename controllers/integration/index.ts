import type { IntegrationResource } from "../../api/v1alpha1/index.js";
import { Controller } from "../../operator/controller.js";
import { Resources, type KubeObject } from "../../operator/kube/port.js";
import type { ControllerDeps } from "../shared/deps.js";
import { reconcileWithPlan } from "../shared/reconcile-status.js";
import { planIntegration } from "./reconcile.js";

export function integrationController(deps: ControllerDeps, workers: number): Controller {
  return new Controller({
    reconciler: {
      kind: "Integration",
      reconcile: (key, ctx) =>
        reconcileWithPlan<IntegrationResource & KubeObject, object>(deps, Resources.Integration, key, (obj, now) => planIntegration({ kube: deps.kube, log: ctx.log, sync: deps }, obj, now)),
    },
    primary: deps.informers.integrations,
    workers,
    log: deps.log,
    metrics: deps.metrics,
  });
}
