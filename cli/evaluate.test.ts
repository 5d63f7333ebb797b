// `fixops evaluate` as CI runs it: a child process, exit codes, one JSON object on stdout.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { REAL_FIXTURES, realFixture } from "../engine/testing/fixtures.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const T = 60_000;
const fixture = (rel: string) => {
  realFixture(rel); // fails loudly when shared/ is missing
  return join(REAL_FIXTURES, rel);
};

function fixops(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", "cli/main.ts", ...args], { cwd: ROOT, encoding: "utf8", timeout: T });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface EvaluateJson {
  decision: string;
  riskScore: number;
  confidence: number;
  summary: { raw: number; unique: number; suppressed: number; bySeverity: Record<string, number> };
  vulnerabilityIds: string[];
  gates: { name: string; decision: string; reasons: string[] }[];
  exceptionsApplied: string[];
  nextChangeAt?: string;
  feeds: Record<string, string>;
}
const json = (stdout: string) => JSON.parse(stdout) as EvaluateJson;

let dir: string;
const file = (name: string, content: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "fixops-cli-evaluate-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("fixops evaluate with the built-in gate", () => {
  it(
    "BLOCKs a report with a CRITICAL (exit 3) and prints one JSON object",
    () => {
      const r = fixops("evaluate", "--report", fixture("trivy/scheme_2_many_vulns.json"), "-o", "json");
      expect([r.code, r.stderr]).toEqual([3, ""]);
      const out = json(r.stdout);
      expect(out.decision).toBe("BLOCK");
      expect(out.summary).toMatchObject({ raw: 5, unique: 5, suppressed: 0, bySeverity: { CRITICAL: 1, HIGH: 1, MEDIUM: 3, LOW: 0, UNKNOWN: 0 } });
      expect(out.vulnerabilityIds).toEqual(["CVE-2018-11771", "CVE-2018-1324", "CVE-2019-12900", "CVE-2020-15999", "CVE-2020-28196"]);
      expect(out.gates.map((g) => [g.name, g.decision])).toEqual([["default", "BLOCK"]]);
      expect(out.gates[0]!.reasons[0]).toMatch(/^block rule "critical" \(severity ≥ CRITICAL\) matched 1 finding: CVE-2019-12900 in libbz2 1\.0\.6-r6/);
      expect(out.riskScore).toBeGreaterThan(0);
    },
    T,
  );

  it.each([
    ["trivy/kubernetes.json", 0, "ALLOW", 20, 20],
    ["anchore_grype/anchore_grype_epss_problem.json", 2, "NEEDS_REVIEW", 1, 1],
    ["anchore_grype/same_cve_different_paths.json", 3, "BLOCK", 2, 1],
    ["cyclonedx/issue_8022.json", 0, "ALLOW", 1, 0],
    ["sarif/bash-report.sarif", 0, "ALLOW", 27, 12],
    ["spdx/spdx_no_vuln.json", 0, "ALLOW", 0, 0],
  ])(
    "%s → exit %i (%s)",
    (rel, code, decision, raw, unique) => {
      const r = fixops("evaluate", "--report", fixture(rel), "-o", "json");
      expect(r.code).toBe(code);
      expect(json(r.stdout)).toMatchObject({ decision, summary: { raw, unique } });
    },
    T,
  );

  it(
    "prints a table by default",
    () => {
      const r = fixops("evaluate", "--report", fixture("anchore_grype/anchore_grype_epss_problem.json"));
      expect(r.code).toBe(2);
      expect(r.stdout).toMatch(/^Decision: {3}NEEDS_REVIEW {4}risk \d+\/100 {4}confidence 0\.\d\d\n/);
      expect(r.stdout).toContain("Gate default (enforce): NEEDS_REVIEW");
      // Findings are shown under their CVE (the GHSA names it as an alias): feeds and people know CVEs.
      expect(r.stdout).toMatch(/\nCVE-2023-39325 +HIGH +\d+ +0\.002 +golang\.org\/x\/net +v0\.9\.0 +0\.17\.0\n/);
    },
    T,
  );
});

