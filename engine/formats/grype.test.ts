import { describe, expect, it } from "@jest/globals";
import { ReportParseError } from "../errors.js";
import type { Finding } from "../model.js";
import { realFixture } from "../testing/fixtures.js";
import { parseReport } from "./index.js";

const parse = (rel: string) => parseReport(realFixture(`anchore_grype/${rel}`));
const byId = (fs: Finding[], id: string) => fs.find((f) => f.id === id)!;

describe("Grype JSON, real reports", () => {
  it.each([
    ["many_vulns4.json", ["CVE-1999-1338", "CVE-2002-1647", "CVE-2005-0036", "CVE-2005-0861", "CVE-2007-2405", "CVE-2014-5509", "CVE-2021-29940", "CVE-2021-32626", "GHSA-8v27-2fg9-7h62"], "0.24.0"],
    ["fix_available.json", ["CVE-2009-3882"], "0.75.0"],
    ["no_vuln.json", [], "0.7.0"],
    ["same_cve_different_paths.json", ["CVE-2021-33574", "CVE-2021-33574"], "0.36.0"],
    ["anchore_grype_epss_problem.json", ["GHSA-4374-p667-p6c8"], undefined],
  ])("%s", (file, ids, version) => {
    const r = parse(file);
    expect(r.format).toBe("grype");
    expect(r.scanner).toEqual({ name: "grype", ...(version ? { version } : {}) });
    expect(r.findings.map((f) => f.id)).toEqual(ids);
  });

  it("maps severity words, fix data, purls and locations", () => {
    const m = parse("many_vulns4.json").findings;
    expect(m.map((f) => f.severity)).toEqual(["MEDIUM", "MEDIUM", "MEDIUM", "HIGH", "MEDIUM", "MEDIUM", "CRITICAL", "HIGH", "CRITICAL"]);
    expect(byId(m, "CVE-2021-32626")).toMatchObject({ package: { name: "redis", version: "3.5.3", purl: "pkg:pypi/redis@3.5.3", type: "python", path: "requirements.txt" }, fixState: "unknown" });
    expect(byId(m, "GHSA-8v27-2fg9-7h62")).toMatchObject({ aliases: ["CVE-2021-23334"], fixState: "not-fixed" });
    expect(byId(m, "CVE-2014-5509").cvss).toEqual([
      { version: "2.0", source: "nvd", vector: "AV:L/AC:L/Au:N/C:N/I:P/A:P", score: 3.6 },
      { version: "3.0", source: "nvd", vector: "CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:H/A:N", score: 5.5 },
    ]);
    const fix = parse("fix_available.json");
    expect(fix.findings[0]).toMatchObject({ fixedVersion: "1.2.3", fixState: "fixed", severity: "HIGH" });
    expect(fix.artifact).toEqual({ image: "REDACTED", digest: "sha256:4e1c538085614cbc0c9affbb206abbec3220118425409662e46b3d4bb71d1b6d" });
    expect(fix.scannedAt).toBe("2024-04-10T11:05:22.636338786Z");
  });

  it("takes aliases, CVSS and EPSS from the related CVE record (epss_problem)", () => {
    const [f] = parse("anchore_grype_epss_problem.json").findings;
    expect(f).toMatchObject({ id: "GHSA-4374-p667-p6c8", aliases: ["CVE-2023-39325"], severity: "HIGH", fixedVersion: "0.17.0", severitySource: "ghsa" });
    expect(f!.epss).toEqual({ probability: 0.00163, percentile: 0.37957, date: "2025-07-20" });
    expect(f!.cvss.map((c) => [c.source, c.version, c.score])).toContainEqual(["ghsa", "3.1", 7.5]);
    expect(f!.package).toMatchObject({ name: "golang.org/x/net", version: "v0.9.0", purl: "pkg:golang/golang.org/x/net@v0.9.0" });
  });

  it("keeps an invalid digest out (sha256:test) and the two paths of one CVE apart", () => {
    const r = parse("same_cve_different_paths.json");
    expect(r.artifact).toEqual({ image: "test-image:latest" });
    expect(r.findings.map((f) => f.package?.path)).toEqual(["/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6"]);
  });

  it("keeps ignored matches as suppressed findings", () => {
    const report = {
      matches: [],
      ignoredMatches: [
        {
          vulnerability: { id: "CVE-2024-9", severity: "Critical", fix: { versions: [], state: "not-fixed" } },
          artifact: { name: "zlib", version: "1.2.11" },
          appliedIgnoreRules: [{ vulnerability: "CVE-2024-9", reason: "not reachable", "vex-status": "not_affected" }],
        },
      ],
      descriptor: { name: "grype", version: "0.80.0" },
    };
    const [f] = parseReport(JSON.stringify(report)).findings;
    expect(f).toMatchObject({ id: "CVE-2024-9", severity: "CRITICAL", suppression: { status: "not_affected", source: "grype:ignore-rule", justification: "not reachable" } });
  });

  it.each([
    ['{"matches": [{"vulnerability": {"id": "CVE-1"}}], "descriptor": {}}', "$.matches[0].artifact", /expected an object, found nothing \(the member is missing\)/],
    ['{"matches": [{"vulnerability": {"id": "CVE-1"}, "artifact": {"name": ["x"]}}], "descriptor": {}}', "$.matches[0].artifact.name", /expected a string, found an array/],
    ['{"matches": {}, "descriptor": {}}', "$.matches", /expected an array/],
  ])("rejects %s at %s", (text, path, problem) => {
    try {
      parseReport(text);
      throw new Error("expected an error");
    } catch (e) {
      expect(e).toBeInstanceOf(ReportParseError);
      expect([(e as ReportParseError).format, (e as ReportParseError).path]).toEqual(["grype", path]);
      expect((e as ReportParseError).problem).toMatch(problem);
    }
  });
});
