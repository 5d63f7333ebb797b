import { describe, expect, it } from "@jest/globals";
import { ReportParseError } from "../errors.js";
import { realFixture } from "../testing/fixtures.js";
import { parseReport } from "./index.js";

const parse = (rel: string) => parseReport(realFixture(`cyclonedx/${rel}`));
const LOG4J_IDS = ["CVE-2021-44228", "CVE-2021-44832", "CVE-2021-45046", "CVE-2021-45105", "GHSA-7rjr-3q55-vv33", "GHSA-8489-44mv-ggj8", "GHSA-jfh8-c2jp-5v3q", "GHSA-p6xc-xr62-6r2g"];

describe("CycloneDX JSON, real BOMs", () => {
  it.each([
    ["log4j.json", LOG4J_IDS, ["CRITICAL", "MEDIUM", "CRITICAL", "MEDIUM", "CRITICAL", "MEDIUM", "CRITICAL", "HIGH"], 1],
    ["nested-component-log4j.json", LOG4J_IDS, ["CRITICAL", "MEDIUM", "CRITICAL", "MEDIUM", "CRITICAL", "MEDIUM", "CRITICAL", "HIGH"], 1],
    ["no-severity.json", ["CVE-2021-44228"], ["CRITICAL"], 0],
    ["valid-vulnerability-1.4.json", ["SNYK-JAVA-COMFASTERXMLJACKSONCORE-32111"], ["CRITICAL"], 1],
    ["issue_8022.json", ["SNYK-JAVA-COMFASTERXMLJACKSONCORE-32111"], ["CRITICAL"], 1],
  ])("%s", (file, ids, sev, inventory) => {
    const r = parse(file);
    expect(r.format).toBe("cyclonedx");
    expect(r.findings.map((f) => f.id)).toEqual(ids);
    expect(r.findings.map((f) => f.severity)).toEqual(sev);
    expect(r.inventory).toHaveLength(inventory);
  });

  it("takes the package from the affected component, nested ones too, and the tool from metadata", () => {
    for (const file of ["log4j.json", "nested-component-log4j.json"]) {
      const r = parse(file);
      expect(r.scanner).toEqual({ name: "grype", version: "0.41.0" });
      expect(r.scannedAt).toBe("2022-07-22T09:45:32+01:00");
      for (const f of r.findings) expect(f.package).toEqual({ name: "log4j-core", version: "2.13.2", purl: "pkg:maven/org.apache.logging.log4j/log4j-core@2.13.2", type: "maven" });
      expect(r.findings[0]!.cvss).toEqual([
        { version: "2.0", vector: "AV:N/AC:M/Au:N/C:C/I:C/A:C", score: 10 },
        { version: "3.1", vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", score: 10 },
      ]);
    }
  });

  it("derives a missing severity from the score (no-severity.json) and keeps an unknown affects ref as the target", () => {
    const [f] = parse("no-severity.json").findings;
    expect(f).toMatchObject({ severity: "CRITICAL", target: "gerbwetbqt", severitySource: "NVD" });
    expect(f!.package).toBeUndefined();
  });

  it("applies analysis.state as VEX: not_affected takes the Snyk finding out, references are aliases", () => {
    const [f] = parse("valid-vulnerability-1.4.json").findings;
    expect(f).toMatchObject({
      aliases: ["CVE-2018-7489"],
      package: { name: "com.fasterxml.jackson.core:jackson-databind", version: "2.9.4", purl: "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.4" },
      suppression: { status: "not_affected", justification: "code_not_reachable", source: "cyclonedx:analysis.not_affected" },
      publishedAt: "2021-01-01T00:00:00.000Z",
    });
    expect(f!.cvss).toEqual([{ version: "3.0", vector: "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", score: 9.8, source: "NVD" }]);
    // in_triage is not a suppression
    expect(parse("log4j.json").findings.every((x) => x.suppression === undefined)).toBe(true);
  });

  it("names a container subject as the artifact", () => {
    const bom = { bomFormat: "CycloneDX", specVersion: "1.6", metadata: { component: { type: "container", name: "ghcr.io/acme/api", version: "1.2.3" } }, components: [] };
    expect(parseReport(JSON.stringify(bom)).artifact).toEqual({ image: "ghcr.io/acme/api:1.2.3" });
  });

  it.each([
    ['{"bomFormat": "CycloneDX", "specVersion": "2.0"}', "$.specVersion", /unsupported specVersion "2.0"/],
    ['{"bomFormat": "SPDX", "specVersion": "1.5"}', "$.bomFormat", /not a CycloneDX BOM: \$\.bomFormat is "SPDX"/],
    ['{"bomFormat": "CycloneDX", "specVersion": "1.5", "vulnerabilities": [{"ratings": []}]}', "$.vulnerabilities[0].id", /required member "id"/],
    ['{"bomFormat": "CycloneDX", "specVersion": "1.5", "vulnerabilities": [{"id": "CVE-1", "affects": [{"versions": []}]}]}', "$.vulnerabilities[0].affects[0].ref", /required member "ref"/],
  ])("rejects %s at %s", (text, path, problem) => {
    try {
      parseReport(text, { format: "cyclonedx" });
      throw new Error("expected an error");
    } catch (e) {
      expect(e).toBeInstanceOf(ReportParseError);
      expect([(e as ReportParseError).format, (e as ReportParseError).path]).toEqual(["cyclonedx", path]);
      expect((e as ReportParseError).problem).toMatch(problem);
    }
  });
});
