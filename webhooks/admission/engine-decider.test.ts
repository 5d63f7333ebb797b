import { describe, expect, it } from "@jest/globals";
import { analyseReports, parseReport, type ArtifactAssessment } from "../../engine/index.js";
import { EngineDecider } from "./engine-decider.js";
import { ImageDecisionIndex } from "./image-index.js";

const NOW = new Date("2026-01-10T00:00:00Z");

function trivy(image: string, vulns: { id: string; severity: string }[]): string {
  return JSON.stringify({
    SchemaVersion: 2,
    ArtifactName: image,
    ArtifactType: "container_image",
    Results: [{ Target: `${image} (debian 12)`, Class: "os-pkgs", Type: "debian", Vulnerabilities: vulns.map((v) => ({ VulnerabilityID: v.id, PkgName: "openssl", InstalledVersion: "3.0.1", Severity: v.severity })) }],
  });
}

function assessment(image: string, vulns: { id: string; severity: string }[]): ArtifactAssessment {
  return analyseReports([parseReport(trivy(image, vulns))], { feeds: {}, asOf: NOW, image, scannedAt: "2026-01-09T00:00:00Z" }).assessment;
}

const gate = (name: string, spec: object) => ({ metadata: { name, namespace: "shop" }, spec });
const input = (image: string, namespace = "shop") => ({ namespace, image, workloadLabels: { app: "api" }, now: NOW });

function setup() {
  const index = new ImageDecisionIndex<ArtifactAssessment>();
  index.upsert({ scanResult: { namespace: "shop", name: "api-1" }, image: "ghcr.io/acme/api:1.0", assessment: assessment("ghcr.io/acme/api:1.0", [{ id: "CVE-2024-0001", severity: "CRITICAL" }, { id: "CVE-2024-0002", severity: "LOW" }]) });
  index.upsert({ scanResult: { namespace: "shop", name: "web-1" }, image: "ghcr.io/acme/web:2.0", assessment: assessment("ghcr.io/acme/web:2.0", [{ id: "CVE-2024-0003", severity: "LOW" }]) });
  const d = new EngineDecider(index);
  return { index, d };
}

