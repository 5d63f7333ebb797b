import { describe, expect, it } from "@jest/globals";
import type { PolicyGateResource, RiskExceptionResource, ScanResultResource } from "../../api/v1alpha1/index.js";
import { analyseReports, parseReport } from "../../engine/index.js";
import { MAX_REASON_CHARS, REPORT_RECHECK_MS, planScanResult, type Analysed } from "./decide.js";

const NS = "team-a";
const IMAGE = "ghcr.io/acme/api:1.4.2";

function trivy(vulns: { id: string; sev: string; pkg?: string; title?: string }[]): string {
  return JSON.stringify({
    SchemaVersion: 2,
    ArtifactName: IMAGE,
    ArtifactType: "container_image",
    Results: [
      {
        Target: "app",
        Class: "lang-pkgs",
        Type: "jar",
        Vulnerabilities: vulns.map((v, i) => ({
          VulnerabilityID: v.id,
          PkgName: v.pkg ?? `pkg-${i}`,
          InstalledVersion: "1.0.0",
          FixedVersion: "2.0.0",
          Severity: v.sev,
          ...(v.title ? { Title: v.title } : {}),
        })),
      },
    ],
  });
}

const now0 = new Date("2026-06-01T00:00:00.000Z");

function analysed(vulns: Parameters<typeof trivy>[0]): Analysed {
  const r = parseReport(trivy(vulns), { format: "trivy" });
  return { digest: "sha256:" + "a".repeat(64), format: "trivy", analysis: analyseReports([r], { feeds: {}, asOf: now0, image: IMAGE }) };
}

const scan = (status?: ScanResultResource["status"]): ScanResultResource => ({
  apiVersion: "fixops.io/v1alpha1",
  kind: "ScanResult",
  metadata: { name: "api", namespace: NS, generation: 2 },
  spec: { artifact: { image: IMAGE }, report: { inline: "{}" } },
  ...(status ? { status } : {}),
});

const gate = (name: string, spec: Partial<PolicyGateResource["spec"]>, namespace = NS): PolicyGateResource => ({
  apiVersion: "fixops.io/v1alpha1",
  kind: "PolicyGate",
  metadata: { name, namespace },
  spec: { mode: "enforce", ...spec } as PolicyGateResource["spec"],
});

const exception = (name: string, expiresAt: string, ids = ["CVE-2021-44228"], namespace = NS): RiskExceptionResource => ({
  apiVersion: "fixops.io/v1alpha1",
  kind: "RiskException",
  metadata: { name, namespace },
  spec: { vulnerabilityIds: ids, expiresAt, approver: "alice", reason: "pending" },
});

const log4j = analysed([{ id: "CVE-2021-44228", sev: "CRITICAL", pkg: "log4j-core" }]);
const blockCritical = gate("block-critical", { blockRules: [{ name: "critical", minSeverity: "CRITICAL" }] });

