import { describe, expect, it } from "@jest/globals";
import type { PolicyGateResource, RiskExceptionResource } from "../api/v1alpha1/index.js";
import { RemediationTaskSpec } from "../api/v1alpha1/index.js";
import { analyseReports, parseKevCatalog, parseReport, type Analysis } from "../engine/index.js";
import { ANNOTATION_KEV_DUE, planRemediationTasks, taskName, type RemediationInput } from "./plan.js";

const IMAGE = "ghcr.io/acme/api:1.4.2";
const NOW = new Date("2026-03-01T00:00:00Z");
const vuln = (id: string, pkg: string, version: string, severity: string) => ({ VulnerabilityID: id, PkgName: pkg, InstalledVersion: version, FixedVersion: "99", Severity: severity });
const report = (vulns: object[]) =>
  Buffer.from(JSON.stringify({ SchemaVersion: 2, ArtifactName: IMAGE, ArtifactType: "container_image", Results: [{ Target: "app", Class: "lang-pkgs", Type: "jar", Vulnerabilities: vulns }] }));

function analyse(vulns: object[], kev?: { id: string; due: string }): Analysis {
  const parsed = parseReport(report(vulns), { format: "trivy", source: "test", artifact: { image: IMAGE } });
  const catalog = (id: string, due: string) => ({
    catalogVersion: "2026.02.28",
    dateReleased: "2026-02-28T00:00:00Z",
    count: 1,
    vulnerabilities: [{ cveID: id, vendorProject: "Apache", product: "Log4j", vulnerabilityName: "Log4Shell", dateAdded: "2021-12-10", shortDescription: "RCE", requiredAction: "Patch", dueDate: due }],
  });
  const feeds = kev ? { kev: parseKevCatalog(JSON.stringify(catalog(kev.id, kev.due))) } : {};
  return analyseReports([parsed], { feeds, asOf: NOW, image: IMAGE });
}

const gate = (name: string, spec: Record<string, unknown>): PolicyGateResource => ({ apiVersion: "fixops.io/v1alpha1", kind: "PolicyGate", metadata: { name, namespace: "team-a", uid: `uid-${name}` }, spec: spec as never });
const blockCriticals = (remediation: Record<string, unknown> = {}) =>
  gate("criticals", { blockRules: [{ name: "critical", minSeverity: "CRITICAL" }], reviewRules: [{ name: "high", minSeverity: "HIGH" }], remediation: { integrationRefs: [{ name: "jira" }], ...remediation } });

function input(a: Analysis, gates: PolicyGateResource[], exceptions: RiskExceptionResource[] = [], over: Partial<RemediationInput> = {}): RemediationInput {
  return { namespace: "team-a", scanResult: "api-scan", artifact: { image: IMAGE }, scored: a.scored, stats: a.correlation.stats, feeds: {}, gates, exceptions, now: NOW, ...over };
}

const FINDINGS = [
  vuln("CVE-2021-44228", "log4j-core", "2.14.1", "CRITICAL"),
  vuln("CVE-2021-45046", "log4j-core", "2.14.1", "CRITICAL"),
  vuln("CVE-2022-22965", "spring-beans", "5.3.17", "CRITICAL"),
  vuln("CVE-2023-0001", "jackson", "2.1", "HIGH"),
  vuln("CVE-2023-0002", "jackson", "2.1", "LOW"),
];