describe("fixops evaluate with feeds, gates and exceptions", () => {
  const kev = () =>
    file(
      "kev.json",
      JSON.stringify({
        catalogVersion: "2026.05.01",
        dateReleased: "2026-05-01T00:00:00.000Z",
        count: 1,
        vulnerabilities: [{ cveID: "CVE-2011-3374", vendorProject: "Debian", product: "apt", vulnerabilityName: "apt weak key", dateAdded: "2026-01-01", shortDescription: "-", requiredAction: "-", dueDate: "2026-01-22" }],
      }),
    );
  const epss = () => file("epss.csv.gz", gzipSync("#model_version:v2025.03.14,score_date:2026-05-01T00:00:00+0000\ncve,epss,percentile\nCVE-2011-3374,0.02,0.81\n"));

  it(
    "BLOCKs a LOW finding once the KEV catalog lists it, and records the feed versions (gzip EPSS accepted)",
    () => {
      const r = fixops("evaluate", "--report", fixture("trivy/kubernetes.json"), "--kev", kev(), "--epss", epss(), "-o", "json");
      expect(r.code).toBe(3);
      const out = json(r.stdout);
      expect(out.feeds).toEqual({ epss: "epss:v2025.03.14@2026-05-01", kev: "kev:2026.05.01" });
      expect(out.gates[0]!.reasons[0]).toMatch(/^block rule "kev" \(in KEV\) matched 2 findings: CVE-2011-3374 in apt 1\.8\.2\.1 \(LOW, KEV, risk \d+\)/);
    },
    T,
  );

  it(
    "uses PolicyGates and RiskExceptions from YAML; the exception stops at its expiry instant",
    () => {
      const gates = file(
        "gates.yaml",
        `apiVersion: fixops.io/v1alpha1
kind: PolicyGate
metadata: {name: prod, namespace: shop}
spec:
  selector: {images: ["ghcr.io/acme/**"]}
  mode: enforce
  blockRules: [{name: critical, minSeverity: CRITICAL}]
  reviewRules: [{name: fixable-high, minSeverity: HIGH, fixAvailable: true}]
---
apiVersion: fixops.io/v1alpha1
kind: PolicyGate
metadata: {name: other-team}
spec:
  selector: {images: ["docker.io/**"]}
  blockRules: [{name: any, minSeverity: LOW}]
`,
      );
      const exceptions = file(
        "exceptions.yaml",
        `apiVersion: fixops.io/v1alpha1
kind: RiskException
metadata: {name: libbz2-accepted, namespace: shop}
spec:
  vulnerabilityIds: [CVE-2019-12900]
  images: ["ghcr.io/acme/*:*"]
  expiresAt: "2026-06-01T00:00:00Z"
  approver: security@acme.io
  ticket: SEC-1234
  reason: not reachable in our build
`,
      );
      const args = ["evaluate", "--report", fixture("trivy/scheme_2_many_vulns.json"), "--image", "ghcr.io/acme/teamdojo:1.0", "--gate", gates, "--exception", exceptions, "-o", "json"];
      const before = fixops(...args, "--now", "2026-05-31T23:59:59.999Z");
      expect(before.code).toBe(2);
      const out = json(before.stdout);
      expect(out.gates.map((g) => [g.name, g.decision])).toEqual([["prod", "NEEDS_REVIEW"]]);
      expect(out.exceptionsApplied).toEqual(["libbz2-accepted"]);
      expect(out.nextChangeAt).toBe("2026-06-01T00:00:00.000Z");
      const at = fixops(...args, "--now", "2026-06-01T00:00:00Z");
      expect(at.code).toBe(3);
      expect(json(at.stdout)).toMatchObject({ decision: "BLOCK", exceptionsApplied: [] });
      // As a ScanResult of another namespace: shop's gate and exception do not apply.
      const elsewhere = fixops(...args, "--now", "2026-05-01T00:00:00Z", "--namespace", "bank");
      expect(elsewhere.code).toBe(0);
      expect(json(elsewhere.stdout)).toMatchObject({ decision: "ALLOW", gates: [], exceptionsApplied: [] });
    },
    T,
  );

  it(
    "combines several reports: an OpenVEX document takes a finding of an SBOM out",
    () => {
      const vex = file(
        "vex.json",
        JSON.stringify({
          "@context": "https://openvex.dev/ns/v0.2.0",
          "@id": "https://acme.io/vex/1",
          author: "acme",
          timestamp: "2026-05-01T00:00:00Z",
          version: 1,
          statements: [{ vulnerability: { name: "CVE-2024-10001" }, products: [{ "@id": "pkg:apk/alpine/alpine-baselayout@3.1.2-r0" }], status: "not_affected", justification: "vulnerable_code_not_present" }],
        }),
      );
      const r = fixops("evaluate", "--report", fixture("spdx/spdx_many_vuln.json"), "--report", vex, "-o", "json");
      expect(r.code).toBe(0);
      expect(json(r.stdout)).toMatchObject({ summary: { raw: 3, unique: 2, suppressed: 1 }, vulnerabilityIds: ["CVE-2024-10002", "GHSA-jfh8-c2jp-5v3q"] });
    },
    T,
  );
});

