import { describe, expect, it } from "@jest/globals";
import type { GateRule, PolicyGateSpec } from "../api/v1alpha1/index.js";
import { analyseReports } from "./analyse.js";
import { assessArtifact, type ArtifactAssessment } from "./assess.js";
import { correlateFindings } from "./correlate.js";
import { DEFAULT_GATE, compileGate, evaluateGates, gateSelects, matchesLabelSelector, type EvaluationContext } from "./evaluate.js";
import { parseEpssCsv, parseKevCatalog, type FeedSnapshots } from "./feeds.js";
import { parseReport } from "./formats/index.js";
import type { Finding, Severity } from "./model.js";
import { aFinding, aGate, anException, realFixture } from "./testing/fixtures.js";

const NOW = new Date("2026-05-01T12:00:00Z");
const IMAGE = "ghcr.io/acme/api:1.0";
const epss = parseEpssCsv("#model_version:v4,score_date:2026-04-30\ncve,epss,percentile\nCVE-2024-0001,0.6,0.97\nCVE-2024-0002,0.01,0.4\nCVE-2021-44228,0.97,1.0\n");
const kev = parseKevCatalog(
  JSON.stringify({
    catalogVersion: "2026.04.30",
    dateReleased: "2026-04-30T00:00:00.000Z",
    count: 1,
    vulnerabilities: [{ cveID: "CVE-2021-44228", vendorProject: "Apache", product: "Log4j2", vulnerabilityName: "Log4Shell", dateAdded: "2021-12-10", shortDescription: "-", requiredAction: "-", dueDate: "2021-12-24" }],
  }),
);
const FEEDS: FeedSnapshots = { epss, kev };

const vuln = (id: string, severity: Severity, over: Partial<Finding> = {}) => aFinding({ id, severity, package: { name: `lib-${id.toLowerCase()}`, version: "1.0" }, ...over });
function assess(findings: Finding[], opts: { feeds?: FeedSnapshots; scannedAt?: string; maxFindings?: number } = {}): ArtifactAssessment {
  return assessArtifact(correlateFindings(findings), { feeds: opts.feeds ?? FEEDS, asOf: NOW, image: IMAGE, scannedAt: opts.scannedAt ?? "2026-05-01T00:00:00Z", ...(opts.maxFindings ? { maxFindings: opts.maxFindings } : {}) });
}
const ctx = (over: Partial<EvaluationContext> = {}): EvaluationContext => ({ now: NOW, image: IMAGE, ...over });
const gateWith = (blockRules: GateRule[], reviewRules: GateRule[] = [], spec: Partial<PolicyGateSpec> = {}) => aGate("g", { blockRules, reviewRules, ...spec });

