import { describe, expect, it } from "@jest/globals";
import { ReportParseError } from "../errors.js";
import type { Finding } from "../model.js";
import { realFixture } from "../testing/fixtures.js";
import { parseReport } from "./index.js";

const parse = (rel: string) => parseReport(realFixture(`trivy/${rel}`));
const byId = (fs: Finding[], id: string) => fs.find((f) => f.id === id)!;
const kinds = (fs: Finding[]) => fs.reduce<Record<string, number>>((m, f) => ({ ...m, [f.kind]: (m[f.kind] ?? 0) + 1 }), {});

describe("Trivy JSON, real reports", () => {
  it.each([
    // file, findings, by kind, sorted vulnerability ids
    ["scheme_2_many_vulns.json", 5, { vulnerability: 5 }, ["CVE-2018-11771", "CVE-2018-1324", "CVE-2019-12900", "CVE-2020-15999", "CVE-2020-28196"]],
    ["scheme_2_no_vuln.json", 0, {}, []],
    ["cvss_severity_source.json", 2, { vulnerability: 2 }, ["CVE-2023-37920", "CVE-2023-46218"]],
    ["severity_prio.json", 2, { vulnerability: 2 }, ["CVE-2023-37920", "CVE-2023-46218"]],
    ["misconfigurations_and_secrets.json", 5, { vulnerability: 2, misconfiguration: 1, secret: 2 }, ["CVE-2021-28363", "CVE-2021-33503"]],
    [
      "issue_9333.json",
      13,
      { vulnerability: 13 },
      ["CVE-2011-3374", "CVE-2017-13716", "CVE-2018-1000876", "CVE-2018-12697", "CVE-2018-12698", "CVE-2018-12699", "CVE-2018-12934", "CVE-2018-17358", "CVE-2018-17359", "CVE-2018-17360", "CVE-2019-18276", "CVE-2023-26136", "TEMP-0841856-B18BAF"],
    ],
    ["kubernetes.json", 20, { vulnerability: 10, misconfiguration: 10 }, ["CVE-2011-3374", "CVE-2019-18276", "CVE-2020-27350", "CVE-2021-37600", "CVE-2022-0563"]],
  ])("%s: %i findings", (file, count, byKind, ids) => {
    const r = parse(file);
    expect(r.format).toBe("trivy");
    expect(r.scanner.name).toBe("trivy");
    expect(r.findings).toHaveLength(count);
    expect(kinds(r.findings)).toEqual(byKind);
    expect([...new Set(r.findings.filter((f) => f.kind === "vulnerability").map((f) => f.id))].sort()).toEqual(ids);
  });

  it("maps a vulnerability completely (scheme_2_many_vulns: freetype CVE-2020-15999)", () => {
    const r = parse("scheme_2_many_vulns.json");
    expect(r.artifact).toEqual({ image: "teamdojo:latest" });
    const f = byId(r.findings, "CVE-2020-15999");
    expect(f).toMatchObject({
      kind: "vulnerability",
      severity: "MEDIUM",
      severitySource: "nvd",
      fixedVersion: "2.9.1-r3",
      fixState: "fixed",
      package: { name: "freetype", version: "2.9.1-r2", type: "alpine", path: "app/libs/freetype-2.9.1-r2" },
      target: "teamdojo:latest (alpine 3.9.4)",
      title: "freetype: Heap-based buffer overflow due to integer truncation in Load_SBit_Png",
      publishedAt: "2020-11-03T03:15:00Z",
    });
    expect(f.cvss).toEqual([
      { version: "2.0", source: "nvd", vector: "AV:N/AC:M/Au:N/C:N/I:N/A:P", score: 4.3 },
      { version: "3.1", source: "nvd", vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H", score: 6.5 },
      { version: "3.1", source: "redhat", vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:H", score: 8.6 },
    ]);
    // A vulnerability without CVSS data (libbz2 CVE-2019-12900) has none, not an empty object.
    expect(byId(r.findings, "CVE-2019-12900").cvss).toEqual([]);
    expect(byId(r.findings, "CVE-2018-1324").package).toMatchObject({ name: "org.apache.commons:commons-compress", version: "1.14", type: "jar" });
  });

  it("reads purls (PkgIdentifier.PURL, or the older Ref), statuses and the scan time", () => {
    const cs = parse("cvss_severity_source.json");
    expect(byId(cs.findings, "CVE-2023-46218").package?.purl).toBe("pkg:deb/ubuntu/curl@7.81.0-1ubuntu1.14?arch=amd64&distro=ubuntu-22.04");
    expect(byId(cs.findings, "CVE-2023-37920").package?.purl).toBe("pkg:pypi/certifi@2022.5.18.1");
    expect(byId(cs.findings, "CVE-2023-46218").toolKey).toBe("43a41104920d137|CVE-2023-46218");
    // Same report, different severities: severity_prio rates curl LOW and certifi CRITICAL.
    const sp = parse("severity_prio.json");
    expect([byId(sp.findings, "CVE-2023-46218").severity, byId(sp.findings, "CVE-2023-37920").severity]).toEqual(["LOW", "CRITICAL"]);
    const i = parse("issue_9333.json");
    expect(i.scannedAt).toBe("2024-01-15T08:58:29.82753744Z");
    expect(byId(i.findings, "CVE-2011-3374").fixState).toBe("not-fixed");
    expect(byId(i.findings, "CVE-2023-26136")).toMatchObject({ fixState: "fixed", fixedVersion: "4.1.3", severity: "MEDIUM" });
  });

  it("maps failed misconfigurations and secrets with their locations", () => {
    const r = parse("misconfigurations_and_secrets.json");
    expect(byId(r.findings, "DS002")).toMatchObject({ kind: "misconfiguration", severity: "HIGH", target: "Dockerfile", rule: { id: "DS002", name: "Image user should not be 'root'" } });
    const secrets = r.findings.filter((f) => f.kind === "secret");
    expect(secrets.map((s) => [s.id, s.severity, s.location])).toEqual([
      ["github-pat", "CRITICAL", { uri: "Dockerfile", startLine: 24, endLine: 24 }],
      ["github-pat", "CRITICAL", { uri: "secret.txt", startLine: 1, endLine: 1 }],
    ]);
  });

  it("gives each workload image of a cluster scan its own artifact", () => {
    const r = parse("kubernetes.json");
    const images = [...new Set(r.findings.filter((f) => f.kind === "vulnerability").map((f) => f.artifact.image))].sort();
    expect(images).toEqual(["docker.io/redis:6.0.5", "gcr.io/google_samples/gb-redis-follower:v2"]);
    expect(r.findings.filter((f) => f.kind === "misconfiguration").map((f) => f.id).sort()).toEqual(["KSV001", "KSV001", "KSV003", "KSV003", "KSV011", "KSV011", "KSV012", "KSV012", "KSV014", "KSV014"]);
  });

  it("lets the caller name the image and fills in the digest from the report", () => {
    const report = JSON.stringify({
      SchemaVersion: 2,
      ArtifactName: "ghcr.io/acme/api:1.0",
      ArtifactType: "container_image",
      Metadata: { RepoDigests: [`ghcr.io/acme/api@sha256:${"b".repeat(64)}`] },
      Results: [],
    });
    expect(parseReport(report).artifact).toEqual({ image: "ghcr.io/acme/api:1.0", digest: `sha256:${"b".repeat(64)}` });
    expect(parseReport(report, { artifact: { image: "registry.local/api:1.0" } }).artifact).toEqual({ image: "registry.local/api:1.0", digest: `sha256:${"b".repeat(64)}` });
  });

  it("keeps VEX-suppressed findings (ModifiedFindings) as suppressed, and Status not_affected", () => {
    const report = {
      SchemaVersion: 2,
      ArtifactName: "x",
      ArtifactType: "container_image",
      Results: [
        {
          Target: "x (debian 12)",
          Class: "os-pkgs",
          Type: "debian",
          Vulnerabilities: [{ VulnerabilityID: "CVE-2024-1", PkgName: "a", InstalledVersion: "1", Severity: "HIGH", Status: "not_affected" }],
          ExperimentalModifiedFindings: [
            { Type: "vulnerability", Status: "not_affected", Statement: "vulnerable_code_not_in_execute_path", Source: "openvex.json", Finding: { VulnerabilityID: "CVE-2024-2", PkgName: "b", InstalledVersion: "2", Severity: "CRITICAL" } },
            { Type: "misconfiguration", Status: "not_affected", Finding: {} },
          ],
        },
      ],
    };
    const r = parseReport(JSON.stringify(report));
    expect(r.findings.map((f) => [f.id, f.suppression?.status, f.suppression?.source])).toEqual([
      ["CVE-2024-1", "not_affected", "trivy:status"],
      ["CVE-2024-2", "not_affected", "trivy:openvex.json"],
    ]);
    expect(r.skipped).toEqual({ "modified findings that are not vulnerabilities": 1 });
  });
});

describe("Trivy JSON, malformed input", () => {
  const err = (text: string, format?: "trivy") => {
    try {
      parseReport(text, format ? { format } : {});
    } catch (e) {
      expect(e).toBeInstanceOf(ReportParseError);
      return e as ReportParseError;
    }
    throw new Error("expected an error");
  };

  it.each([
    ['{"SchemaVersion": 2, "Results": [{"Target": "x", "Vulnerabilities": {"a": 1}}]}', "$.Results[0].Vulnerabilities", /expected an array, found an object/],
    ['{"SchemaVersion": 2, "Results": [{"Target": "x", "Vulnerabilities": [{"VulnerabilityID": 42, "PkgName": "a"}]}]}', "$.Results[0].Vulnerabilities[0].VulnerabilityID", /expected a string, found a number/],
    ['{"SchemaVersion": 2, "Results": [{"Target": "x", "Vulnerabilities": [{"VulnerabilityID": "CVE-1"}]}]}', "$.Results[0].Vulnerabilities[0].PkgName", /required member "PkgName" is missing/],
    ['{"SchemaVersion": 3, "Results": []}', "$.SchemaVersion", /unsupported SchemaVersion 3/],
    ['{"SchemaVersion": 2, "Results": [{"Target": "x", "Vulnerabilities": [{"VulnerabilityID": "CVE-1", "PkgName": "a", "CVSS": {"nvd": {"V3Score": "high"}}}]}]}', "$.Results[0].Vulnerabilities[0].CVSS.nvd.V3Score", /expected a number/],
  ])("%s → %s", (text, path, problem) => {
    const e = err(text);
    expect(e.format).toBe("trivy");
    expect(e.path).toBe(path);
    expect(e.problem).toMatch(problem);
  });

  it("names the format and the line of a truncated real report", () => {
    const bytes = realFixture("trivy/scheme_2_many_vulns.json");
    const e = err(bytes.subarray(0, 2000).toString("utf8"));
    expect(e.format).toBe("trivy");
    expect(e.line).toBeGreaterThan(30);
    expect(e.path).toBe("$.Results[0].Vulnerabilities[0]");
  });

  it("refuses another format forced to trivy, saying what it found", () => {
    const e = err(realFixture("anchore_grype/no_vuln.json").toString("utf8"), "trivy");
    expect(e.message).toMatch(/^trivy: not a Trivy report: \$\.SchemaVersion is missing \(its top-level members are "matches", "source", "distro", "descriptor"\)/);
  });

  it("refuses SchemaVersion 1 (a top-level array)", () => {
    expect(err('[{"Target":"x"}]', "trivy").problem).toMatch(/SchemaVersion 1/);
  });
});