describe("EngineDecider", () => {
  it("blocks a CRITICAL finding under a block rule, naming the gate, the finding and the ScanResult", () => {
    const { d } = setup();
    d.setGates("shop", [gate("prod", { mode: "enforce", blockRules: [{ name: "crit", minSeverity: "CRITICAL" }] })]);
    const v = d.decide(input("ghcr.io/acme/api:1.0"));
    expect(v.gates).toHaveLength(1);
    expect(v.gates[0]).toMatchObject({ gate: "prod", mode: "enforce", outcome: "BLOCK", needsReviewAction: "warn", scanResult: "shop/api-1" });
    expect(v.gates[0]!.topFindings[0]).toEqual({ id: "CVE-2024-0001", severity: "CRITICAL" });
  });

  it("allows an image with only LOW findings, and answers no gates in a namespace without gates", () => {
    const { d } = setup();
    d.setGates("shop", [gate("prod", { mode: "enforce", blockRules: [{ name: "crit", minSeverity: "CRITICAL" }] })]);
    expect(d.decide(input("ghcr.io/acme/web:2.0")).gates[0]).toMatchObject({ outcome: "ALLOW", topFindings: [] });
    expect(d.decide(input("ghcr.io/acme/api:1.0", "other")).gates).toEqual([]);
  });

  it("follows missingScan for an image without a ScanResult", () => {
    const { d } = setup();
    d.setGates("shop", [gate("strict", { mode: "enforce", missingScan: "block" }), gate("lax", { mode: "warn", missingScan: "allow" })]);
    const v = d.decide(input("ghcr.io/acme/unknown:9"));
    expect(v.gates.map((g) => [g.gate, g.outcome, g.scanResult])).toEqual([
      ["strict", "BLOCK", undefined],
      ["lax", "ALLOW", undefined],
    ]);
    expect(v.gates[0]!.reasons.join(" ")).toContain("missingScan: block");
  });

  it("applies an active RiskException, and stops when it is removed", () => {
    const { d } = setup();
    d.setGates("shop", [gate("prod", { mode: "enforce", blockRules: [{ name: "crit", minSeverity: "CRITICAL" }] })]);
    d.setExceptions("shop", [{ metadata: { name: "accepted", namespace: "shop" }, spec: { vulnerabilityIds: ["CVE-2024-0001"], expiresAt: "2026-02-01T00:00:00Z", approver: "bob", reason: "not reachable" } }]);
    expect(d.decide(input("ghcr.io/acme/api:1.0")).gates[0]!.outcome).toBe("ALLOW");
    d.setExceptions("shop", []);
    expect(d.decide(input("ghcr.io/acme/api:1.0")).gates[0]!.outcome).toBe("BLOCK");
  });

  it("escalates a gate with escalateOnBreach to BLOCK while its task for the image is past its SLA, and names the task", () => {
    const { d } = setup();
    const escalating = { mode: "enforce", blockRules: [{ name: "crit", minSeverity: "CRITICAL" }], remediation: { escalateOnBreach: true } };
    d.setGates("shop", [gate("prod", escalating), gate("plain", { mode: "enforce", blockRules: [{ name: "crit", minSeverity: "CRITICAL" }] })]);
    const task = (name: string, gateName: string, breached: boolean, state = "ASSIGNED") => ({
      metadata: { name, namespace: "shop" },
      spec: { artifact: { image: "ghcr.io/acme/web:2.0" }, gateRef: { name: gateName }, vulnerabilityIds: ["CVE-2024-0003"] },
      status: { state, sla: { dueAt: "2026-01-05T00:00:00Z", breached } },
    });
    d.setTasks("shop", [task("rt-web", "prod", false)]);
    expect(d.decide(input("ghcr.io/acme/web:2.0")).gates.map((g) => g.outcome)).toEqual(["ALLOW", "ALLOW"]);

    d.setTasks("shop", [task("rt-web", "prod", true)]);
    const v = d.decide(input("ghcr.io/acme/web:2.0"));
    expect(v.gates.map((g) => [g.gate, g.outcome])).toEqual([["prod", "BLOCK"], ["plain", "ALLOW"]]);
    expect(v.gates[0]!.reasons[0]).toBe("SLA breached: RemediationTask rt-web (CVE-2024-0003) was due 2026-01-05T00:00:00Z (escalateOnBreach blocks new rollouts until resolved)");
    expect(v.gates[0]!.remediationTask).toBe("shop/rt-web");
    expect(v.gates[0]!.note).toBe(v.gates[0]!.reasons[0]);
    // Another image is not affected; a resolved task no longer escalates.
    const other = d.decide(input("ghcr.io/acme/api:1.0")).gates[0]!;
    expect(other.outcome).toBe("BLOCK");
    expect(other.remediationTask).toBeUndefined();
    d.setTasks("shop", [task("rt-web", "prod", true, "RESOLVED")]);
    expect(d.decide(input("ghcr.io/acme/web:2.0")).gates[0]!.outcome).toBe("ALLOW");
  });

  it("keeps its verdicts across task changes a verdict does not read (state between open states, tickets), drops them when a breach starts", () => {
    const { d } = setup();
    d.setGates("shop", [gate("prod", { mode: "enforce", blockRules: [{ name: "crit", minSeverity: "CRITICAL" }], remediation: { escalateOnBreach: true } })]);
    const task = (state: string, breached: boolean, ticket?: string) => ({
      metadata: { name: "rt-web", namespace: "shop" },
      spec: { artifact: { image: "ghcr.io/acme/web:2.0" }, gateRef: { name: "prod" }, vulnerabilityIds: ["CVE-2024-0003"] },
      status: { state, sla: { dueAt: "2026-01-05T00:00:00Z", breached }, ...(ticket ? { tickets: [{ integration: "jira", key: ticket }] } : {}) },
    });
    d.setTasks("shop", [task("OPEN", false)]);
    const first = d.decide(input("ghcr.io/acme/web:2.0")).gates[0]!;
    d.setTasks("shop", [task("ASSIGNED", false, "OPS-1")]);
    d.setTasks("shop", [task("IN_PROGRESS", false, "OPS-1")]);
    expect(d.decide(input("ghcr.io/acme/web:2.0")).gates[0]).toBe(first);
    d.setTasks("shop", [task("IN_PROGRESS", true, "OPS-1")]);
    expect(d.decide(input("ghcr.io/acme/web:2.0")).gates[0]!.outcome).toBe("BLOCK");
  });

  it("names the open task of the blocked image in the verdict", () => {
    const { d } = setup();
    d.setGates("shop", [gate("prod", { mode: "enforce", blockRules: [{ name: "crit", minSeverity: "CRITICAL" }] })]);
    const open = (name: string) => ({ metadata: { name, namespace: "shop" }, spec: { artifact: { image: "ghcr.io/acme/api:1.0" }, gateRef: { name: "prod" } }, status: { state: "OPEN" } });
    d.setTasks("shop", [open("rt-a"), open("rt-b")]);
    expect(d.decide(input("ghcr.io/acme/api:1.0")).gates[0]!.remediationTask).toBe("shop/rt-a (+1 more)");
  });

  it("selects gates by workload labels and image globs; skips gates whose spec is invalid", () => {
    const { d } = setup();
    d.setGates("shop", [
      gate("only-db", { mode: "enforce", selector: { workloads: { matchLabels: { app: "db" } } }, blockRules: [{ name: "crit", minSeverity: "CRITICAL" }] }),
      gate("only-web", { mode: "enforce", selector: { images: ["ghcr.io/acme/web:*"] }, blockRules: [{ name: "crit", minSeverity: "CRITICAL" }] }),
      gate("broken", { mode: "nonsense" }),
    ]);
    expect(d.decide(input("ghcr.io/acme/api:1.0")).gates).toEqual([]);
    expect(d.decide(input("ghcr.io/acme/web:2.0")).gates.map((g) => g.gate)).toEqual(["only-web"]);
  });

  it("keeps an image's verdicts between requests, filtering by each workload's labels", () => {
    const { d } = setup();
    d.setGates("shop", [
      gate("only-db", { mode: "enforce", selector: { workloads: { matchLabels: { app: "db" } } }, blockRules: [{ name: "crit", minSeverity: "CRITICAL" }] }),
      gate("all", { mode: "warn", blockRules: [{ name: "crit", minSeverity: "CRITICAL" }] }),
    ]);
    const api = d.decide(input("ghcr.io/acme/api:1.0"));
    expect(api.gates.map((g) => g.gate)).toEqual(["all"]);
    const db = d.decide({ ...input("ghcr.io/acme/api:1.0"), workloadLabels: { app: "db" } });
    expect(db.gates.map((g) => [g.gate, g.outcome])).toEqual([
      ["only-db", "BLOCK"],
      ["all", "BLOCK"],
    ]);
    // The second request reuses the verdict computed for the first (same object, same message texts).
    expect(db.gates[1]).toBe(api.gates[0]);
  });

  it("recomputes a kept verdict when the index, the gates or the exceptions change", () => {
    const { index, d } = setup();
    d.setGates("shop", [gate("prod", { mode: "enforce", blockRules: [{ name: "crit", minSeverity: "CRITICAL" }] })]);
    expect(d.decide(input("ghcr.io/acme/web:2.0")).gates[0]!.outcome).toBe("ALLOW");
    index.upsert({ scanResult: { namespace: "shop", name: "web-1" }, image: "ghcr.io/acme/web:2.0", assessment: assessment("ghcr.io/acme/web:2.0", [{ id: "CVE-2024-0009", severity: "CRITICAL" }]) });
    expect(d.decide(input("ghcr.io/acme/web:2.0")).gates[0]!.outcome).toBe("BLOCK");
    d.setExceptions("shop", [{ metadata: { name: "ok", namespace: "shop" }, spec: { vulnerabilityIds: ["CVE-2024-0009"], expiresAt: "2026-02-01T00:00:00Z", approver: "bob", reason: "r" } }]);
    expect(d.decide(input("ghcr.io/acme/web:2.0")).gates[0]!.outcome).toBe("ALLOW");
    d.setGates("shop", [gate("prod", { mode: "enforce", missingScan: "block" })]);
    expect(d.decide(input("ghcr.io/acme/web:2.0")).gates[0]!.outcome).toBe("ALLOW");
    index.delete({ namespace: "shop", name: "web-1" });
    expect(d.decide(input("ghcr.io/acme/web:2.0")).gates[0]!.outcome).toBe("BLOCK");
  });

  it("recomputes a kept verdict once an exception it relied on expires (no change event needed)", () => {
    const { d } = setup();
    d.setGates("shop", [gate("prod", { mode: "enforce", blockRules: [{ name: "crit", minSeverity: "CRITICAL" }] })]);
    d.setExceptions("shop", [{ metadata: { name: "short", namespace: "shop" }, spec: { vulnerabilityIds: ["CVE-2024-0001"], expiresAt: "2026-01-10T01:00:00Z", approver: "bob", reason: "r" } }]);
    expect(d.decide(input("ghcr.io/acme/api:1.0")).gates[0]!.outcome).toBe("ALLOW");
    expect(d.decide({ ...input("ghcr.io/acme/api:1.0"), now: new Date("2026-01-10T00:59:59Z") }).gates[0]!.outcome).toBe("ALLOW");
    expect(d.decide({ ...input("ghcr.io/acme/api:1.0"), now: new Date("2026-01-10T01:00:00Z") }).gates[0]!.outcome).toBe("BLOCK");
  });

  it("is ready only when both the index and the gates have synced", () => {
    const { index, d } = setup();
    expect(d.ready()).toBe(false);
    index.markSynced();
    expect(d.ready()).toBe(false);
    d.markGatesSynced();
    expect(d.ready()).toBe(true);
  });
});