describe("the built-in default gate", () => {
  it.each<[string, Finding[], string]>([
    ["a CRITICAL blocks", [vuln("CVE-2024-0009", "CRITICAL"), vuln("CVE-2024-0008", "LOW")], "BLOCK"],
    ["a KEV finding blocks whatever its severity", [vuln("CVE-2021-44228", "LOW")], "BLOCK"],
    ["a HIGH needs review", [vuln("CVE-2024-0009", "HIGH"), vuln("CVE-2024-0008", "MEDIUM")], "NEEDS_REVIEW"],
    ["MEDIUM and below are allowed", [vuln("CVE-2024-0009", "MEDIUM"), vuln("CVE-2024-0008", "UNKNOWN")], "ALLOW"],
    ["no findings: allowed", [], "ALLOW"],
  ])("%s", (_n, findings, outcome) => {
    expect(evaluateGates(assess(findings), [DEFAULT_GATE], [], ctx()).outcome).toBe(outcome);
  });

  it("names the rule and the findings in its reasons", () => {
    const d = evaluateGates(assess([vuln("CVE-2021-44228", "CRITICAL", { cvss: [{ version: "3.1", score: 10 }], fixedVersion: "2.17.1" })]), [DEFAULT_GATE], [], ctx());
    expect(d.gates[0]).toMatchObject({ name: "default", mode: "enforce", outcome: "BLOCK" });
    expect(d.gates[0]!.reasons).toEqual([
      'block rule "critical" (severity ≥ CRITICAL) matched 1 finding: CVE-2021-44228 in lib-cve-2021-44228 1.0 (CRITICAL, KEV, risk 100)',
      'block rule "kev" (in KEV) matched 1 finding: CVE-2021-44228 in lib-cve-2021-44228 1.0 (CRITICAL, KEV, risk 100)',
      'review rule "high" (severity ≥ HIGH) matched 1 finding: CVE-2021-44228 in lib-cve-2021-44228 1.0 (CRITICAL, KEV, risk 100)',
    ]);
    expect(d.gates[0]!.matches.map((m) => [m.list, m.rule, m.count, m.findings])).toEqual([
      ["block", "critical", 1, ["CVE-2021-44228"]],
      ["block", "kev", 1, ["CVE-2021-44228"]],
      ["review", "high", 1, ["CVE-2021-44228"]],
    ]);
    expect(d.topFindings).toEqual([{ id: "CVE-2021-44228", package: "lib-cve-2021-44228", version: "1.0", severity: "CRITICAL", riskScore: 100, kev: true, epss: 0.97, fixedVersion: "2.17.1" }]);
  });

  it("says that a KEV rule could not match without the KEV feed, and lowers confidence", () => {
    const d = evaluateGates(assess([vuln("CVE-2021-44228", "LOW")], { feeds: {} }), [DEFAULT_GATE], [], ctx());
    expect(d.outcome).toBe("ALLOW");
    expect(d.gates[0]!.reasons).toContain('no KEV feed: KEV membership is unknown, so rule "kev" could not match');
    expect(d.confidenceFactors).toEqual([
      { factor: "no KEV feed", delta: -0.2 },
      { factor: "no EPSS feed", delta: -0.1 },
    ]);
    expect(d.confidence).toBe(0.7);
  });
});

