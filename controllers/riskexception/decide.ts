// Pure: what a RiskException's status should be at `now`.
import { RiskExceptionSpec, type RiskExceptionResource, type RiskExceptionStatus } from "../../api/v1alpha1/index.js";
import { ready } from "../shared/ready.js";
import { parseSpec } from "../shared/spec.js";
import type { Plan } from "../shared/reconcile-status.js";

export type RiskExceptionPlan = Plan<Omit<RiskExceptionStatus, "conditions" | "observedGeneration">>;

export function planRiskException(obj: RiskExceptionResource, now: Date, suppresses?: RiskExceptionStatus["suppresses"]): RiskExceptionPlan {
  const gen = obj.metadata.generation;
  const parsed = parseSpec(RiskExceptionSpec, obj.spec);
  if (!parsed.ok) {
    return { status: { state: "Invalid" }, conditions: [ready("False", "InvalidSpec", parsed.message, gen)] };
  }
  const spec = parsed.spec;
  if (!spec.vulnerabilityIds?.length && !spec.images?.length) {
    return {
      status: { state: "Invalid" },
      conditions: [ready("False", "InvalidSpec", "spec must name vulnerabilityIds, images, or both: an exception for everything is not allowed", gen)],
    };
  }
  const expiresAt = Date.parse(spec.expiresAt);
  const remaining = expiresAt - now.getTime();
  if (remaining <= 0) {
    return {
      status: { state: "Expired", suppresses: { scanResults: 0, findings: 0 } },
      conditions: [ready("False", "Expired", `expired at ${spec.expiresAt}; it no longer suppresses anything`, gen)],
      events: [{ type: "Warning", reason: "Expired", message: `RiskException expired at ${spec.expiresAt}` }],
    };
  }
  return {
    status: { state: "Active", ...(suppresses ? { suppresses } : {}) },
    conditions: [ready("True", "Active", `active until ${spec.expiresAt} (approved by ${spec.approver})`, gen)],
    requeueAfterMs: remaining,
  };
}
