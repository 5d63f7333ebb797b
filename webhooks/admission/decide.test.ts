import { describe, expect, it } from "@jest/globals";
import { decideAdmission, gateAction, truncateUtf8 } from "./decide.js";
import { admissionReview, podSpec, verdict, workloadObject } from "./test-builders.js";
import type { AdmissionDecider, DecisionInput, GateImageVerdict, ImageVerdict } from "./types.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const OPTS = { operatorNamespace: "fixops-system", now: NOW };

/** A decider answering from a table (image → gate verdicts) and recording what it was asked. */
function tableDecider(table: Record<string, GateImageVerdict[]>, ready = true): AdmissionDecider & { calls: DecisionInput[] } {
  const calls: DecisionInput[] = [];
  return {
    calls,
    ready: () => ready,
    decide(input): ImageVerdict {
      calls.push(input);
      return { gates: table[input.image] ?? [] };
    },
  };
}

const kev = [
  { id: "CVE-2024-3094", severity: "CRITICAL" as const, kev: true },
  { id: "CVE-2023-4863", severity: "HIGH" as const, kev: true },
  { id: "GHSA-aaaa-bbbb-cccc", severity: "HIGH" as const },
  { id: "CVE-2022-0001", severity: "MEDIUM" as const },
];
const blocked = verdict({
  outcome: "BLOCK",
  topFindings: kev,
  reasons: ["2 findings in CISA KEV"],
  scanResult: "shop/api-1-4-2",
  remediationTask: "shop/api-cve-2024-3094",
});

function deployment(images: string[], labels?: Record<string, string>) {
  return workloadObject("Deployment", "api", podSpec(images.map((image, i) => ({ name: `c${i}`, image }))), labels);
}

describe("gateAction", () => {
  it.each([
    ["enforce", "ALLOW", "warn", "allow"],
    ["enforce", "BLOCK", "warn", "deny"],
    ["enforce", "NEEDS_REVIEW", "warn", "warn"],
    ["enforce", "NEEDS_REVIEW", "deny", "deny"],
    ["warn", "ALLOW", "warn", "allow"],
    ["warn", "BLOCK", "warn", "warn"],
    ["warn", "NEEDS_REVIEW", "deny", "warn"],
    ["audit", "ALLOW", "warn", "allow"],
    ["audit", "BLOCK", "warn", "audit"],
    ["audit", "NEEDS_REVIEW", "warn", "allow"],
    ["audit", "NEEDS_REVIEW", "deny", "audit"],
  ] as const)("mode %s, outcome %s, needsReview %s → %s", (mode, outcome, needsReviewAction, action) => {
    expect(gateAction(verdict({ mode, outcome, needsReviewAction }))).toBe(action);
  });
});

