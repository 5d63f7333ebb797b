// Validation of FixOps' own kinds for what a Kubernetes 1.20 CRD schema cannot express (no CEL):
// cross-field rules, time relative to now, glob syntax, same-namespace references.
import { z } from "zod";
import { GROUP, IntegrationSpec, PolicyGateSpec, RemediationTaskSpec, RiskExceptionSpec, ScanResultSpec, type GateRule, type IntegrationType } from "../../api/v1alpha1/index.js";
import { checkImageGlob } from "../../engine/glob.js";
import { parseImageRef } from "../../engine/image-ref.js";
import { normaliseDigest } from "./image-index.js";
import { allow, isPlainObject, reviewResponse } from "./review.js";
import type { AdmissionReviewRequest, AdmissionReviewResponse } from "./types.js";

export interface FieldError {
  field: string;
  message: string;
}

export interface FixOpsValidationOptions {
  now: Date;
}

const MAX_SHOWN_ERRORS = 10;

/** Rule fields that are conditions (everything but the name). */
const RULE_CONDITIONS: readonly (keyof GateRule)[] = ["kev", "minSeverity", "fixAvailable", "minEpss", "minEpssPercentile", "minRiskScore", "minAgeDays", "vulnerabilityIds"];

export function validateFixOpsReview(review: AdmissionReviewRequest, opts: FixOpsValidationOptions): AdmissionReviewResponse {
  const r = review.request;
  if (r.kind.group !== GROUP || (r.operation !== "CREATE" && r.operation !== "UPDATE") || r.subResource) return allow(r.uid);
  const obj = r.object;
  if (!obj) return allow(r.uid);
  const errors = validateFixOpsObject(r.kind.kind, obj, r.operation, opts);
  if (errors.length === 0) return allow(r.uid);
  const shown = errors.slice(0, MAX_SHOWN_ERRORS).map((e) => `${e.field}: ${e.message}`);
  if (errors.length > shown.length) shown.push(`and ${errors.length - shown.length} more`);
  const name = typeof r.name === "string" && r.name ? r.name : "";
  return reviewResponse({
    uid: r.uid,
    allowed: false,
    status: { code: 422, reason: "Invalid", message: `${r.kind.kind} ${name ? `"${name}" ` : ""}is invalid: ${shown.join("; ")}` },
  });
}

/** Field errors for one FixOps object; kinds without extra rules yield none. */
export function validateFixOpsObject(kind: string, obj: Record<string, unknown>, operation: "CREATE" | "UPDATE", opts: FixOpsValidationOptions): FieldError[] {
  switch (kind) {
    case "RiskException":
      return withSpec(RiskExceptionSpec, obj, (spec) => riskException(spec, operation, opts.now));
    case "PolicyGate":
      return withSpec(PolicyGateSpec, obj, (spec, raw) => policyGate(spec, raw));
    case "ScanResult":
      return withSpec(ScanResultSpec, obj, scanResult);
    case "Integration":
      return withSpec(IntegrationSpec, obj, integration);
    case "RemediationTask":
      return withSpec(RemediationTaskSpec, obj, remediationTask);
    default:
      return [];
  }
}

/** Parses spec with the API's zod schema (the same one the CRD is generated from), then runs `rules`. */
function withSpec<S extends z.ZodType>(
  schema: S,
  obj: Record<string, unknown>,
  rules: (spec: z.infer<S>, raw: Record<string, unknown>) => FieldError[],
): FieldError[] {
  if (!isPlainObject(obj.spec)) return [{ field: "spec", message: "is required" }];
  const parsed = schema.safeParse(obj.spec);
  if (!parsed.success) {
    return parsed.error.issues.map((i) => ({ field: ["spec", ...i.path.map(String)].join("."), message: i.message }));
  }
  return rules(parsed.data, obj.spec);
}

function riskException(spec: RiskExceptionSpec, operation: "CREATE" | "UPDATE", now: Date): FieldError[] {
  const errors: FieldError[] = [];
  // On UPDATE an expired exception may still be edited (e.g. to record why it lapsed).
  if (operation === "CREATE" && Date.parse(spec.expiresAt) <= now.getTime()) {
    errors.push({ field: "spec.expiresAt", message: `must be in the future (now is ${now.toISOString()})` });
  }
  if ((spec.vulnerabilityIds?.length ?? 0) === 0 && (spec.images?.length ?? 0) === 0) {
    errors.push({ field: "spec", message: "set at least one of vulnerabilityIds or images (an exception must say what it covers)" });
  }
  (spec.images ?? []).forEach((g, i) => globCheck(g, `spec.images[${i}]`, errors));
  return errors;
}