describe("rule conditions (all must hold)", () => {
  const findings = [
    vuln("CVE-2024-0001", "HIGH", { cvss: [{ version: "3.1", score: 8.1 }], fixedVersion: "1.1", firstSeen: "2026-01-01T00:00:00Z" }),
    vuln("CVE-2024-0002", "MEDIUM", { cvss: [{ version: "3.1", score: 5 }], aliases: ["GHSA-aaaa-bbbb-cccc"] }),
    vuln("CVE-2021-44228", "LOW"),
  ];
  const a = assess(findings);
  it.each<[string, GateRule, string[]]>([
    ["kev", { name: "r", kev: true }, ["CVE-2021-44228"]],
    ["not kev", { name: "r", kev: false }, ["CVE-2024-0001", "CVE-2024-0002"]],
    ["minSeverity", { name: "r", minSeverity: "MEDIUM" }, ["CVE-2024-0001", "CVE-2024-0002"]],
    ["minSeverity UNKNOWN matches all", { name: "r", minSeverity: "UNKNOWN" }, ["CVE-2021-44228", "CVE-2024-0001", "CVE-2024-0002"]],
    ["fixAvailable", { name: "r", fixAvailable: true }, ["CVE-2024-0001"]],
    ["no fix", { name: "r", fixAvailable: false }, ["CVE-2021-44228", "CVE-2024-0002"]],
    ["minEpss", { name: "r", minEpss: 0.5 }, ["CVE-2021-44228", "CVE-2024-0001"]],
    ["minEpssPercentile", { name: "r", minEpssPercentile: 0.98 }, ["CVE-2021-44228"]],
    ["minRiskScore", { name: "r", minRiskScore: 65 }, ["CVE-2021-44228"]],
    ["minRiskScore, lower", { name: "r", minRiskScore: 60 }, ["CVE-2021-44228", "CVE-2024-0001"]],
    ["minAgeDays", { name: "r", minAgeDays: 90 }, ["CVE-2024-0001"]],
    ["vulnerabilityIds, by alias and any case", { name: "r", vulnerabilityIds: ["ghsa-aaaa-bbbb-cccc"] }, ["CVE-2024-0002"]],
    ["several conditions", { name: "r", minSeverity: "HIGH", fixAvailable: true, minEpss: 0.5 }, ["CVE-2024-0001"]],
    ["nothing matches", { name: "r", minSeverity: "CRITICAL" }, []],
  ])("%s", (_n, rule, ids) => {
    const d = evaluateGates(a, [gateWith([rule])], [], ctx());
    expect(d.gates[0]!.matches.flatMap((m) => m.findings).sort()).toEqual(ids);
    expect(d.outcome).toBe(ids.length ? "BLOCK" : "ALLOW");
  });

  it("ignores a rule without conditions (it would match everything) and says so", () => {
    const d = evaluateGates(a, [gateWith([{ name: "empty" }])], [], ctx());
    expect(d.outcome).toBe("ALLOW");
    expect(d.gates[0]!.reasons).toContain('block rule "empty" is ignored: it sets no condition');
  });

  it("BLOCK beats NEEDS_REVIEW within a gate; review alone gives NEEDS_REVIEW", () => {
    expect(evaluateGates(a, [gateWith([{ name: "b", kev: true }], [{ name: "r", minSeverity: "HIGH" }])], [], ctx()).outcome).toBe("BLOCK");
    expect(evaluateGates(a, [gateWith([{ name: "b", minSeverity: "CRITICAL" }], [{ name: "r", minSeverity: "HIGH" }])], [], ctx()).outcome).toBe("NEEDS_REVIEW");
  });

  it("announces when a finding will become old enough for an age rule (nextChangeAt)", () => {
    const young = assess([vuln("CVE-2024-0001", "HIGH", { firstSeen: "2026-04-20T00:00:00Z" })]);
    const d = evaluateGates(young, [gateWith([], [{ name: "stale", minAgeDays: 30 }])], [], ctx());
    expect(d.outcome).toBe("ALLOW");
    expect(d.nextChangeAt).toBe("2026-05-20T00:00:00.000Z");
    expect(evaluateGates(young, [gateWith([], [{ name: "stale", minAgeDays: 30 }])], [], ctx({ now: new Date("2026-05-20T00:00:00Z") })).outcome).toBe("NEEDS_REVIEW");
  });
});

describe("escalateOnBreach", () => {
  const a = assess([vuln("CVE-2024-0001", "MEDIUM")]);
  const breach = { gate: "g", task: "rt-1", vulnerabilityIds: ["CVE-2024-0001"], dueAt: "2026-04-01T00:00:00Z" };
  it.each<[string, Partial<PolicyGateSpec>, EvaluationContext["breaches"], string]>([
    ["a breach of the gate's own task blocks", { remediation: { minOutcome: "BLOCK", integrationRefs: [], groupBy: "vulnerability", slaDays: { critical: 7, high: 30, medium: 90, low: 180 }, escalateOnBreach: true } }, [breach], "BLOCK"],
    ["without escalateOnBreach a breach changes nothing", { remediation: { minOutcome: "BLOCK", integrationRefs: [], groupBy: "vulnerability", slaDays: { critical: 7, high: 30, medium: 90, low: 180 }, escalateOnBreach: false } }, [breach], "ALLOW"],
    ["another gate's task does not escalate this one", { remediation: { minOutcome: "BLOCK", integrationRefs: [], groupBy: "vulnerability", slaDays: { critical: 7, high: 30, medium: 90, low: 180 }, escalateOnBreach: true } }, [{ ...breach, gate: "other" }], "ALLOW"],
    ["no breach, no escalation", { remediation: { minOutcome: "BLOCK", integrationRefs: [], groupBy: "vulnerability", slaDays: { critical: 7, high: 30, medium: 90, low: 180 }, escalateOnBreach: true } }, [], "ALLOW"],
  ])("%s", (_n, spec, breaches, outcome) => {
    const d = evaluateGates(a, [gateWith([{ name: "crit", minSeverity: "CRITICAL" }], [], spec)], [], ctx(breaches ? { breaches } : {}));
    expect(d.outcome).toBe(outcome);
    if (outcome === "BLOCK") expect(d.gates[0]!.reasons[0]).toMatch(/^SLA breached: RemediationTask rt-1 \(CVE-2024-0001\) was due 2026-04-01T00:00:00Z/);
  });
});

