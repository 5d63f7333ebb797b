// Pure: validate an Integration and turn the credential check's outcome into status.
import { IntegrationSpec, type IntegrationResource, type IntegrationStatus, type IntegrationType } from "../../api/v1alpha1/index.js";
import { ready } from "../shared/ready.js";
import type { Plan } from "../shared/reconcile-status.js";
import { parseSpec } from "../shared/spec.js";

export type IntegrationPlan = Plan<Omit<IntegrationStatus, "conditions" | "observedGeneration">>;

/** Per-type settings block that must be present, and the Secret keys the connector reads. */
export const TYPE_REQUIREMENTS: Record<IntegrationType, { block?: keyof IntegrationSpec; secretKeys: string[][] }> = {
  jira: { block: "jira", secretKeys: [["username", "token"], ["token"]] },
  servicenow: { block: "servicenow", secretKeys: [["username", "password"]] },
  gitlab: { block: "gitlab", secretKeys: [["token"]] },
  github: { block: "github", secretKeys: [["token"]] },
  azuredevops: { block: "azuredevops", secretKeys: [["token"]] },
  slack: { secretKeys: [["url"]] },
  confluence: { block: "confluence", secretKeys: [["username", "token"], ["token"]] },
  webhook: { secretKeys: [["secret"]] },
};

export type SpecCheck = { ok: true; spec: IntegrationSpec } | { ok: false; message: string };

export function validateIntegration(obj: IntegrationResource, checkUrl: (url: string, spec: IntegrationSpec) => string | undefined): SpecCheck {
  const parsed = parseSpec(IntegrationSpec, obj.spec);
  if (!parsed.ok) return parsed;
  const spec = parsed.spec;
  const req = TYPE_REQUIREMENTS[spec.type];
  if (req.block && !spec[req.block]) return { ok: false, message: `type ${spec.type} needs spec.${String(req.block)}` };
  if (!spec.credentialsSecretRef) return { ok: false, message: `type ${spec.type} needs spec.credentialsSecretRef (a Secret in namespace ${obj.metadata.namespace})` };
  const urlProblem = checkUrl(spec.url, spec);
  if (urlProblem) return { ok: false, message: `spec.url: ${urlProblem}` };
  return { ok: true, spec };
}

/** Which credential key set the Secret satisfies, or a message naming what is missing. */
export function checkSecretKeys(type: IntegrationType, keys: ReadonlySet<string>): string | undefined {
  const sets = TYPE_REQUIREMENTS[type].secretKeys;
  if (sets.some((set) => set.every((k) => keys.has(k)))) return undefined;
  return `Secret must hold ${sets.map((s) => s.join("+")).join(" or ")} for type ${type}`;
}

export type CredentialOutcome =
  | { kind: "ok"; account: string }
  | { kind: "rejected"; message: string }
  | { kind: "unreachable"; message: string }
  | { kind: "unsupported"; message: string };

export function planFromCredentialCheck(obj: IntegrationResource, outcome: CredentialOutcome, now: Date, recheckMs: number): IntegrationPlan {
  const gen = obj.metadata.generation;
  const lastCheckTime = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  const keep = { lastSync: obj.status?.lastSync };
  switch (outcome.kind) {
    case "ok":
      return {
        status: { ...keep, account: outcome.account, lastCheckTime },
        conditions: [ready("True", "CredentialsVerified", `authenticated to ${obj.spec.url} as ${outcome.account}`, gen)],
        requeueAfterMs: recheckMs,
      };
    case "rejected":
      return {
        status: { ...keep, lastCheckTime },
        conditions: [ready("False", "CredentialsRejected", outcome.message, gen)],
        events: [{ type: "Warning", reason: "CredentialsRejected", message: outcome.message }],
        requeueAfterMs: recheckMs,
      };
    case "unreachable":
      return {
        status: { ...keep, lastCheckTime },
        conditions: [ready("False", "Unreachable", outcome.message, gen)],
        requeueAfterMs: Math.min(recheckMs, 60_000),
      };
    case "unsupported":
      return { status: { ...keep }, conditions: [ready("Unknown", "CredentialCheckUnavailable", outcome.message, gen)] };
  }
}
