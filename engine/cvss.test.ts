import { describe, expect, it } from "@jest/globals";
import { chooseCvss, cvss2BaseScore, cvss3BaseScore, parseCvssVector, ratingScore, roundUp1 } from "./cvss.js";
import { CvssError } from "./errors.js";
import { parseReport } from "./formats/index.js";
import type { CvssRating } from "./model.js";
import { realFixture, realFixtureNames } from "./testing/fixtures.js";

describe("CVSS v3.1 base score (specification §7.1 with the Appendix A roundup)", () => {
  it.each([
    ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8],
    ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0],
    ["CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8],
    ["CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N", 4.2],
    ["CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1],
    ["CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H", 9.0],
    ["CVSS:3.1/AV:N/AC:H/PR:H/UI:N/S:U/C:H/I:H/A:H", 6.6],
    ["CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4],
    ["CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6],
    ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0],
    ["CVSS:3.0/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H", 5.5],
    // Temporal and environmental metrics do not change the base score.
    ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:R/CR:H/MAV:L", 9.8],
  ])("%s = %d", (vector, score) => {
    expect(cvss3BaseScore(vector)).toBe(score);
  });

  it.each([
    [4.0, 4.0],
    // Appendix A: differences below 5e-6 are float noise (4.000001 stays 4.0), larger ones round up.
    [4.000001, 4.0],
    [4.00001, 4.1],
    [4.02, 4.1],
    [3.9999999999, 4.0],
    [0, 0],
  ])("Roundup(%d) = %d", (x, y) => {
    expect(roundUp1(x)).toBe(y);
  });

  it("computes the score every real report states for its v3.x vectors", () => {
    let checked = 0;
    for (const dir of ["trivy", "anchore_grype", "cyclonedx"]) {
      for (const file of realFixtureNames(dir)) {
        let findings;
        try {
          findings = parseReport(realFixture(`${dir}/${file}`)).findings;
        } catch {
          continue; // files that are refused on purpose
        }
        for (const r of findings.flatMap((f) => f.cvss)) {
          if (!r.vector || r.score === undefined || (r.version !== "3.0" && r.version !== "3.1")) continue;
          expect([r.vector, cvss3BaseScore(parseCvssVector(r.vector, { assumeVersion: r.version }))]).toEqual([r.vector, r.score]);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(60);
  });
});

describe("CVSS v2 base score", () => {
  it.each([
    ["AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5],
    ["AV:N/AC:M/Au:N/C:N/I:N/A:P", 4.3],
    ["AV:L/AC:L/Au:N/C:N/I:P/A:P", 3.6],
    // NVD's values for the log4j CVEs (Grype's CycloneDX output labels v3 scores as v2 for these).
    ["AV:N/AC:M/Au:N/C:C/I:C/A:C", 9.3],
    ["AV:N/AC:M/Au:S/C:C/I:C/A:C", 8.5],
    ["(AV:N/AC:H/Au:N/C:P/I:P/A:P)", 5.1],
  ])("%s = %d", (vector, score) => {
    expect(cvss2BaseScore(vector)).toBe(score);
  });
});

describe("CVSS vector parsing", () => {
  it("parses v4.0 (validated, no formula: the vendor score is used) and bare v3 vectors with a version hint", () => {
    const v4 = parseCvssVector("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A/U:Red");
    expect(v4.version).toBe("4.0");
    expect(v4.metrics).toMatchObject({ AV: "N", VC: "H", E: "A", U: "Red" });
    expect(ratingScore({ version: "4.0", vector: v4.vector, score: 9.3 })).toBe(9.3);
    expect(ratingScore({ version: "4.0", vector: v4.vector })).toBeUndefined();
    expect(parseCvssVector("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", { assumeVersion: "3.0" }).vector).toBe("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
  });

  it.each([
    ["AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", /missing the CVSS:3.x\/ or CVSS:4.0\/ prefix/],
    ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", /missing base metric A/],
    ["CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", /metric AV has value "X"/],
    ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/A:L", /metric A appears twice/],
    ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/constructor:1", /unknown metric constructor/],
    ["CVSS:3.2/AV:N", /unsupported version CVSS:3.2/],
    ["CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N", /missing base metric SA/],
    ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/", /is not a metric:value pair/],
  ])("rejects %s", (vector, problem) => {
    expect(() => parseCvssVector(vector)).toThrow(CvssError);
    expect(() => parseCvssVector(vector)).toThrow(problem);
  });
});

describe("choosing the rating risk uses", () => {
  const nvd31: CvssRating = { version: "3.1", source: "nvd", vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", score: 9.8 };
  const nvd2: CvssRating = { version: "2.0", source: "nvd", vector: "AV:N/AC:L/Au:N/C:P/I:P/A:P", score: 7.5 };
  const ghsa: CvssRating = { version: "3.1", source: "ghsa", vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N" };
  const vendor: CvssRating = { version: "3.1", source: "redhat", score: 5.3 };
  it.each([
    [[nvd2, nvd31, ghsa], undefined, nvd31, 9.8],
    [[nvd2, nvd31, ghsa], "ghsa", ghsa, 6.5],
    [[vendor, nvd2], "redhat", vendor, 5.3],
    [[{ version: "3.1", vector: "CVSS:3.1/garbage" } as CvssRating, nvd2], undefined, nvd2, 7.5],
    [[], undefined, undefined, undefined],
  ])("%#", (ratings, preferred, chosen, score) => {
    const c = chooseCvss(ratings, preferred);
    expect(c).toBe(chosen);
    expect(c && ratingScore(c)).toBe(score);
  });
});
