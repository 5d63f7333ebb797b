import { describe, expect, it } from "@jest/globals";
import { admissionReview } from "./test-builders.js";
import { validateFixOpsObject, validateFixOpsReview } from "./validate-fixops.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const D = "sha256:" + "c".repeat(64);

const exception = (over: Record<string, unknown> = {}) => ({
  vulnerabilityIds: ["CVE-2024-3094"],
  expiresAt: "2026-04-01T00:00:00Z",
  approver: "sec-team",
  reason: "vendor patch pending",
  ...over,
});
const gate = (over: Record<string, unknown> = {}) => ({
  selector: { images: ["ghcr.io/acme/**"] },
  mode: "enforce",
  blockRules: [{ name: "kev", kev: true }],
  ...over,
});
const scan = (over: Record<string, unknown> = {}) => ({
  artifact: { image: "ghcr.io/acme/api:1.0", digest: D },
  report: { storedRef: { digest: D } },
  ...over,
});

const integration = (over: Record<string, unknown> = {}) => ({
  type: "jira",
  url: "https://acme.atlassian.net",
  credentialsSecretRef: { name: "jira-creds" },
  jira: { projectKey: "SEC" },
  ...over,
});
const task = (over: Record<string, unknown> = {}) => ({
  title: "CVE-2024-3094 in ghcr.io/acme/api",
  artifact: { image: "ghcr.io/acme/api:1.0" },
  clusterKey: "v1:abc",
  severity: "CRITICAL",
  integrationRefs: [{ name: "jira" }],
  ...over,
});

describe("validateFixOpsObject", () => {
  it.each([
    ["a valid RiskException", "RiskException", exception(), "CREATE", []],
    ["an expired RiskException on CREATE", "RiskException", exception({ expiresAt: "2026-03-01T11:59:59Z" }), "CREATE", ["spec.expiresAt"]],
    ["an expiry exactly now", "RiskException", exception({ expiresAt: NOW.toISOString() }), "CREATE", ["spec.expiresAt"]],
    ["an expired RiskException edited on UPDATE", "RiskException", exception({ expiresAt: "2026-01-01T00:00:00Z" }), "UPDATE", []],
    ["an exception that covers nothing", "RiskException", exception({ vulnerabilityIds: [], images: undefined }), "CREATE", ["spec"]],
    ["an exception by image only", "RiskException", exception({ vulnerabilityIds: undefined, images: ["ghcr.io/acme/*"] }), "CREATE", []],
    ["an exception with a bad image glob", "RiskException", exception({ images: ["ghcr.io/[ab]/x"] }), "CREATE", ["spec.images[0]"]],
    ["an exception with an unparseable expiry", "RiskException", exception({ expiresAt: "next tuesday" }), "CREATE", ["spec.expiresAt"]],
    ["a valid PolicyGate", "PolicyGate", gate(), "CREATE", []],
    ["a gate rule without conditions", "PolicyGate", gate({ reviewRules: [{ name: "empty" }] }), "CREATE", ["spec.reviewRules[0]"]],
    ["a gate rule whose only condition is an empty id list", "PolicyGate", gate({ blockRules: [{ name: "ids", vulnerabilityIds: [] }] }), "CREATE", ["spec.blockRules[0]"]],
    ["duplicate rule names", "PolicyGate", gate({ blockRules: [{ name: "a", kev: true }, { name: "a", minSeverity: "HIGH" }] }), "CREATE", ["spec.blockRules[1].name"]],
    ["bad include and exclude globs", "PolicyGate", gate({ selector: { images: ["ghcr.io/a b"], excludeImages: ["x/***"] } }), "CREATE", ["spec.selector.images[0]", "spec.selector.excludeImages[0]"]],
    ["an integration ref with a namespace", "PolicyGate", gate({ remediation: { integrationRefs: [{ name: "jira", namespace: "other" }] } }), "CREATE", ["spec.remediation.integrationRefs[0].namespace"]],
    ["an integration ref written ns/name", "PolicyGate", gate({ remediation: { integrationRefs: [{ name: "other/jira" }] } }), "UPDATE", ["spec.remediation.integrationRefs.0.name"]],
    ["a gate that escalates on SLA breach", "PolicyGate", gate({ remediation: { escalateOnBreach: true } }), "CREATE", []],
    ["a valid ScanResult", "ScanResult", scan(), "CREATE", []],
    ["a ScanResult with two report sources", "ScanResult", scan({ report: { inline: "{}", storedRef: { digest: D } } }), "CREATE", ["spec.report"]],
    ["a ScanResult with no report source", "ScanResult", scan({ report: {} }), "UPDATE", ["spec.report"]],
    ["a ScanResult whose digests disagree", "ScanResult", scan({ artifact: { image: `ghcr.io/acme/api@sha256:${"d".repeat(64)}`, digest: D } }), "CREATE", ["spec.artifact.digest"]],
    ["a ScanResult with an invalid image", "ScanResult", scan({ artifact: { image: "Not/An/Image" } }), "CREATE", ["spec.artifact.image"]],
    ["a missing spec", "PolicyGate", undefined, "CREATE", ["spec"]],
    ["a kind without extra rules", "Widget", { anything: true }, "CREATE", []],
    ["a valid Integration", "Integration", integration(), "CREATE", []],
    ["an Integration without its type's settings", "Integration", integration({ jira: undefined }), "CREATE", ["spec.jira"]],
    ["an Integration with a non-http URL", "Integration", integration({ url: "ftp://jira.example.com" }), "UPDATE", ["spec.url"]],
    ["an Integration with credentials in the URL", "Integration", integration({ url: "https://bob:secret@jira.example.com" }), "CREATE", ["spec.url"]],
    ["an Integration with a relative URL", "Integration", integration({ url: "jira.example.com/x" }), "CREATE", ["spec.url"]],
    ["a webhook Integration needs no settings block", "Integration", integration({ type: "webhook", jira: undefined }), "CREATE", []],
    ["a valid RemediationTask", "RemediationTask", task(), "CREATE", []],
    ["a RemediationTask naming one Integration twice", "RemediationTask", task({ integrationRefs: [{ name: "jira" }, { name: "jira" }] }), "UPDATE", ["spec.integrationRefs[1].name"]],
    ["a RemediationTask failing its schema", "RemediationTask", task({ severity: "SEVERE" }), "CREATE", ["spec.severity"]],
  ] as const)("%s", (_why, kind, spec, operation, fields) => {
    const obj = spec === undefined ? { metadata: { name: "x" } } : { metadata: { name: "x" }, spec };
    const errors = validateFixOpsObject(kind, obj as Record<string, unknown>, operation, { now: NOW });
    expect(errors.map((e) => e.field)).toEqual(fields);
    for (const e of errors) expect(e.message.length).toBeGreaterThan(0);
  });
});