function policyGate(spec: PolicyGateSpec, raw: Record<string, unknown>): FieldError[] {
  const errors: FieldError[] = [];
  (spec.selector.images ?? []).forEach((g, i) => globCheck(g, `spec.selector.images[${i}]`, errors));
  (spec.selector.excludeImages ?? []).forEach((g, i) => globCheck(g, `spec.selector.excludeImages[${i}]`, errors));
  for (const list of ["blockRules", "reviewRules"] as const) {
    const seen = new Set<string>();
    spec[list].forEach((rule, i) => {
      const field = `spec.${list}[${i}]`;
      if (!RULE_CONDITIONS.some((c) => rule[c] !== undefined && !(Array.isArray(rule[c]) && (rule[c] as unknown[]).length === 0))) {
        errors.push({ field, message: `rule "${rule.name}" sets no condition; set at least one of ${RULE_CONDITIONS.join(", ")}` });
      }
      if (seen.has(rule.name)) errors.push({ field: `${field}.name`, message: `duplicate rule name "${rule.name}"` });
      seen.add(rule.name);
    });
  }
  // References stay in the gate's namespace (a namespace is a tenant). The schema already limits
  // `name` to a DNS name without "/"; zod drops unknown keys, so look for `namespace` in the raw spec.
  const rawRefs = isPlainObject(raw.remediation) ? raw.remediation.integrationRefs : undefined;
  if (Array.isArray(rawRefs)) {
    rawRefs.forEach((ref: unknown, i) => {
      if (isPlainObject(ref) && ref.namespace !== undefined) {
        errors.push({ field: `spec.remediation.integrationRefs[${i}].namespace`, message: "cross-namespace references are not allowed: name an Integration in this namespace" });
      }
    });
  }
  return errors;
}

function scanResult(spec: ScanResultSpec): FieldError[] {
  const errors: FieldError[] = [];
  const sources = (["inline", "configMapKeyRef", "secretKeyRef", "storedRef"] as const).filter((k) => spec.report[k] !== undefined);
  if (sources.length !== 1) {
    errors.push({
      field: "spec.report",
      message: sources.length === 0 ? "set exactly one of inline, configMapKeyRef, secretKeyRef, storedRef" : `set exactly one report source, not ${sources.join(" and ")}`,
    });
  }
  const ref = parseImageRef(spec.artifact.image);
  if (!ref) errors.push({ field: "spec.artifact.image", message: "is not a valid image reference" });
  else if (spec.artifact.digest && ref.digest && normaliseDigest(spec.artifact.digest) !== ref.digest) {
    errors.push({ field: "spec.artifact.digest", message: `disagrees with the digest in spec.artifact.image (${ref.digest})` });
  }
  return errors;
}

/** The per-type settings block each Integration type needs (the connector cannot work without it). */
const SETTINGS_BLOCK: Partial<Record<IntegrationType, "jira" | "servicenow" | "gitlab" | "github" | "azuredevops" | "confluence">> = {
  jira: "jira",
  servicenow: "servicenow",
  gitlab: "gitlab",
  github: "github",
  azuredevops: "azuredevops",
  confluence: "confluence",
};

function integration(spec: IntegrationSpec): FieldError[] {
  const errors: FieldError[] = [];
  let url: URL | undefined;
  try {
    url = new URL(spec.url);
  } catch {
    errors.push({ field: "spec.url", message: "is not an absolute URL" });
  }
  if (url && url.protocol !== "https:" && url.protocol !== "http:") errors.push({ field: "spec.url", message: `must be http(s), not ${url.protocol.slice(0, 20)}` });
  // Credentials in the URL would be stored in clear in the object and show up in logs and events.
  if (url && (url.username || url.password)) errors.push({ field: "spec.url", message: "must not carry credentials; put them in the Secret named by credentialsSecretRef" });
  const block = SETTINGS_BLOCK[spec.type];
  if (block && !spec[block]) errors.push({ field: `spec.${block}`, message: `is required for type ${spec.type}` });
  return errors;
}

function remediationTask(spec: RemediationTaskSpec): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  spec.integrationRefs.forEach((ref, i) => {
    if (seen.has(ref.name)) errors.push({ field: `spec.integrationRefs[${i}].name`, message: `duplicate reference to Integration "${ref.name}" (one ticket per Integration)` });
    seen.add(ref.name);
  });
  return errors;
}

function globCheck(glob: string, field: string, errors: FieldError[]): void {
  // The engine's own syntax check: what it accepts here is exactly what it can match.
  const err = checkImageGlob(glob);
  if (err) errors.push({ field, message: `invalid image glob ${JSON.stringify(glob.slice(0, 100))}: ${err}` });
}
