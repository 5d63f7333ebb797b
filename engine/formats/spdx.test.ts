import { describe, expect, it } from "@jest/globals";
import { ReportParseError } from "../errors.js";
import { realFixture } from "../testing/fixtures.js";
import { parseReport } from "./index.js";

const parse = (rel: string) => parseReport(realFixture(`spdx/${rel}`));

describe("SPDX 2.3 JSON, real documents", () => {
  it.each([
    ["spdx_many_vuln.json", [["CVE-2024-10001", "alpine-baselayout"], ["CVE-2024-10002", "alpine-keys"], ["GHSA-jfh8-c2jp-5v3q", "alpine-keys"]], 4],
    ["spdx_one_vuln.json", [["CVE-2024-10001", "alpine-baselayout"]], 3],
    ["spdx_no_vuln.json", [], 3],
  ])("%s", (file, findings, inventory) => {
    const r = parse(file);
    expect(r.format).toBe("spdx");
    expect(r.scanner).toEqual({ name: "syft", version: "1.50.0" });
    expect(r.scannedAt).toBe("2026-07-29T00:00:00Z");
    expect(r.findings.map((f) => [f.id, f.package?.name])).toEqual(findings);
    expect(r.inventory).toHaveLength(inventory);
    // SPDX carries no score: severity is unknown, and says so (it lowers confidence).
    expect(r.findings.every((f) => f.severity === "UNKNOWN")).toBe(true);
  });

  it("lists the inventory with purls and never turns a CPE into a finding", () => {
    const r = parse("spdx_no_vuln.json");
    expect(r.inventory).toEqual([
      { name: "alpine-baselayout", version: "3.1.2-r0", purl: "pkg:apk/alpine/alpine-baselayout@3.1.2-r0?arch=x86_64&distro=alpine-3.10.9" },
      { name: "alpine-keys", version: "2.1-r2", purl: "pkg:apk/alpine/alpine-keys@2.1-r2?arch=x86_64&distro=alpine-3.10.9" },
      { name: "apk-tools", version: "2.10.6-r0", purl: "pkg:apk/alpine/apk-tools@2.10.6-r0?arch=x86_64&distro=alpine-3.10.9" },
    ]);
    // An advisory and a fix reference naming the same CVE give one finding.
    expect(parse("spdx_many_vuln.json").findings.filter((f) => f.id === "CVE-2024-10001")).toHaveLength(1);
  });

  it("refuses SPDX 3 with a clear message", () => {
    try {
      parse("spdx_3_unsupported.json");
      throw new Error("expected an error");
    } catch (e) {
      expect(e).toBeInstanceOf(ReportParseError);
      expect((e as ReportParseError).message).toBe("spdx: SPDX 3.0 (JSON-LD) is not supported: export the SBOM as SPDX 2.3 JSON, or as CycloneDX (at $.spdxVersion)");
    }
  });

  it.each([
    ['{"spdxVersion": "SPDX-1.2"}', "$.spdxVersion", /unsupported spdxVersion/],
    ['{"spdxVersion": "SPDX-2.3", "packages": [{"name": "a", "externalRefs": [{"referenceCategory": 7}]}]}', "$.packages[0].externalRefs[0].referenceCategory", /expected a string/],
    ['{"name": "x"}', "$", /not an SPDX document/],
  ])("rejects %s at %s", (text, path, problem) => {
    try {
      parseReport(text, { format: "spdx" });
      throw new Error("expected an error");
    } catch (e) {
      expect(e).toBeInstanceOf(ReportParseError);
      expect([(e as ReportParseError).format, (e as ReportParseError).path]).toEqual(["spdx", path]);
      expect((e as ReportParseError).problem).toMatch(problem);
    }
  });
});
