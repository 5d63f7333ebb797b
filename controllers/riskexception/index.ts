import type { RiskExceptionResource, RiskExceptionStatus, ScanResultStatus } from "../../api/v1alpha1/index.js";
import { Controller } from "../../operator/controller.js";
import { Resources, type KubeObject } from "../../operator/kube/port.js";
import type { ControllerDeps } from "../shared/deps.js";
import { reconcileWithPlan } from "../shared/reconcile-status.js";
import { planRiskException } from "./decide.js";

export const MAX_SUPPRESSED_ITEMS = 20;

/** What the exception takes out of the ScanResults' current decisions (read from their status). */
export function suppressesOf(exception: string, scanResults: readonly KubeObject[]): NonNullable<RiskExceptionStatus["suppresses"]> {
  let scans = 0;
  let findings = 0;
  const items: { scanResult: string; vulnerabilityId: string }[] = [];
  for (const s of [...scanResults].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
    const mine = ((s.status ?? {}) as ScanResultStatus).decision?.suppressed?.find((x) => x.exception === exception);
    if (!mine || mine.count === 0) continue;
    scans++;
    findings += mine.count;
    for (const id of mine.vulnerabilityIds) if (items.length < MAX_SUPPRESSED_ITEMS) items.push({ scanResult: s.metadata.name, vulnerabilityId: id });
  }
  return { scanResults: scans, findings, ...(items.length ? { items } : {}) };
}

export function riskExceptionController(deps: ControllerDeps, workers: number): Controller {
  const { informers } = deps;
  return new Controller({
    reconciler: {
      kind: "RiskException",
      reconcile: (key) =>
        reconcileWithPlan<RiskExceptionResource & KubeObject, object>(deps, Resources.RiskException, key, (obj, now) =>
          planRiskException(obj, now, suppressesOf(obj.metadata.name, informers.scanResults.list(obj.metadata.namespace))),
        ),
    },
    primary: informers.riskExceptions,
    // What an exception suppresses is read from the decisions of its namespace's ScanResults.
    secondaries: [
      {
        informer: informers.scanResults,
        map: (s) => informers.riskExceptions.list(s.metadata.namespace).map((e) => `${e.metadata.namespace}/${e.metadata.name}`),
      },
    ],
    workers,
    log: deps.log,
    metrics: deps.metrics,
  });
}