describe("planScanResult", () => {
  it("re-reads a report kept in a ConfigMap or Secret every REPORT_RECHECK_MS; an inline one only when something changes", () => {
    expect(planScanResult(scan(), log4j, [blockCritical], [], now0).requeueAfterMs).toBeUndefined();
    const inConfigMap = { ...scan(), spec: { artifact: { image: IMAGE }, report: { configMapKeyRef: { name: "reports", key: "trivy.json" } } } } as ScanResultResource;
    expect(planScanResult(inConfigMap, log4j, [blockCritical], [], now0).requeueAfterMs).toBe(REPORT_RECHECK_MS);
    // An exception expiring sooner still wins.
    expect(planScanResult(inConfigMap, log4j, [blockCritical], [exception("soon", "2026-06-01T00:00:06Z")], now0).requeueAfterMs).toBe(6000);
  });

  it.each([
    ["no gate in the namespace → default gate blocks CRITICAL", [], [], "BLOCK", ["default"]],
    ["gate of another namespace is ignored (default gate applies)", [gate("other", { blockRules: [] }, "team-b")], [], "BLOCK", ["default"]],
    ["namespace gate blocks CRITICAL", [blockCritical], [], "BLOCK", ["block-critical"]],
    ["gate with only a HIGH review rule → NEEDS_REVIEW", [gate("review", { reviewRules: [{ name: "high", minSeverity: "HIGH" }] })], [], "NEEDS_REVIEW", ["review"]],
    ["active exception lifts the block", [blockCritical], [exception("log4j-ok", "2026-06-01T00:00:06Z")], "ALLOW", ["block-critical"]],
    ["exception of another namespace does not apply", [blockCritical], [exception("x", "2026-06-01T00:00:06Z", undefined, "team-b")], "BLOCK", ["block-critical"]],
    ["exception for another id does not apply", [blockCritical], [exception("x", "2026-06-01T00:00:06Z", ["CVE-2000-0001"])], "BLOCK", ["block-critical"]],
  ] as const)("%s", (_n, gates, excs, outcome, gateNames) => {
    const p = planScanResult(scan(), log4j, gates, excs, now0);
    expect(p.status.decision!.outcome).toBe(outcome);
    expect(p.status.decision!.gates.map((g) => g.name)).toEqual(gateNames);
    expect(p.conditions[0]).toMatchObject({ type: "Ready", status: "True", reason: "Decided", observedGeneration: 2 });
    expect(p.status.reportDigest).toBe(log4j.digest);
    expect(p.status.format).toBe("trivy");
    expect(p.status.summary!.bySeverity.CRITICAL).toBe(1);
  });

  it("names the gate and rule in the BLOCK reasons", () => {
    const p = planScanResult(scan(), log4j, [blockCritical], [], now0);
    expect(p.status.decision!.gates[0]!.reasons.join("\n")).toMatch(/critical/);
    expect(p.status.decision!.gates[0]!.reasons.join("\n")).toContain("CVE-2021-44228");
  });

  describe("exception expiry at the exact instant", () => {
    const expiresAt = "2026-06-01T00:00:06.000Z";
    const excs = [exception("log4j-ok", expiresAt)];
    it.each([
      ["1 ms before expiry", new Date(Date.parse(expiresAt) - 1), "ALLOW", 1],
      ["6 s before expiry", now0, "ALLOW", 6000],
      ["at the expiry instant", new Date(expiresAt), "BLOCK", undefined],
      ["after expiry", new Date(Date.parse(expiresAt) + 1000), "BLOCK", undefined],
    ] as const)("%s → %s", (_n, now, outcome, requeue) => {
      const p = planScanResult(scan(), log4j, [blockCritical], excs, now);
      expect(p.status.decision!.outcome).toBe(outcome);
      if (outcome === "ALLOW") expect(p.status.decision!.exceptionsApplied).toEqual(["log4j-ok"]);
      else expect(p.status.decision!.exceptionsApplied ?? []).toEqual([]);
      if (requeue !== undefined) expect(p.requeueAfterMs).toBe(requeue);
      else expect(p.requeueAfterMs === undefined || p.requeueAfterMs > 0).toBe(true);
    });
  });

  it("emits DecisionChanged only when the outcome differs from the current status", () => {
    const first = planScanResult(scan(), log4j, [blockCritical], [], now0);
    expect(first.events).toEqual([expect.objectContaining({ type: "Warning", reason: "DecisionChanged" })]);
    expect(first.events![0]!.message).toContain("none → BLOCK");

    const same = planScanResult(scan(first.status), log4j, [blockCritical], [], new Date(now0.getTime() + 60_000));
    expect(same.events).toBeUndefined();
    // Nothing changed but the clock: decidedAt is kept so the status is not rewritten.
    expect(same.status.decision!.decidedAt).toBe(first.status.decision!.decidedAt);

    const allowed = planScanResult(scan(first.status), log4j, [blockCritical], [exception("ok", "2027-01-01T00:00:00Z")], now0);
    expect(allowed.events).toEqual([expect.objectContaining({ type: "Normal", reason: "DecisionChanged" })]);
    expect(allowed.events![0]!.message).toContain("BLOCK → ALLOW");
  });

  it.each([
    ["InvalidSpec", "spec.report must have exactly one of inline, configMapKeyRef, secretKeyRef, storedRef (found none)"],
    ["ReportNotFound", "ConfigMap team-a/reports not found"],
    ["ReportUnparseable", "trivy: unexpected token (line 1, column 3)"],
    ["ReportNotFound", "no report sha256:00 is stored for namespace team-a (store it with `fixops push --namespace team-a`)"],
  ] as const)("failure %s → Ready=False with the message", (reason, message) => {
    const p = planScanResult(scan(), { reason, message }, [blockCritical], [], now0);
    expect(p.conditions[0]).toMatchObject({ type: "Ready", status: "False", reason, message, observedGeneration: 2 });
    expect(p.status.decision).toBeUndefined();
    expect(p.requeueAfterMs).toBeUndefined();
  });

  it("stays well under 64 KiB for a huge report with huge strings", () => {
    const long = "x".repeat(5000);
    const vulns = Array.from({ length: 3000 }, (_, i) => ({ id: `CVE-2024-${String(10000 + i)}`, sev: i % 2 ? "CRITICAL" : "HIGH", pkg: `${long}-${i}`, title: long }));
    const big = analysed(vulns);
    const gates = Array.from({ length: 80 }, (_, i) =>
      gate(`g-${String(i).padStart(2, "0")}`, { blockRules: [{ name: `r-${long.slice(0, 60)}`, minSeverity: "HIGH" }], reviewRules: [{ name: "h", minSeverity: "HIGH" }] }),
    );
    const excs = Array.from({ length: 80 }, (_, i) => exception(`e-${i}`, "2027-01-01T00:00:00Z", [`CVE-2024-${String(10000 + i)}`]));
    const p = planScanResult(scan(), big, gates, excs, now0);
    const d = p.status.decision!;
    expect(d.gates.length).toBeLessThanOrEqual(50);
    for (const g of d.gates) {
      expect(g.reasons.length).toBeLessThanOrEqual(20);
      for (const r of g.reasons) expect(r.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
    }
    expect((d.exceptionsApplied ?? []).length).toBeLessThanOrEqual(50);
    expect(d.topFindings.length).toBeLessThanOrEqual(10);
    for (const f of d.topFindings) expect((f.package ?? "").length).toBeLessThanOrEqual(256);
    const bytes = Buffer.byteLength(JSON.stringify({ ...p.status, conditions: p.conditions }));
    expect(bytes).toBeLessThan(64 * 1024);
  });
});