describe("planRemediationTasks", () => {
  it("one task per correlated cluster the gate blocks on, with valid specs and deterministic names", () => {
    const a = analyse(FINDINGS);
    const p = planRemediationTasks(input(a, [blockCriticals()]));
    expect(p.tasks.map((t) => t.spec.vulnerabilityIds[0]).sort()).toEqual(["CVE-2021-44228", "CVE-2021-45046", "CVE-2022-22965"]);
    for (const t of p.tasks) {
      expect(RemediationTaskSpec.safeParse(t.spec).success).toBe(true);
      expect(t.name).toBe(taskName("team-a", "criticals", t.groupKey));
      expect(t.name).toMatch(/^rt-[a-f0-9]{20}$/);
      expect(t.spec).toMatchObject({ severity: "CRITICAL", gateRef: { name: "criticals" }, integrationRefs: [{ name: "jira" }] });
      expect(t.spec.clusterKey).toBe(t.spec.findingKeys[0]);
    }
    expect(p.tasks.find((t) => t.spec.vulnerabilityIds[0] === "CVE-2021-44228")!.spec.title).toBe(`CVE-2021-44228 in log4j-core 2.14.1 (${IMAGE})`);
  });

  it("a rescan (even as another ScanResult, with more findings) maps to the same names", () => {
    const first = planRemediationTasks(input(analyse(FINDINGS), [blockCriticals()]));
    const again = planRemediationTasks(input(analyse([...FINDINGS].reverse()), [blockCriticals()], [], { scanResult: "api-scan-2" }));
    expect(again.tasks.map((t) => t.name).sort()).toEqual(first.tasks.map((t) => t.name).sort());
    const other = planRemediationTasks(input(analyse(FINDINGS), [blockCriticals()], [], { namespace: "team-b", gates: [{ ...blockCriticals(), metadata: { name: "criticals", namespace: "team-b" } }] }));
    expect(other.tasks.map((t) => t.name).some((n) => first.tasks.some((f) => f.name === n))).toBe(false);
  });

  it("minOutcome NEEDS_REVIEW also takes review-rule findings; gates without remediation plan nothing", () => {
    const a = analyse(FINDINGS);
    expect(planRemediationTasks(input(a, [blockCriticals({ minOutcome: "NEEDS_REVIEW" })])).tasks).toHaveLength(4);
    expect(planRemediationTasks(input(a, [gate("plain", { blockRules: [{ name: "c", minSeverity: "CRITICAL" }] })])).tasks).toHaveLength(0);
  });

  it("groups by package and by image", () => {
    const a = analyse(FINDINGS);
    const byPkg = planRemediationTasks(input(a, [blockCriticals({ groupBy: "package" })]));
    expect(byPkg.tasks.map((t) => t.spec.vulnerabilityIds.length).sort()).toEqual([1, 2]);
    expect(byPkg.tasks.find((t) => t.spec.vulnerabilityIds.length === 2)!.spec.title).toBe(`2 vulnerabilities in log4j-core 2.14.1 (${IMAGE})`);
    const byImage = planRemediationTasks(input(a, [blockCriticals({ groupBy: "image" })]));
    expect(byImage.tasks).toHaveLength(1);
    expect(byImage.tasks[0]!.spec.vulnerabilityIds).toHaveLength(3);
    expect(byImage.tasks[0]!.labels).toEqual({ "fixops.io/gate": "criticals", "fixops.io/group-by": "image" });
  });

  it("findings an active RiskException covers get no task; an expired one does not count", () => {
    const a = analyse(FINDINGS);
    const ex = (expiresAt: string): RiskExceptionResource => ({
      apiVersion: "fixops.io/v1alpha1",
      kind: "RiskException",
      metadata: { name: "waiver", namespace: "team-a" },
      spec: { vulnerabilityIds: ["CVE-2021-44228"], expiresAt, approver: "alice", reason: "r" },
    });
    expect(planRemediationTasks(input(a, [blockCriticals()], [ex("2026-04-01T00:00:00Z")])).tasks).toHaveLength(2);
    expect(planRemediationTasks(input(a, [blockCriticals()], [ex("2026-02-01T00:00:00Z")])).tasks).toHaveLength(3);
  });

  it("a gate that does not select the image plans nothing", () => {
    const g = blockCriticals();
    (g.spec as { selector: unknown }).selector = { images: ["docker.io/other/**"] };
    expect(planRemediationTasks(input(analyse(FINDINGS), [g])).tasks).toHaveLength(0);
  });

  it("carries the earliest KEV due date for the SLA", () => {
    const a = analyse(FINDINGS, { id: "CVE-2021-44228", due: "2026-03-05" });
    const t = planRemediationTasks(input(a, [blockCriticals()])).tasks.find((x) => x.spec.vulnerabilityIds[0] === "CVE-2021-44228")!;
    expect(t.annotations[ANNOTATION_KEV_DUE]).toBe("2026-03-05");
  });
});