describe("gate selection, modes and the overall outcome", () => {
  const a = assess([vuln("CVE-2024-0001", "CRITICAL")]);
  const blockCritical = [{ name: "critical", minSeverity: "CRITICAL" as const }];

  it.each<[string, Partial<PolicyGateSpec>, string | undefined, boolean]>([
    ["no selector: every image", {}, IMAGE, true],
    ["image glob within a segment", { selector: { images: ["ghcr.io/acme/*"] } }, IMAGE, true],
    ["image glob across segments", { selector: { images: ["ghcr.io/**"] } }, "ghcr.io/acme/team/api:1", true],
    ["image glob that does not match", { selector: { images: ["docker.io/**"] } }, IMAGE, false],
    ["excluded image", { selector: { images: ["ghcr.io/**"], excludeImages: ["ghcr.io/acme/api:*"] } }, IMAGE, false],
    ["Docker Hub short names are normalised", { selector: { images: ["docker.io/library/nginx:*"] } }, "nginx:1.27", true],
    ["an unknown image is not selected by an image selector", { selector: { images: ["ghcr.io/**"] } }, undefined, false],
  ])("%s", (_n, spec, image, selected) => {
    const g = aGate("g", { ...spec, blockRules: blockCritical });
    expect(gateSelects(g, ctx(image === undefined ? { image: undefined } : { image }))).toBe(selected);
  });

  it("applies workload label selectors at admission only (the artifact view ignores them)", () => {
    const g = aGate("g", { selector: { workloads: { matchLabels: { tier: "prod" } } }, blockRules: blockCritical });
    expect(gateSelects(g, ctx())).toBe(true);
    expect(gateSelects(g, ctx({ workloadLabels: { tier: "prod" } }))).toBe(true);
    expect(gateSelects(g, ctx({ workloadLabels: { tier: "dev" } }))).toBe(false);
  });

  it.each([
    [{}, {}, true],
    [{ matchLabels: { a: "1" } }, { a: "1", b: "2" }, true],
    [{ matchExpressions: [{ key: "a", operator: "In" as const, values: ["1", "2"] }] }, { a: "3" }, false],
    [{ matchExpressions: [{ key: "a", operator: "NotIn" as const, values: ["1"] }] }, {}, true],
    [{ matchExpressions: [{ key: "a", operator: "Exists" as const }] }, { a: "" }, true],
    [{ matchExpressions: [{ key: "constructor", operator: "DoesNotExist" as const }] }, {}, true],
  ])("label selector %j on %j → %s", (sel, labels, match) => {
    expect(matchesLabelSelector(sel, labels)).toBe(match);
  });

  it("sees only gates and exceptions of its own namespace (tenancy)", () => {
    const gates = [aGate("mine", { blockRules: blockCritical }, "shop"), aGate("theirs", { blockRules: blockCritical }, "bank")];
    const d = evaluateGates(a, gates, [anException("theirs", { vulnerabilityIds: ["CVE-2024-0001"], expiresAt: "2027-01-01T00:00:00Z" }, "bank")], ctx({ namespace: "shop" }));
    expect(d.gates.map((g) => g.name)).toEqual(["mine"]);
    expect([d.outcome, d.exceptionsApplied]).toEqual(["BLOCK", []]);
  });

  it("keeps the outcome whatever the mode; the overall outcome is the most severe", () => {
    const d = evaluateGates(
      a,
      [aGate("audit", { mode: "audit", blockRules: blockCritical }), aGate("warn", { mode: "warn", reviewRules: blockCritical }), aGate("lax", { reviewRules: [{ name: "kev", kev: true }] })],
      [],
      ctx(),
    );
    expect(d.gates.map((g) => [g.name, g.mode, g.outcome])).toEqual([
      ["audit", "audit", "BLOCK"],
      ["warn", "warn", "NEEDS_REVIEW"],
      ["lax", "audit", "ALLOW"],
    ]);
    expect(d.outcome).toBe("BLOCK");
    expect(evaluateGates(a, [], [], ctx())).toMatchObject({ outcome: "ALLOW", gates: [] });
  });
});

