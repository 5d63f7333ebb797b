import { describe, expect, it } from "@jest/globals";
import { ReportParseError } from "../errors.js";
import type { Finding, Severity } from "../model.js";
import { realFixture } from "../testing/fixtures.js";
import { parseReport } from "./index.js";

const parse = (rel: string) => parseReport(realFixture(`sarif/${rel}`));
const severities = (fs: Finding[]) => fs.reduce<Partial<Record<Severity, number>>>((m, f) => ({ ...m, [f.severity]: (m[f.severity] ?? 0) + 1 }), {});

describe("SARIF 2.1.0, real logs from several tools", () => {
  it.each([
    // file, tool, version, findings, severities, skipped
    ["flawfinder.sarif", "Flawfinder", "2.0.19", 53, { HIGH: 2, MEDIUM: 1, LOW: 50 }, { "results of kind pass": 1 }],
    ["taint-python-report.sarif", "Python Security Analysis", "1.0.0-scan", 11, { HIGH: 8, MEDIUM: 1, LOW: 2 }, {}],
    ["bash-report.sarif", "Shell Script Analysis", "1.0.0-scan", 27, { LOW: 27 }, {}],
    ["njsscan.sarif", "nodejsscan", "0.2.3", 2, { MEDIUM: 1, HIGH: 1 }, {}],
    ["dockle_0_3_15.sarif", "Dockle", undefined, 4, { HIGH: 1, LOW: 3 }, {}],
    ["dependency_check.sarif", "dependency-check", "6.1.2", 13, { LOW: 1, MEDIUM: 12 }, {}],
    ["appendix_k.sarif", "CodeScanner", "2.1.0", 1, { HIGH: 1 }, {}],
    ["no_runs.sarif", "sarif", undefined, 0, {}, {}],
  ])("%s (%s)", (file, tool, version, count, sev, skipped) => {
    const r = parse(file);
    expect(r.format).toBe("sarif");
    expect(r.scanner).toEqual({ name: tool, ...(version ? { version } : {}) });
    expect(r.findings).toHaveLength(count);
    expect(severities(r.findings)).toEqual(sev);
    expect(r.skipped).toEqual(skipped);
  });

  it("treats CVE rules as vulnerabilities and takes the CVSS score tools put in properties (dependency-check)", () => {
    const f = parse("dependency_check.sarif").findings;
    expect(f.filter((x) => x.kind === "vulnerability").map((x) => x.id)).toEqual([
      "CVE-2012-6708",
      "CVE-2015-9251",
      "CVE-2019-11358",
      "CVE-2020-11022",
      "CVE-2020-11023",
      "CVE-2015-9251",
      "CVE-2019-11358",
      "CVE-2020-11022",
      "CVE-2020-11023",
    ]);
    expect(f.find((x) => x.id === "CVE-2012-6708")).toMatchObject({ severity: "MEDIUM", severityScore: 6.1 });
    expect(f.find((x) => x.id === "Prototype pollution")).toMatchObject({ kind: "code", severity: "MEDIUM" });
  });

  it("reads rules, locations, fingerprints, provenance and suppressions (spec appendix K)", () => {
    const [f] = parse("appendix_k.sarif").findings;
    expect(f).toMatchObject({
      kind: "code",
      id: "C2001",
      rule: { id: "C2001" },
      title: "A variable was used without being initialized.",
      location: { uri: "%SRCROOT%/collections/list.h", startLine: 15, startColumn: 9, endLine: 15, endColumn: 10 },
      firstSeen: "2016-07-15T14:20:42Z",
      lastSeen: "2016-07-16T14:20:42Z",
      suppression: { status: "not_affected", source: "sarif:suppression", justification: "external" },
    });
    const taint = parse("taint-python-report.sarif").findings[0]!;
    expect(taint.partialFingerprints).toEqual({ scanPrimaryLocationHash: "be794d27997ab3ce", scanTagsHash: "53dc119db6d3af07", scanFileHash: "933a05ac897cd017" });
    expect(taint.location).toEqual({ uri: "file:///home/damien/dd/dojo/tools/veracode/parser.py", startLine: 35 });
    const ff = parse("flawfinder.sarif").findings[0]!;
    expect(ff).toMatchObject({ id: "FF1048", severity: "HIGH", toolKey: "contextHash/v1=e6c1ad2b1d96ffc4035ed8df070600566ad240b8ded025dac30620f3fd4aa9fd" });
  });

  it("resolves message templates when there is no rule title", () => {
    const log = {
      version: "2.1.0",
      runs: [
        {
          tool: { driver: { name: "x", rules: [{ id: "R1", messageStrings: { m: { text: "{0} is bad at {1}" } } }] } },
          results: [
            { ruleIndex: 0, message: { id: "m", arguments: ["eval", "line 3"] }, level: "note", properties: { "security-severity": "9.1" } },
            { ruleId: "R1", message: { text: "plain" }, kind: "notApplicable" },
            { ruleId: "R1", message: { text: "gone" }, baselineState: "absent" },
          ],
        },
      ],
    };
    const r = parseReport(JSON.stringify(log));
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ id: "R1", title: "eval is bad at line 3", severity: "CRITICAL", severityScore: 9.1 });
    expect(r.skipped).toEqual({ "results of kind notApplicable": 1, "results absent from this run (baselineState absent)": 1 });
  });

  it.each([
    ['{"version": "2.0.0", "runs": []}', "$.version", /unsupported SARIF version "2.0.0"/],
    ['{"version": "2.1.0", "runs": [{"tool": {}}]}', "$.runs[0].tool.driver", /expected an object/],
    ['{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "?"}}]}]}', "$.runs[0].results[0]", /must name its rule/],
    ['{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"ruleId": "a", "partialFingerprints": {"h": 1}}]}]}', "$.runs[0].results[0].partialFingerprints.h", /expected a string/],
  ])("rejects %s at %s", (text, path, problem) => {
    try {
      parseReport(text, { format: "sarif" });
      throw new Error("expected an error");
    } catch (e) {
      expect(e).toBeInstanceOf(ReportParseError);
      expect([(e as ReportParseError).format, (e as ReportParseError).path]).toEqual(["sarif", path]);
      expect((e as ReportParseError).problem).toMatch(problem);
    }
  });
});