describe("fixops evaluate errors: exit 1, a message on stderr, nothing on stdout", () => {
  it.each<[string, () => string[], RegExp]>([
    ["no report at all", () => [], /required option '--report <file>' not specified/],
    ["only a VEX document", () => ["--report", fixture("openvex/openvex_one_vuln.json")], /openvex_one_vuln\.json: only OpenVEX documents given; add the scanner report they apply to/],
    ["a missing report", () => ["--report", join(dir, "nope.json")], /^fixops: cannot read report .*nope\.json: no such file\n$/],
    ["a truncated report", () => ["--report", file("cut.json", realFixture("trivy/scheme_2_many_vulns.json").subarray(0, 3000))], /cut\.json: trivy: invalid JSON: .*\(line \d+, column \d+, in \$\.Results\[0\]\.Vulnerabilities\[\d\]\)/],
    ["an unknown format", () => ["--report", file("x.json", '{"hello": 1}')], /x\.json: unknown format: not a report FixOps can read \(its top-level members are "hello"\)/],
    ["a report forced to the wrong format", () => ["--report", fixture("anchore_grype/no_vuln.json"), "--format", "sarif"], /no_vuln\.json: sarif: not a SARIF log/],
    ["an unsupported format name", () => ["--report", fixture("anchore_grype/no_vuln.json"), "--format", "csv"], /argument 'csv' is invalid/],
    ["SPDX 3", () => ["--report", fixture("spdx/spdx_3_unsupported.json")], /spdx: SPDX 3\.0 \(JSON-LD\) is not supported/],
    [
      "a gate that is not valid",
      () => ["--report", fixture("trivy/scheme_2_no_vuln.json"), "--gate", file("bad-gate.yaml", "apiVersion: fixops.io/v1alpha1\nkind: PolicyGate\nmetadata: {name: g}\nspec:\n  blockRules: [{name: r, minSeverity: SEVERE}]\n")],
      /bad-gate\.yaml \(document 1\): PolicyGate "g": invalid spec: spec\.blockRules\.0\.minSeverity/,
    ],
    [
      "a gate rule without a condition",
      () => ["--report", fixture("trivy/scheme_2_no_vuln.json"), "--gate", file("empty-rule.yaml", "apiVersion: fixops.io/v1alpha1\nkind: PolicyGate\nmetadata: {name: g}\nspec:\n  blockRules: [{name: r}]\n")],
      /empty-rule\.yaml \(document 1\): PolicyGate "g": blockRules\[r\]: a rule must set at least one condition/,
    ],
    ["a file of the wrong kind", () => ["--report", fixture("trivy/scheme_2_no_vuln.json"), "--gate", file("kind.yaml", "apiVersion: fixops.io/v1alpha1\nkind: RiskException\nmetadata: {name: e}\n")], /kind\.yaml \(document 1\): expected kind PolicyGate, found "RiskException"/],
    ["YAML that does not parse", () => ["--report", fixture("trivy/scheme_2_no_vuln.json"), "--exception", file("broken.yaml", "kind: [unclosed\n")], /broken\.yaml \(document 1\): YAML error/],
    [
      "an exception for everything",
      () => ["--report", fixture("trivy/scheme_2_no_vuln.json"), "--exception", file("all.yaml", "apiVersion: fixops.io/v1alpha1\nkind: RiskException\nmetadata: {name: all}\nspec: {expiresAt: '2027-01-01T00:00:00Z', approver: me, reason: because}\n")],
      /all\.yaml \(document 1\): RiskException "all": spec must name vulnerabilityIds, images, or both/,
    ],
    ["a broken EPSS feed", () => ["--report", fixture("trivy/scheme_2_no_vuln.json"), "--epss", file("epss.csv", "cve,score\n")], /epss\.csv: epss feed: header is "cve,score"; expected cve,epss,percentile \(line 1\)/],
  ])(
    "%s",
    (_name, args, message) => {
      const r = fixops("evaluate", ...args(), "-o", "json");
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(message);
    },
    T,
  );
});