describe("missing and stale scans", () => {
  it.each([
    ["allow", "ALLOW"],
    ["review", "NEEDS_REVIEW"],
    ["block", "BLOCK"],
  ] as const)("no scan with missingScan %s → %s", (missingScan, outcome) => {
    const d = evaluateGates(null, [aGate("g", { missingScan })], [], ctx());
    expect(d.outcome).toBe(outcome);
    expect(d.gates[0]!.reasons[0]).toBe(`no scan for image ${IMAGE} (missingScan: ${missingScan})`);
    expect(d.confidence).toBe(0);
  });

  it("treats a scan older than maxScanAge as missing, and says when a fresh one will go stale", () => {
    const gate = aGate("g", { maxScanAge: "7d", missingScan: "block" });
    const fresh = assess([], { scannedAt: "2026-04-30T12:00:00Z" });
    const d = evaluateGates(fresh, [gate], [], ctx());
    expect(d.outcome).toBe("ALLOW");
    expect(d.nextChangeAt).toBe("2026-05-07T12:00:00.000Z");
    const stale = evaluateGates(fresh, [gate], [], ctx({ now: new Date("2026-05-07T12:00:00Z") }));
    expect(stale.outcome).toBe("BLOCK");
    expect(stale.gates[0]!.reasons[0]).toMatch(/older than maxScanAge 7d; treated as missing \(missingScan: block\)/);
    const unknown = assessArtifact(correlateFindings([]), { feeds: FEEDS, asOf: NOW, image: IMAGE });
    expect(evaluateGates(unknown, [gate], [], ctx()).gates[0]!.reasons[0]).toMatch(/scan time .* is unknown/);
  });

  it("lowers confidence for old scans and unknown severities", () => {
    const d = evaluateGates(assess([vuln("CVE-2024-0001", "UNKNOWN"), vuln("CVE-2024-0002", "LOW")], { scannedAt: "2026-03-01T00:00:00Z" }), [DEFAULT_GATE], [], ctx());
    expect(d.confidenceFactors).toEqual([
      { factor: "1 of 2 findings have no known severity", delta: -0.15 },
      { factor: "scan older than 30 days", delta: -0.2 },
    ]);
    expect(d.confidence).toBe(0.65);
  });
});

