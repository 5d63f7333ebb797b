import { describe, expect, it } from "@jest/globals";
import { assessArtifact, DEFAULT_MAX_ASSESSED_FINDINGS } from "./assess.js";
import { correlateFindings } from "./correlate.js";
import { parseEpssCsv, parseKevCatalog } from "./feeds.js";
import type { Finding, Severity } from "./model.js";
import { aFinding } from "./testing/fixtures.js";

const asOf = new Date("2026-05-01T00:00:00Z");
const epss = parseEpssCsv("#model_version:v4,score_date:2026-04-30\ncve,epss,percentile\nCVE-2024-0003,0.5,0.95\nCVE-2024-0004,0.1,0.7\n");
const kev = parseKevCatalog(
  JSON.stringify({
    catalogVersion: "2026.04.30",
    dateReleased: "2026-04-30T00:00:00.000Z",
    count: 1,
    vulnerabilities: [{ cveID: "CVE-2024-0005", vendorProject: "v", product: "p", vulnerabilityName: "n", dateAdded: "2026-01-01", shortDescription: "-", requiredAction: "-", dueDate: "2026-02-01" }],
  }),
);
const assess = (findings: Finding[], opts: Partial<Parameters<typeof assessArtifact>[1]> = {}) => assessArtifact(correlateFindings(findings), { feeds: { epss, kev }, asOf, ...opts });
const f = (id: string, severity: Severity, score?: number, over: Partial<Finding> = {}) =>
  aFinding({ id, severity, cvss: score === undefined ? [] : [{ version: "3.1", score }], package: { name: `pkg-${id}`, version: "1.0" }, ...over });

describe("assessArtifact", () => {
  it("orders findings by importance: KEV, severity, risk, EPSS, id", () => {
    const a = assess([f("CVE-2024-0001", "MEDIUM", 6), f("CVE-2024-0002", "CRITICAL", 9.1), f("CVE-2024-0003", "HIGH", 7), f("CVE-2024-0004", "HIGH", 7), f("CVE-2024-0005", "LOW", 3), f("CVE-2024-0006", "HIGH", 7)]);
    expect(a.findings.map((x) => [x.id, x.severity, x.risk, x.kev ?? false])).toEqual([
      ["CVE-2024-0005", "LOW", 37, true],
      ["CVE-2024-0002", "CRITICAL", 36, false],
      ["CVE-2024-0003", "HIGH", 50, false],
      ["CVE-2024-0004", "HIGH", 38, false],
      ["CVE-2024-0006", "HIGH", 28, false],
      ["CVE-2024-0001", "MEDIUM", 24, false],
    ]);
    expect(a.summary.bySeverity).toEqual({ CRITICAL: 1, HIGH: 3, MEDIUM: 1, LOW: 1, UNKNOWN: 0 });
    expect(a.feeds).toEqual({ epss: "epss:v4@2026-04-30", kev: "kev:2026.04.30" });
    expect(a.findings[0]).toMatchObject({ kevDueDate: "2026-02-01", package: "pkg-CVE-2024-0005", version: "1.0" });
    expect(a.findings[2]).toMatchObject({ epss: 0.5, epssPercentile: 0.95 });
    expect(a.riskScore).toBe(50);
  });

  it("takes the earliest of history, the report and the scan time as first seen", () => {
    const findings = [f("CVE-2024-0001", "HIGH", 7), f("CVE-2024-0002", "HIGH", 7, { firstSeen: "2025-01-01T00:00:00Z" })];
    const a = assess(findings, { scannedAt: "2026-04-01T00:00:00Z", firstSeen: (key) => (key.includes("CVE-2024-0001") ? "2025-06-01T00:00:00Z" : undefined) });
    expect(Object.fromEntries(a.findings.map((x) => [x.id, x.firstSeen]))).toEqual({ "CVE-2024-0001": "2025-06-01T00:00:00.000Z", "CVE-2024-0002": "2025-01-01T00:00:00.000Z" });
  });

  it("keeps at most maxFindings one by one and summarises the rest in bounded buckets", () => {
    const many = Array.from({ length: 5000 }, (_, i) => f(`CVE-2020-${10000 + i}`, (["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"] as const)[i % 5]!, undefined, i % 2 ? { fixedVersion: "2" } : {}));
    const a = assess(many, { scannedAt: "2026-04-01T00:00:00Z" });
    expect(a.findings).toHaveLength(DEFAULT_MAX_ASSESSED_FINDINGS);
    expect(a.findings.every((x) => x.severity === "CRITICAL")).toBe(true);
    expect(a.omitted?.count).toBe(5000 - DEFAULT_MAX_ASSESSED_FINDINGS);
    expect(a.omitted?.buckets.map((b) => [b.severity, b.kev, b.fixAvailable, b.count])).toEqual([
      // Fixable CRITICALs score higher, so the kept 128 are among them.
      ["CRITICAL", false, true, 372],
      ["CRITICAL", false, false, 500],
      ["HIGH", false, true, 500],
      ["HIGH", false, false, 500],
      ["MEDIUM", false, true, 500],
      ["MEDIUM", false, false, 500],
      ["LOW", false, true, 500],
      ["LOW", false, false, 500],
      ["UNKNOWN", false, true, 500],
      ["UNKNOWN", false, false, 500],
    ]);
    expect(a.omitted?.buckets[2]).toMatchObject({ maxRisk: 37, oldestFirstSeen: "2026-04-01T00:00:00.000Z" });
    // Plain JSON, small whatever the report size: it is what the webhook keeps per image.
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
    expect(JSON.stringify(a).length).toBeLessThan(48 * 1024);
    expect(assess(many, { maxFindings: 10 }).findings).toHaveLength(10);
  });

  it("leaves suppressed findings out of counts, risk and the list", () => {
    const a = assess([f("CVE-2024-0002", "CRITICAL", 9.8, { suppression: { status: "not_affected", source: "vex.json" } }), f("CVE-2024-0001", "LOW", 2)]);
    expect(a.findings.map((x) => x.id)).toEqual(["CVE-2024-0001"]);
    expect(a.summary).toMatchObject({ raw: 2, unique: 1, suppressed: 1, bySeverity: { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 1, UNKNOWN: 0 } });
    expect(a.riskScore).toBe(8);
  });
});
