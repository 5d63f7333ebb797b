import { describe, expect, it } from "@jest/globals";
import { ReportParseError } from "../errors.js";
import { realFixture } from "../testing/fixtures.js";
import { parseReport } from "./index.js";

const parse = (rel: string) => parseReport(realFixture(`openvex/${rel}`));

describe("OpenVEX, real documents", () => {
  it("reads every statement of openvex_many_vuln.json, in both the v0.2 and the v0.0.x shapes", () => {
    const r = parse("openvex_many_vuln.json");
    expect(r.format).toBe("openvex");
    expect(r.findings).toEqual([]);
    expect(r.vex.map((s) => [s.vulnerability, s.status, s.products])).toEqual([
      ["CVE-2024-10001", "not_affected", ["pkg:apk/alpine/apk-tools@2.10.6-r0?arch=x86_64&distro=alpine-3.10.9"]],
      ["CVE-2024-10002", "affected", ["pkg:apk/alpine/busybox@1.30.1-r3?arch=x86_64&distro=alpine-3.10.9"]],
      ["CVE-2024-10003", "fixed", ["pkg:apk/alpine/alpine-baselayout@3.1.2-r0?arch=x86_64&distro=alpine-3.10.9"]],
      ["CVE-2024-10004", "under_investigation", ["pkg:apk/alpine/musl@1.1.22-r3?arch=x86_64&distro=alpine-3.10.9"]],
      ["CVE-2024-10005", "not_affected", ["pkg:apk/alpine/zlib@1.2.11-r1?arch=x86_64&distro=alpine-3.10.9"]],
      ["CVE-2024-10006", "not_affected", ["pkg:apk/alpine/openssl@1.1.1k-r0"]],
    ]);
    expect(r.vex[4]).toMatchObject({ aliases: ["GHSA-jfh8-c2jp-5v3q"], justification: "inline_mitigations_already_exist", source: "https://openvex.dev/docs/public/vex-2222222222222222222222222222222222" });
  });

  it.each([
    ["openvex_one_vuln.json", 1],
    ["openvex_no_vuln.json", 0],
  ])("%s has %i statements", (file, n) => {
    expect(parse(file).vex).toHaveLength(n);
  });

  it("refuses a document that is not OpenVEX, detected or forced", () => {
    const bytes = realFixture("openvex/openvex_not_a_document.json");
    expect(() => parseReport(bytes)).toThrow(/^unknown format: not a report FixOps can read \(the document is an array\)/);
    expect(() => parseReport(bytes, { format: "openvex" })).toThrow(new ReportParseError("openvex", "expected an object, found an array", { path: "$" }));
  });

  it.each([
    ['{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"vulnerability": {"name": "CVE-1"}, "products": ["x"], "status": "maybe"}]}', "$.statements[0].status", /status "maybe" is not one of/],
    ['{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"vulnerability": {"name": "CVE-1"}, "status": "fixed"}]}', "$.statements[0].products", /at least one product/],
    ['{"@context": "https://example.com/ns", "statements": []}', "$.@context", /not an OpenVEX document/],
  ])("rejects %s at %s", (text, path, problem) => {
    try {
      parseReport(text, { format: "openvex" });
      throw new Error("expected an error");
    } catch (e) {
      expect(e).toBeInstanceOf(ReportParseError);
      expect([(e as ReportParseError).format, (e as ReportParseError).path]).toEqual(["openvex", path]);
      expect((e as ReportParseError).problem).toMatch(problem);
    }
  });
});