describe("RiskExceptions", () => {
  const log4shell = vuln("CVE-2021-44228", "CRITICAL", { aliases: ["GHSA-jfh8-c2jp-5v3q"] });
  const a = assess([log4shell, vuln("CVE-2024-0002", "MEDIUM")]);
  const EXPIRES = "2026-06-01T00:00:00Z";

  it("is active strictly before expiresAt and stops applying at that instant", () => {
    const ex = anException("accept-log4shell", { vulnerabilityIds: ["CVE-2021-44228"], expiresAt: EXPIRES, ticket: "SEC-42" });
    const before = evaluateGates(a, [DEFAULT_GATE], [ex], ctx({ now: new Date(Date.parse(EXPIRES) - 1) }));
    expect(before).toMatchObject({ outcome: "ALLOW", exceptionsApplied: ["accept-log4shell"], nextChangeAt: "2026-06-01T00:00:00.000Z" });
    expect(before.suppressedByException).toEqual([{ exception: "accept-log4shell", count: 1, vulnerabilityIds: ["CVE-2021-44228"] }]);
    expect(before.gates[0]!.reasons[0]).toBe("no block or review rule matched (2 unique findings, 1 covered by RiskExceptions)");
    const at = evaluateGates(a, [DEFAULT_GATE], [ex], ctx({ now: new Date(EXPIRES) }));
    expect(at).toMatchObject({ outcome: "BLOCK", exceptionsApplied: [] });
    expect(at.nextChangeAt).toBeUndefined();
    expect(at.gates[0]!.reasons[0]).toContain("[RiskException accept-log4shell expired 2026-06-01T00:00:00Z]");
  });

  it.each([
    ["by an alias of the finding", { vulnerabilityIds: ["ghsa-jfh8-c2jp-5v3q"] }, "ALLOW"],
    ["by image glob only (covers every finding of the image)", { images: ["ghcr.io/acme/**"] }, "ALLOW"],
    ["by id and image, both matching", { vulnerabilityIds: ["CVE-2021-44228"], images: ["ghcr.io/acme/api:*"] }, "ALLOW"],
    ["by id and image, image not matching", { vulnerabilityIds: ["CVE-2021-44228"], images: ["ghcr.io/other/**"] }, "BLOCK"],
    ["for another vulnerability", { vulnerabilityIds: ["CVE-2024-0002"] }, "BLOCK"],
    ["naming neither ids nor images (invalid, ignored)", {}, "BLOCK"],
    ["with an invalid glob (invalid, ignored)", { images: ["ghcr.io/[a]"] }, "BLOCK"],
  ])("matches %s", (_n, spec, outcome) => {
    expect(evaluateGates(a, [DEFAULT_GATE], [anException("e", { ...spec, expiresAt: EXPIRES })], ctx()).outcome).toBe(outcome);
  });

  it("lists only exceptions that took a finding out of a matching rule, and the earliest expiry", () => {
    const d = evaluateGates(
      a,
      [DEFAULT_GATE],
      [
        anException("late", { vulnerabilityIds: ["CVE-2021-44228"], expiresAt: "2026-09-01T00:00:00Z" }),
        anException("unused", { vulnerabilityIds: ["CVE-2024-0002"], expiresAt: "2026-05-15T00:00:00Z" }),
        anException("expired", { vulnerabilityIds: ["CVE-2021-44228"], expiresAt: "2026-04-01T00:00:00Z" }),
      ],
      ctx(),
    );
    expect(d.outcome).toBe("ALLOW");
    expect(d.exceptionsApplied).toEqual(["late"]);
    // "unused" covers a finding no rule matches: its expiry still changes what the decision rests on.
    expect(d.nextChangeAt).toBe("2026-05-15T00:00:00.000Z");
  });
});

