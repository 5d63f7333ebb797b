import { describe, expect, it } from "@jest/globals";
import { parseEpssCsv, parseKevCatalog, type FeedSnapshots } from "./feeds.js";
import { explainRisk, scoreArtifact, scoreFinding, type RiskContext } from "./risk.js";
import { aFinding } from "./testing/fixtures.js";

const epss = parseEpssCsv("#model_version:v2025.03.14,score_date:2026-04-10\ncve,epss,percentile\nCVE-2021-44228,0.97,0.999\nCVE-2024-0001,0.02,0.8\n");
const kev = parseKevCatalog(
  JSON.stringify({
    catalogVersion: "2026.04.10",
    dateReleased: "2026-04-10T00:00:00.000Z",
    count: 1,
    vulnerabilities: [{ cveID: "CVE-2021-44228", vendorProject: "Apache", product: "Log4j2", vulnerabilityName: "Log4Shell", dateAdded: "2021-12-10", shortDescription: "-", requiredAction: "-", dueDate: "2021-12-24" }],
  }),
);
const feeds: FeedSnapshots = { epss, kev };
const ctx = (over: Partial<RiskContext> = {}): RiskContext => ({ feeds, asOf: new Date("2026-05-01T00:00:00Z"), ...over });
const log4shell = aFinding({
  id: "CVE-2021-44228",
  severity: "CRITICAL",
  fixedVersion: "2.17.1",
  cvss: [{ version: "3.1", source: "nvd", vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", score: 10 }],
});

describe("finding risk: each input's contribution", () => {
  it("adds CVSS, EPSS probability and percentile, KEV and its due date, fix availability (capped at 100)", () => {
    expect(explainRisk(log4shell, ["CVE-2021-44228"], ctx())).toEqual([
      { input: "cvss", value: 10, points: 40, note: "CVSS 3.1 (nvd)" },
      { input: "epss", value: 0.97, points: 24.3, note: "EPSS 2026-04-10" },
      { input: "epssPercentile", value: 0.999, points: 10, note: "EPSS 2026-04-10" },
      { input: "kev", value: true, points: 20, note: "in CISA KEV since 2021-12-10" },
      { input: "kevOverdue", value: "2021-12-24", points: 5, note: "past the remediation due date CISA set" },
      { input: "fixAvailable", value: true, points: 5, note: "fixed in 2.17.1" },
    ]);
    const r = scoreFinding(log4shell, ["CVE-2021-44228"], ctx());
    expect(r).toMatchObject({ score: 100, epss: 0.97, epssPercentile: 0.999, epssSource: "feed", fixAvailable: true, kev: { dueDate: "2021-12-24" } });
    expect(r.cvss).toBe(log4shell.cvss[0]);
  });

  it.each([
    ["no feeds: CVSS and fix only", aFinding({ cvss: [{ version: "3.1", score: 5.5 }], fixedVersion: "1.1" }), ["CVE-2024-0001"], ctx({ feeds: {} }), 27],
    ["EPSS from the feed, no fix", aFinding({ cvss: [{ version: "3.1", score: 9.8 }] }), ["CVE-2024-0001"], ctx(), 48],
    ["KEV due date not yet passed", log4shell, ["CVE-2021-44228"], ctx({ asOf: new Date("2021-12-24T12:00:00Z") }), 99],
    ["KEV found through an alias", aFinding({ id: "GHSA-jfh8-c2jp-5v3q", cvss: [{ version: "3.1", score: 10 }] }), ["GHSA-jfh8-c2jp-5v3q", "CVE-2021-44228"], ctx(), 99],
    ["no CVSS: the severity's midpoint", aFinding({ severity: "UNKNOWN" }), ["X-1"], ctx(), 20],
    ["no CVSS, LOW", aFinding({ severity: "LOW" }), ["X-1"], ctx(), 10],
    ["a tool's score without vector (SARIF security-severity)", aFinding({ severity: "HIGH", severityScore: 7.2 }), ["X-1"], ctx(), 29],
    ["EPSS embedded by the scanner when the feed has none", aFinding({ cvss: [{ version: "3.1", score: 7.5 }], epss: { probability: 0.4, percentile: 0.9 } }), ["CVE-2023-39325"], ctx(), 49],
    ["image not running", aFinding({ cvss: [{ version: "3.1", score: 5 }] }), ["X-1"], ctx({ runtime: { running: false } }), 5],
    ["image running and exposed", aFinding({ cvss: [{ version: "3.1", score: 5 }] }), ["X-1"], ctx({ runtime: { running: true, exposed: true } }), 35],
    ["never below 0", aFinding({ cvss: [{ version: "3.1", score: 0 }] }), ["X-1"], ctx({ runtime: { running: false } }), 0],
  ])("%s → %i", (_name, f, ids, c, score) => {
    expect(scoreFinding(f, ids, c).score).toBe(score);
    // The explanation adds up to the score (before rounding and the 0–100 clamp).
    const sum = explainRisk(f, ids, c).reduce((s, p) => s + p.points, 0);
    expect(Math.max(0, Math.min(100, Math.round(sum)))).toBe(score);
  });

  it("prefers the feed's EPSS to the report's and says where it came from", () => {
    const f = aFinding({ id: "CVE-2024-0001", epss: { probability: 0.5, percentile: 0.99 } });
    expect(scoreFinding(f, ["CVE-2024-0001"], ctx())).toMatchObject({ epss: 0.02, epssSource: "feed" });
    expect(scoreFinding(f, ["CVE-2024-0001"], ctx({ feeds: {} }))).toMatchObject({ epss: 0.5, epssSource: "report" });
  });
});

describe("artifact risk", () => {
  it.each([
    [[], 0, []],
    [[{ id: "A", risk: 40 }], 40, [{ input: "topFinding", value: "A", points: 40 }]],
    [
      [
        { id: "A", risk: 60 },
        { id: "B", risk: 80 },
        { id: "C", risk: 55 },
        { id: "D", risk: 20 },
      ],
      84,
      [
        { input: "topFinding", value: "B", points: 80 },
        { input: "breadth", value: 2, points: 4, note: "2 more findings scoring 50 or more" },
      ],
    ],
    [Array.from({ length: 100 }, (_, i) => ({ id: `X${i}`, risk: 95 })), 100, [{ input: "topFinding", value: "X0", points: 95 }, { input: "breadth", value: 99, points: 10, note: "99 more findings scoring 50 or more" }]],
  ])("%#", (findings, score, contributions) => {
    expect(scoreArtifact(findings)).toEqual({ score, contributions });
  });
});