describe("decideAdmission", () => {
  it("denies a BLOCKed image under an enforce gate with a one-screen message naming everything to look at", () => {
    const decider = tableDecider({ "ghcr.io/acme/api:1.4.2": [blocked] });
    const res = decideAdmission(admissionReview("Deployment", deployment(["ghcr.io/acme/api:1.4.2"])), decider, OPTS);
    expect(res.evaluated).toBe(true);
    expect(res.review.response.uid).toBe("0d6a1e3c-5f7a-4c1e-9a55-1b2c3d4e5f60");
    expect(res.review.response.allowed).toBe(false);
    expect(res.review.response.status?.code).toBe(403);
    const msg = res.review.response.status!.message;
    for (const part of ['container "c0"', "ghcr.io/acme/api:1.4.2", 'gate "shop/baseline"', "CVE-2024-3094 CRITICAL KEV", "CVE-2023-4863 HIGH KEV", "(+1 more)", "ScanResult shop/api-1-4-2", "RemediationTask shop/api-cve-2024-3094"]) {
      expect(msg).toContain(part);
    }
    expect(Buffer.byteLength(msg)).toBeLessThanOrEqual(1024);
    expect(res.denyMessage).toBe(msg);
    expect(res.workload).toEqual({ kind: "Deployment", namespace: "shop", name: "api", uid: "uid-api" });
  });

  it("allows an ALLOWed image and asks the decider with namespace, image, labels and now", () => {
    const decider = tableDecider({ "ghcr.io/acme/api:1": [verdict()] });
    const res = decideAdmission(admissionReview("Deployment", deployment(["ghcr.io/acme/api:1"], { app: "api", tier: "web" })), decider, OPTS);
    expect(res.review.response).toEqual({ uid: "0d6a1e3c-5f7a-4c1e-9a55-1b2c3d4e5f60", allowed: true });
    expect(decider.calls).toHaveLength(1);
    expect(decider.calls[0]!.namespace).toBe("shop");
    expect(decider.calls[0]!.image).toBe("ghcr.io/acme/api:1");
    expect({ ...decider.calls[0]!.workloadLabels }).toEqual({ app: "api", tier: "web" });
    expect(decider.calls[0]!.now).toBe(NOW);
  });

  it.each([
    ["warn-mode BLOCK", verdict({ mode: "warn", outcome: "BLOCK", topFindings: kev }), true, "is BLOCKed: CVE-2024-3094 CRITICAL KEV"],
    ["NEEDS_REVIEW under enforce", verdict({ outcome: "NEEDS_REVIEW", reasons: ["no fix available for 3 HIGH findings"] }), true, "needs review: no fix available"],
    ["NEEDS_REVIEW with needsReviewAction deny", verdict({ outcome: "NEEDS_REVIEW", needsReviewAction: "deny", reasons: ["r"] }), false, undefined],
  ])("%s", (_why, v, allowed, warning) => {
    const res = decideAdmission(admissionReview("Pod", workloadObject("Pod", "p", podSpec([{ name: "a", image: "img:1" }]))), tableDecider({ "img:1": [v] }), OPTS);
    expect(res.review.response.allowed).toBe(allowed);
    if (warning) {
      expect(res.review.response.warnings).toHaveLength(1);
      expect(res.review.response.warnings![0]).toContain(warning);
      expect(res.review.response.warnings![0]!.length).toBeLessThanOrEqual(256);
    } else {
      expect(res.review.response.status?.code).toBe(403);
    }
  });

  it("audit mode allows, records a 'would deny' audit annotation and no warning", () => {
    const res = decideAdmission(admissionReview("Deployment", deployment(["img:1"])), tableDecider({ "img:1": [{ ...blocked, mode: "audit" }] }), OPTS);
    expect(res.review.response.allowed).toBe(true);
    expect(res.review.response.warnings).toBeUndefined();
    const note = res.review.response.auditAnnotations?.["would-deny"];
    expect(note).toContain("FixOps would deny Deployment shop/api");
    expect(note).toContain("CVE-2024-3094");
    expect(res.auditMessage).toBe(note);
    expect(res.decisions.map((d) => d.action)).toEqual(["audit"]);
  });

  it("combines gates: one enforce gate denies even when another only warns, and both are reported", () => {
    const res = decideAdmission(
      admissionReview("Deployment", deployment(["img:1", "img:2"])),
      tableDecider({ "img:1": [verdict({ gate: "shop/warn-only", mode: "warn", outcome: "BLOCK" })], "img:2": [blocked] }),
      OPTS,
    );
    expect(res.review.response.allowed).toBe(false);
    expect(res.review.response.warnings).toHaveLength(1);
    expect(res.decisions.map((d) => [d.container.image, d.verdict.gate, d.action])).toEqual([
      ["img:1", "shop/warn-only", "warn"],
      ["img:2", "shop/baseline", "deny"],
    ]);
  });

  it("asks the decider once per distinct image", () => {
    const decider = tableDecider({});
    decideAdmission(admissionReview("Deployment", deployment(["img:1", "img:1", "img:2"])), decider, OPTS);
    expect(decider.calls.map((c) => c.image)).toEqual(["img:1", "img:2"]);
  });

  it.each([
    ["kube-system", { namespace: "kube-system" }, "exempt-namespace"],
    ["the operator's namespace", { namespace: "fixops-system" }, "exempt-namespace"],
    ["a DELETE", { operation: "DELETE" as const }, "operation"],
    ["the scale subresource", { operation: "UPDATE" as const, subResource: "scale" }, "subresource"],
    ["the status subresource", { operation: "UPDATE" as const, subResource: "status" }, "subresource"],
  ])("allows %s without evaluation", (_why, opts, reason) => {
    const decider = tableDecider({ "img:1": [blocked] });
    const res = decideAdmission(admissionReview("Deployment", deployment(["img:1"]), opts), decider, OPTS);
    expect(res.review.response.allowed).toBe(true);
    expect(res.evaluated).toBe(false);
    expect(res.skipReason).toBe(reason);
    expect(decider.calls).toHaveLength(0);
  });

  it("allows kinds it does not gate (a misrouted ConfigMap or Lease) without evaluation", () => {
    const decider = tableDecider({});
    const res = decideAdmission(admissionReview("Lease", { metadata: { name: "l" }, spec: {} }), decider, OPTS);
    expect(res).toMatchObject({ evaluated: false, skipReason: "kind-not-gated" });
    expect(res.review.response.allowed).toBe(true);
  });

  it.each([
    ["replicas only (scale via the main resource)", ["img:1"], ["img:1"], undefined, false],
    ["an unchanged image but new pod labels", ["img:1"], ["img:1"], { app: "api", tier: "prod" }, true],
    ["a changed image", ["img:1"], ["img:0"], undefined, true],
  ])("UPDATE with %s → evaluated: %s", (_why, next, prev, labels, evaluated) => {
    const decider = tableDecider({ "img:1": [blocked] });
    const oldObject = deployment(prev);
    const object = deployment(next, labels);
    (object.spec as { replicas: number }).replicas = 5;
    const res = decideAdmission(admissionReview("Deployment", object, { operation: "UPDATE", oldObject }), decider, OPTS);
    expect(res.evaluated).toBe(evaluated);
    expect(res.review.response.allowed).toBe(!evaluated);
    if (!evaluated) expect(res.skipReason).toBe("unchanged");
  });

  it("names a Pod by generateName and its controller owner, for Events", () => {
    const pod = workloadObject("Pod", "x", podSpec([{ name: "a", image: "img:1" }])) as { metadata: Record<string, unknown> };
    pod.metadata = { generateName: "api-7d9f-", namespace: "shop", ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "api-7d9f", uid: "rs-uid", controller: true }] };
    const res = decideAdmission(admissionReview("Pod", pod, { name: "" }), tableDecider({ "img:1": [blocked] }), OPTS);
    expect(res.workload).toEqual({ kind: "Pod", namespace: "shop", name: "api-7d9f-*", owner: { apiVersion: "apps/v1", kind: "ReplicaSet", name: "api-7d9f", uid: "rs-uid" } });
    expect(res.denyMessage).toContain("FixOps denied Pod shop/api-7d9f-*:");
  });

  it("bounds the deny message to 1 KiB with many violations, long names and hostile characters, cutting at whole lines", () => {
    const images = Array.from({ length: 40 }, (_, i) => `registry.example.com/team/${"very-long-name-".repeat(8)}${i}:1`);
    const table: Record<string, GateImageVerdict[]> = {};
    for (const img of images) {
      table[img] = [{ ...blocked, reasons: ["x\u001b[31mred\u0007"], topFindings: [{ id: "CVE-\u001b[2J" + "9".repeat(300), severity: "CRITICAL", kev: true }] }];
    }
    const res = decideAdmission(admissionReview("Deployment", deployment(images)), tableDecider(table), OPTS);
    const msg = res.review.response.status!.message;
    expect(Buffer.byteLength(msg)).toBeLessThanOrEqual(1024);
    expect(msg.split("\n").length).toBeLessThanOrEqual(12);
    expect(msg).toMatch(/- and \d+ more/);
    // eslint-disable-next-line no-control-regex
    expect(msg).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });

  it("bounds warnings in number and length", () => {
    const images = Array.from({ length: 30 }, (_, i) => `img:${i}`);
    const table: Record<string, GateImageVerdict[]> = {};
    for (const img of images) table[img] = [verdict({ mode: "warn", outcome: "BLOCK", reasons: ["r".repeat(1000)] })];
    const res = decideAdmission(admissionReview("Deployment", deployment(images)), tableDecider(table), OPTS);
    const w = res.review.response.warnings!;
    expect(w).toHaveLength(10);
    expect(w[9]).toBe("FixOps: 21 more warnings not shown");
    for (const line of w) expect(line.length).toBeLessThanOrEqual(256);
  });

  it("lets a decider failure propagate (the server answers 500 and the webhook's failurePolicy applies)", () => {
    const decider: AdmissionDecider = {
      ready: () => true,
      decide: () => {
        throw new Error("engine bug");
      },
    };
    expect(() => decideAdmission(admissionReview("Pod", workloadObject("Pod", "p", podSpec([{ name: "a", image: "img:1" }]))), decider, OPTS)).toThrow("engine bug");
  });
});

describe("truncateUtf8", () => {
  it.each([
    ["short", 10, "short"],
    ["abcdefghij", 8, "abcde..."],
    ["ééééé", 8, "éé..."], // 2 bytes each: never split a character
    ["€€€", 7, "€..."],
  ])("%j to %d bytes → %j", (s, max, out) => {
    expect(truncateUtf8(s, max)).toBe(out);
    expect(Buffer.byteLength(truncateUtf8(s, max))).toBeLessThanOrEqual(max);
  });
});