describe("the bounded assessment decides like the full one", () => {
  const many = [vuln("CVE-2024-0001", "CRITICAL"), ...Array.from({ length: 300 }, (_, i) => vuln(`CVE-2020-${10000 + i}`, "LOW"))];
  const small = assess(many, { maxFindings: 20 });
  const full = assess(many, { maxFindings: 1000 });

  it.each<[string, GateRule[], string, boolean]>([
    ["a rule the kept findings answer", [{ name: "c", minSeverity: "CRITICAL" }], "BLOCK", false],
    ["an id rule for an omitted finding", [{ name: "id", vulnerabilityIds: ["CVE-2020-10250"] }], "BLOCK", true],
    ["an id rule for an id the image does not have", [{ name: "id", vulnerabilityIds: ["CVE-1999-0001"] }], "ALLOW", false],
    ["a severity rule only omitted findings can match", [{ name: "low", minSeverity: "LOW", kev: false, fixAvailable: false }], "BLOCK", false],
  ])("%s", (_n, rules, outcome, onlyOmitted) => {
    const gate = gateWith(rules);
    const d = evaluateGates(small, [gate], [], ctx());
    expect(d.outcome).toBe(outcome);
    expect(evaluateGates(full, [gate], [], ctx()).outcome).toBe(outcome);
    expect(d.gates[0]!.matches.some((m) => m.mayMatchOmitted && m.count === 0)).toBe(onlyOmitted);
  });

  it("announces when a finding kept only in a bucket becomes old enough for an age rule", () => {
    // The kept findings (HIGH, no first-seen time) never match; only the summarised LOW ones will.
    const young = [
      ...Array.from({ length: 25 }, (_, i) => vuln(`CVE-2024-${1000 + i}`, "HIGH")),
      ...Array.from({ length: 300 }, (_, i) => vuln(`CVE-2020-${10000 + i}`, "LOW", { firstSeen: "2026-04-20T00:00:00Z" })),
    ];
    const gate = gateWith([], [{ name: "old-low", minSeverity: "LOW", minAgeDays: 30 }]);
    const bounded = assess(young, { maxFindings: 20 });
    const d = evaluateGates(bounded, [gate], [], ctx());
    expect(d.nextChangeAt).toBe(evaluateGates(assess(young, { maxFindings: 1000 }), [gate], [], ctx()).nextChangeAt);
    expect(d.nextChangeAt).toBe("2026-05-20T00:00:00.000Z");
  });

  it("lets an id exception take an omitted finding out of an id rule", () => {
    const gate = gateWith([{ name: "id", vulnerabilityIds: ["CVE-2020-10250"] }]);
    const ex = anException("e", { vulnerabilityIds: ["CVE-2020-10250"], expiresAt: "2027-01-01T00:00:00Z" });
    expect(evaluateGates(small, [gate], [ex], ctx()).outcome).toBe("ALLOW");
  });

  it("gives the same decision after a JSON round trip (as the webhook would hold it)", () => {
    const gates = [DEFAULT_GATE, gateWith([{ name: "id", vulnerabilityIds: ["CVE-2020-10250"] }])];
    const exceptions = [anException("e", { vulnerabilityIds: ["CVE-2024-0001"], expiresAt: "2027-01-01T00:00:00Z" })];
    const copy = JSON.parse(JSON.stringify(small)) as ArtifactAssessment;
    expect(evaluateGates(copy, gates, exceptions, ctx())).toEqual(evaluateGates(small, gates, exceptions, ctx()));
    // Compiled gates give the same answer as raw ones.
    expect(evaluateGates(copy, gates.map(compileGate), exceptions, ctx())).toEqual(evaluateGates(small, gates, exceptions, ctx()));
  });

  it("bounds reasons to 20 of at most 1024 characters (the ScanResult status limits)", () => {
    const rules = Array.from({ length: 30 }, (_, i) => ({ name: `r${i}`, minSeverity: "LOW" as const }));
    const d = evaluateGates(full, [gateWith(rules)], [], ctx());
    expect(d.gates[0]!.reasons).toHaveLength(20);
    expect(d.gates[0]!.reasons[19]).toBe("… and 11 more reasons");
    expect(d.gates[0]!.reasons.every((r) => r.length <= 1024)).toBe(true);
    expect(d.topFindings).toHaveLength(10);
  });
});

describe("end to end on real reports", () => {
  it.each([
    ["trivy/scheme_2_many_vulns.json", "BLOCK", ["CVE-2018-11771", "CVE-2018-1324", "CVE-2019-12900", "CVE-2020-15999", "CVE-2020-28196"]],
    ["trivy/kubernetes.json", "ALLOW", ["CVE-2011-3374", "CVE-2019-18276", "CVE-2020-27350", "CVE-2021-37600", "CVE-2022-0563"]],
    ["anchore_grype/anchore_grype_epss_problem.json", "NEEDS_REVIEW", ["GHSA-4374-p667-p6c8"]],
    ["cyclonedx/issue_8022.json", "ALLOW", []],
    ["spdx/spdx_many_vuln.json", "ALLOW", ["CVE-2024-10001", "CVE-2024-10002", "GHSA-jfh8-c2jp-5v3q"]],
  ])("%s → %s", (rel, outcome, ids) => {
    const analysis = analyseReports([parseReport(realFixture(rel))], { feeds: FEEDS, asOf: NOW });
    expect(analysis.vulnerabilityIds).toEqual(ids);
    expect(evaluateGates(analysis.assessment, [DEFAULT_GATE], [], ctx({ image: analysis.assessment.image })).outcome).toBe(outcome);
  });
});