describe("validateFixOpsReview", () => {
  it("denies with 422 and every field error in one message", () => {
    const review = admissionReview("RiskException", { metadata: { name: "rex" }, spec: exception({ expiresAt: "2020-01-01T00:00:00Z", vulnerabilityIds: [] }) });
    const res = validateFixOpsReview(review, { now: NOW });
    expect(res.response.allowed).toBe(false);
    expect(res.response.uid).toBe(review.request.uid);
    expect(res.response.status?.code).toBe(422);
    expect(res.response.status?.message).toMatch(/^RiskException "rex" is invalid: spec.expiresAt: must be in the future .*; spec: set at least one of vulnerabilityIds or images/);
  });

  it.each([
    ["a valid object", admissionReview("PolicyGate", { metadata: { name: "g" }, spec: gate() })],
    ["a DELETE", admissionReview("PolicyGate", null, { operation: "DELETE" })],
    ["a status update", admissionReview("RiskException", { metadata: { name: "r" }, spec: exception({ expiresAt: "2020-01-01T00:00:00Z" }) }, { subResource: "status" })],
  ])("allows %s", (_why, review) => {
    expect(validateFixOpsReview(review, { now: NOW }).response).toEqual({ uid: review.request.uid, allowed: true });
  });

  it("caps the number of errors listed", () => {
    const images = Array.from({ length: 25 }, () => "bad glob");
    const res = validateFixOpsReview(admissionReview("PolicyGate", { metadata: { name: "g" }, spec: gate({ selector: { images } }) }), { now: NOW });
    expect(res.response.status?.message).toContain("and 15 more");
  });
});
