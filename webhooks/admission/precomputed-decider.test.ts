import { describe, expect, it } from "@jest/globals";
import { ImageDecisionIndex } from "./image-index.js";
import { PrecomputedVerdictDecider, matchesLabelSelector, type AdmissionGate, type PrecomputedAssessment } from "./precomputed-decider.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const D = "sha256:" + "e".repeat(64);
const labels = (l: Record<string, string>) => Object.assign(Object.create(null) as Record<string, string>, l);

const gate = (over: Partial<AdmissionGate>): AdmissionGate => ({ name: "baseline", mode: "enforce", needsReviewAction: "warn", missingScan: "review", ...over });

function setup() {
  const index = new ImageDecisionIndex<PrecomputedAssessment>();
  index.upsert({
    scanResult: { namespace: "shop", name: "api-scan" },
    image: "ghcr.io/acme/api:1.0",
    digest: D,
    assessment: {
      gates: {
        baseline: { outcome: "BLOCK", reasons: ["KEV"], topFindings: [{ id: "CVE-2024-3094", severity: "CRITICAL", kev: true }], remediationTask: "shop/api-cve" },
      },
    },
  });
  const decider = new PrecomputedVerdictDecider(index);
  return { index, decider };
}

describe("PrecomputedVerdictDecider", () => {
  it("keeps an image's verdicts until the index or the gates change", () => {
    const { index, decider } = setup();
    decider.setGates("shop", [gate({})]);
    const img = `ghcr.io/acme/api@${D}`;
    const first = decider.decide({ namespace: "shop", image: img, workloadLabels: labels({}), now: NOW });
    expect(decider.decide({ namespace: "shop", image: img, workloadLabels: labels({}), now: NOW }).gates[0]).toBe(first.gates[0]);
    index.upsert({ scanResult: { namespace: "shop", name: "api-scan" }, image: "ghcr.io/acme/api:1.0", digest: D, assessment: { gates: { baseline: { outcome: "ALLOW", reasons: [], topFindings: [] } } } });
    expect(decider.decide({ namespace: "shop", image: img, workloadLabels: labels({}), now: NOW }).gates[0]!.outcome).toBe("ALLOW");
    decider.setGates("shop", [gate({ mode: "audit" })]);
    expect(decider.decide({ namespace: "shop", image: img, workloadLabels: labels({}), now: NOW }).gates[0]).toMatchObject({ mode: "audit", outcome: "ALLOW" });
    decider.setGates("shop", [gate({ workloads: { matchLabels: { tier: "web" } } })]);
    expect(decider.decide({ namespace: "shop", image: img, workloadLabels: labels({}), now: NOW }).gates).toEqual([]);
    expect(decider.decide({ namespace: "shop", image: img, workloadLabels: labels({ tier: "web" }), now: NOW }).gates).toHaveLength(1);
  });

  it("returns the precomputed per-gate outcome with the ScanResult and RemediationTask to look at", () => {
    const { decider } = setup();
    decider.setGates("shop", [gate({})]);
    expect(decider.decide({ namespace: "shop", image: `ghcr.io/acme/api@${D}`, workloadLabels: labels({}), now: NOW })).toEqual({
      gates: [
        {
          gate: "baseline",
          mode: "enforce",
          outcome: "BLOCK",
          needsReviewAction: "warn",
          reasons: ["KEV"],
          topFindings: [{ id: "CVE-2024-3094", severity: "CRITICAL", kev: true }],
          scanResult: "shop/api-scan",
          remediationTask: "shop/api-cve",
        },
      ],
    });
  });

  it.each([
    ["allow", "ALLOW"],
    ["review", "NEEDS_REVIEW"],
    ["block", "BLOCK"],
  ] as const)("applies missingScan %s to an image with no ScanResult", (missingScan, outcome) => {
    const { decider } = setup();
    decider.setGates("shop", [gate({ missingScan })]);
    const v = decider.decide({ namespace: "shop", image: "ghcr.io/acme/unknown:1", workloadLabels: labels({}), now: NOW });
    expect(v.gates.map((g) => [g.outcome, g.scanResult])).toEqual([[outcome, undefined]]);
    expect(v.gates[0]!.reasons[0]).toContain("no ScanResult");
  });

  it("treats a scan that a gate has not evaluated yet as missing for that gate", () => {
    const { decider } = setup();
    decider.setGates("shop", [gate({ name: "constructor", missingScan: "block" })]);
    const v = decider.decide({ namespace: "shop", image: "ghcr.io/acme/api:1.0", workloadLabels: labels({}), now: NOW });
    expect(v.gates.map((g) => [g.gate, g.outcome, g.scanResult])).toEqual([["constructor", "BLOCK", "shop/api-scan"]]);
  });

  it.each([
    ["no gates in the namespace", "other", {}, [], 0],
    ["an image glob that does not select it", "shop", {}, [gate({ images: ["docker.io/**"] })], 0],
    ["an image glob on the normalised name", "shop", {}, [gate({ images: ["ghcr.io/acme/api:1.*"] })], 1],
    ["an exclude glob", "shop", {}, [gate({ excludeImages: ["ghcr.io/acme/*"] })], 0],
    ["a workload selector that does not match", "shop", { tier: "test" }, [gate({ workloads: { matchLabels: { tier: "prod" } } })], 0],
    ["a workload selector that matches", "shop", { tier: "prod" }, [gate({ workloads: { matchLabels: { tier: "prod" } } })], 1],
    ["two gates", "shop", {}, [gate({}), gate({ name: "audit", mode: "audit" })], 2],
  ])("gate selection: %s", (_why, namespace, l, gates, count) => {
    const { decider } = setup();
    decider.setGates("shop", gates);
    expect(decider.decide({ namespace, image: "ghcr.io/acme/api:1.0", workloadLabels: labels(l), now: NOW }).gates).toHaveLength(count);
  });

  it("is ready once the index has synced", () => {
    const { index, decider } = setup();
    expect(decider.ready()).toBe(false);
    index.markSynced();
    expect(decider.ready()).toBe(true);
  });
});

describe("matchesLabelSelector", () => {
  it.each([
    [{}, {}, true],
    [{ matchLabels: { a: "1" } }, { a: "1", b: "2" }, true],
    [{ matchLabels: { a: "1" } }, { a: "2" }, false],
    [{ matchExpressions: [{ key: "a", operator: "In" as const, values: ["1", "2"] }] }, { a: "2" }, true],
    [{ matchExpressions: [{ key: "a", operator: "In" as const, values: ["1"] }] }, {}, false],
    [{ matchExpressions: [{ key: "a", operator: "NotIn" as const, values: ["1"] }] }, {}, true],
    [{ matchExpressions: [{ key: "a", operator: "NotIn" as const, values: ["1"] }] }, { a: "1" }, false],
    [{ matchExpressions: [{ key: "a", operator: "Exists" as const }] }, { a: "" }, true],
    [{ matchExpressions: [{ key: "a", operator: "DoesNotExist" as const }] }, { a: "" }, false],
    [{ matchExpressions: [{ key: "toString", operator: "Exists" as const }] }, {}, false],
  ])("%j on %j → %s", (sel, l, match) => {
    expect(matchesLabelSelector(sel, labels(l))).toBe(match);
  });
});
