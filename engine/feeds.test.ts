import { describe, expect, it } from "@jest/globals";
import { FeedParseError } from "./errors.js";
import { gunzipSync } from "node:zlib";
import { epssCsvGz, kevCatalogText, kevEntry } from "../test/support/feeds.js";
import { decodeFeed, parseEpssCsv, parseKevCatalog } from "./feeds.js";

describe("EPSS CSV", () => {
  it.each([
    ["#model_version:v2025.03.14,score_date:2026-04-10T00:00:00+0000\ncve,epss,percentile\nCVE-2021-44228,0.99999,1.0\ncve-2023-39325,0.00163,0.37957\n", "v2025.03.14", "2026-04-10"],
    ["#model_version:v2023.03.01,score_date:2024-01-02T00:00:00Z\r\ncve,epss,percentile\r\nCVE-2021-44228,0.99999,1.0\r\nCVE-2023-39325,0.00163,0.37957\r\n", "v2023.03.01", "2024-01-02"],
    ["\uFEFF#model_version:v2022.01.01,score_date:2023-05-06\ncve,epss,percentile\nCVE-2021-44228,0.99999,1.0\nCVE-2023-39325,0.00163,0.37957", "v2022.01.01", "2023-05-06"],
  ])("reads scores and the header line (%#)", (text, model, date) => {
    const s = parseEpssCsv(text);
    expect([s.modelVersion, s.scoreDate, s.count, s.version]).toEqual([model, date, 2, `epss:${model}@${date}`]);
    expect(s.get("CVE-2021-44228")).toEqual({ probability: 0.99999, percentile: 1 });
    expect(s.get("cve-2023-39325")).toEqual({ probability: 0.00163, percentile: 0.37957 });
    expect(s.get("CVE-2000-0001")).toBeUndefined();
  });

  it("accepts a file without the comment line (versioned as unknown) and columns in another order", () => {
    const s = parseEpssCsv("percentile,cve,epss\n0.5,CVE-2024-0001,0.01\n");
    expect(s.version).toBe("epss:unknown-model@unknown-date");
    expect(s.get("CVE-2024-0001")).toEqual({ probability: 0.01, percentile: 0.5 });
  });

  it("holds a full-size feed (300k rows)", () => {
    const rows = Array.from({ length: 300_000 }, (_, i) => `CVE-2020-${10000 + i},${(i % 1000) / 1000},${(i % 997) / 997}`);
    const s = parseEpssCsv(`#model_version:v4,score_date:2026-01-01\ncve,epss,percentile\n${rows.join("\n")}\n`);
    expect(s.count).toBe(300_000);
    expect(s.get("CVE-2020-309999")).toEqual({ probability: 0.999, percentile: (299_999 % 997) / 997 });
  });

  it.each([
    ["#model_version:v1,score_date:2026-01-01\n", 2, /no header line/],
    ["cve,score\nCVE-2024-1,0.1\n", 1, /expected cve,epss,percentile/],
    ["cve,epss,percentile\nCVE-2024-0001,0.1,0.2\nnot-a-cve,0.1,0.2\n", 3, /"not-a-cve" is not a CVE id/],
    ["cve,epss,percentile\nCVE-2024-0001,1.5,0.2\n", 2, /in 0\.\.1/],
    ["cve,epss,percentile\nCVE-2024-0001,0.1\n", 2, /in 0\.\.1/],
    ["cve,epss,percentile\n", 1, /no scores/],
    ["#model_version:v1,score_date:yesterday\ncve,epss,percentile\n", 1, /score_date "yesterday" is not a date/],
  ])("rejects %j at line %i", (text, line, problem) => {
    try {
      parseEpssCsv(text);
      throw new Error("expected an error");
    } catch (e) {
      expect(e).toBeInstanceOf(FeedParseError);
      expect((e as FeedParseError).feed).toBe("epss");
      expect((e as FeedParseError).place.line).toBe(line);
      expect((e as FeedParseError).message).toMatch(problem);
    }
  });
});


describe("CISA KEV catalog", () => {
  it("reads the catalog with its version, and entries by CVE (any case)", () => {
    const s = parseKevCatalog(JSON.stringify({ title: "CISA Catalog of Known Exploited Vulnerabilities", catalogVersion: "2026.08.18", dateReleased: "2026-08-18T15:01:02.123Z", count: 2, vulnerabilities: [kevEntry("CVE-2021-44228"), kevEntry("CVE-2023-4966", "2023-11-08")] }));
    expect([s.catalogVersion, s.dateReleased, s.count, s.version]).toEqual(["2026.08.18", "2026-08-18T15:01:02.123Z", 2, "kev:2026.08.18"]);
    expect(s.get("cve-2021-44228")).toEqual({ cveId: "CVE-2021-44228", dateAdded: "2021-12-10", dueDate: "2021-12-24", knownRansomwareCampaignUse: "Known", vulnerabilityName: "Apache Log4j2 Remote Code Execution Vulnerability" });
    expect(s.get("CVE-2000-1")).toBeUndefined();
  });

  it.each([
    ["{", undefined, /not valid JSON/],
    [JSON.stringify({ dateReleased: "2026-01-01T00:00:00Z", count: 0, vulnerabilities: [] }), "$.catalogVersion", /./],
    [JSON.stringify({ catalogVersion: "1", dateReleased: "2026-01-01T00:00:00Z", count: 1, vulnerabilities: [{ ...kevEntry("CVE-2021-44228"), dueDate: "24/12/2021" }] }), "$.vulnerabilities[0].dueDate", /YYYY-MM-DD/],
    [JSON.stringify({ catalogVersion: "1", dateReleased: "2026-01-01T00:00:00Z", count: 1, vulnerabilities: [{ ...kevEntry("GHSA-xxxx") }] }), "$.vulnerabilities[0].cveID", /must be a CVE id/],
  ])("rejects a broken catalog (%#)", (text, path, problem) => {
    try {
      parseKevCatalog(text);
      throw new Error("expected an error");
    } catch (e) {
      expect(e).toBeInstanceOf(FeedParseError);
      expect((e as FeedParseError).feed).toBe("kev");
      expect((e as FeedParseError).place.path).toBe(path);
      expect((e as FeedParseError).message).toMatch(problem);
    }
  });
});

describe("decodeFeed", () => {
  it("reads the gzip-compressed EPSS file as FIRST publishes it, and plain text", () => {
    const gz = epssCsvGz("2026-11-20", [["CVE-2021-44228", 0.94358, 0.99957]]);
    expect(decodeFeed("epss", gz).version).toBe("epss:v2025.03.14@2026-11-20");
    expect(decodeFeed("epss", gunzipSync(gz)).get("CVE-2021-44228")).toEqual({ probability: 0.94358, percentile: 0.99957 });
    expect(decodeFeed("kev", Buffer.from(kevCatalogText("2026.11.20", ["CVE-2021-44228"]))).get("CVE-2021-44228")?.dueDate).toBe("2021-12-24");
  });

  it("names the feed when the bytes are a broken gzip stream or the wrong feed", () => {
    const gz = epssCsvGz("2026-11-20", [["CVE-2021-44228", 0.9, 0.9]]);
    expect(() => decodeFeed("epss", gz.subarray(0, 20))).toThrow(/^epss feed: looks gzip-compressed but cannot be decompressed/);
    expect(() => decodeFeed("kev", gz)).toThrow(/^kev feed: not valid JSON/);
  });
});
