import { describe, expect, it } from "@jest/globals";
import { ReportParseError } from "../errors.js";
import { realFixture, realFixtureNames } from "../testing/fixtures.js";
import { parseReport } from "./index.js";

const FORMAT_OF_DIR: Record<string, string> = { trivy: "trivy", anchore_grype: "grype", sarif: "sarif", cyclonedx: "cyclonedx", spdx: "spdx", openvex: "openvex" };
// Files that are edge cases on purpose and must be refused.
const REFUSED = new Set(["spdx/spdx_3_unsupported.json", "openvex/openvex_not_a_document.json"]);

describe("format detection", () => {
  const all = Object.keys(FORMAT_OF_DIR).flatMap((d) => realFixtureNames(d).map((f) => `${d}/${f}`));

  it.each(all.filter((f) => !REFUSED.has(f)))("detects %s", (rel) => {
    expect(parseReport(realFixture(rel)).format).toBe(FORMAT_OF_DIR[rel.split("/")[0]!]);
  });

  it.each([
    ["{}", /the document is an empty object/],
    ['{"hello": "world", "n": 1}', /top-level members are "hello", "n"/],
    ["42", /the document is a number/],
    ["[]", /the document is an array/],
  ])("refuses %s as unknown", (text, problem) => {
    try {
      parseReport(text, { source: "report.json" });
      throw new Error("expected an error");
    } catch (e) {
      expect(e).toBeInstanceOf(ReportParseError);
      expect((e as ReportParseError).format).toBe("unknown format");
      expect((e as ReportParseError).message).toMatch(/^report\.json: unknown format: /);
      expect((e as ReportParseError).problem).toMatch(problem);
    }
  });

  it("names the likely format in a syntax error of a broken report", () => {
    const bytes = realFixture("cyclonedx/log4j.json");
    try {
      parseReport(bytes.subarray(0, bytes.length - 40));
      throw new Error("expected an error");
    } catch (e) {
      expect((e as ReportParseError).format).toBe("cyclonedx");
      expect((e as ReportParseError).line).toBeGreaterThan(300);
    }
  });

  it("reads text as well as bytes, and an empty but valid report is 0 findings, not an error", () => {
    const text = realFixture("trivy/scheme_2_no_vuln.json").toString("utf8");
    expect(parseReport(text).findings).toEqual([]);
    expect(parseReport(new TextEncoder().encode(text)).findings).toEqual([]);
  });
});
