// Pure: validate a RemediationTask's references (the state machine and SLA come with remediation).
import { RemediationTaskSpec, type RemediationTaskResource, type RemediationTaskStatus } from "../../api/v1alpha1/index.js";
import { ready } from "../shared/ready.js";
import type { Plan } from "../shared/reconcile-status.js";
import { parseSpec } from "../shared/spec.js";

export type RemediationTaskPlan = Plan<Omit<RemediationTaskStatus, "conditions" | "observedGeneration">>;

export function validateRemediationTask(obj: RemediationTaskResource, integrations: ReadonlySet<string>): { ok: true; spec: RemediationTaskSpec } | { ok: false; reason: string; message: string } {
  const parsed = parseSpec(RemediationTaskSpec, obj.spec);
  if (!parsed.ok) return { ok: false, reason: "InvalidSpec", message: parsed.message };
  const missing = parsed.spec.integrationRefs.map((r) => r.name).filter((n) => !integrations.has(n));
  if (missing.length) {
    return {
      ok: false,
      reason: "IntegrationNotFound",
      message: `integrationRefs names ${missing.map((m) => JSON.stringify(m)).join(", ")}, not found in namespace ${obj.metadata.namespace}`,
    };
  }
  return { ok: true, spec: parsed.spec };
}
