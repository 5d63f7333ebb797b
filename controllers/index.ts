// One controller per kind; they never import one another.
import type { Controller } from "../operator/controller.js";
import { integrationController } from "./integration/index.js";
import { policyGateController } from "./policygate/index.js";
import { remediationTaskController } from "./remediationtask/index.js";
import { riskExceptionController } from "./riskexception/index.js";
import { scanResultController } from "./scanresult/index.js";
import type { ControllerDeps } from "./shared/deps.js";

export interface ControllerOptions {
  /** How often a PolicyGate's what-if re-lists the running Pods of its namespace. */
  whatIfRefreshMs?: number;
  /** The one namespace watched, when the operator is restricted to one. */
  watchNamespace?: string;
}

export function createControllers(deps: ControllerDeps, workers: number, options: ControllerOptions = {}): Controller[] {
  return [integrationController(deps, workers), policyGateController(deps, workers, options.whatIfRefreshMs), riskExceptionController(deps, workers), remediationTaskController(deps, workers), scanResultController(deps, workers, options.watchNamespace)];
}
