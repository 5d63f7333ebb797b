import { describe, expect, it } from "@jest/globals";
import { AliasIndex, FINGERPRINT_VERSION, STRATEGIES, correlateFindings, identityCache, packageAcrossImagesKey, strategyKey, type StrategyName } from "./correlate.js";
import { parseReport } from "./formats/index.js";
import type { Finding, VexStatement } from "./model.js";
import { aFinding, realFixture } from "./testing/fixtures.js";

const grype = { name: "grype", version: "0.80.0" };
const trivy = { name: "trivy" };
const imageA = { image: "ghcr.io/acme/api:1.0", digest: `sha256:${"a".repeat(64)}` };
const imageB = { image: "ghcr.io/acme/web:2.0", digest: `sha256:${"b".repeat(64)}` };

/** Correlates and returns [raw, unique, suppressed, what each strategy did (non-zero only)]. */
function summary(findings: Finding[], vex: VexStatement[] = []) {
  const c = correlateFindings(findings, { vex });
  const did = Object.fromEntries(Object.entries(c.stats.byStrategy).filter(([, n]) => n > 0));
  return [c.stats.raw, c.stats.unique, c.stats.suppressed, did];
}

describe("correlation strategies", () => {
  it("has at least seven named strategies, each with a version", () => {
    expect(STRATEGIES.map((s) => `${s.name}/v${s.version}`)).toEqual([
      "tool-id/v1",
      "vuln-package-version/v1",
      "alias-closure/v1",
      "sarif-rule-location/v1",
      "cross-scanner/v1",
      "package-across-images/v1",
      "vex-suppressed/v1",
    ]);
  });

  it.each<[string, Finding[], unknown[]]>([
    ["tool-id: same scanner id twice", [aFinding({ toolKey: "uid1|CVE-2024-0001" }), aFinding({ toolKey: "uid1|CVE-2024-0001", package: { name: "openssl", version: "3.0.1", path: "/other" } })], [2, 1, 0, { "tool-id": 1 }]],
    ["tool-id: same scanner id on another image stays apart", [aFinding({ toolKey: "k", package: undefined, kind: "secret" }), aFinding({ toolKey: "k", package: undefined, kind: "secret", artifact: imageB })], [2, 2, 0, {}]],
    [
      "vuln-package-version: one CVE in one package version at two paths",
      [aFinding({ package: { name: "libc6", version: "2.28-10", path: "/lib/libc.so.6" } }), aFinding({ package: { name: "libc6", version: "2.28-10", path: "/usr/lib/libc.so.6" } })],
      [2, 1, 0, { "vuln-package-version": 1 }],
    ],
    ["vuln-package-version: another version stays apart", [aFinding(), aFinding({ package: { name: "openssl", version: "3.0.2" } })], [2, 2, 0, {}]],
    ["vuln-package-version: another digest stays apart (grouped, not merged)", [aFinding(), aFinding({ artifact: imageB })], [2, 2, 0, { "package-across-images": 1 }]],
    ["vuln-package-version: ids compare without case", [aFinding({ id: "cve-2024-0001" }), aFinding({ id: "CVE-2024-0001" })], [2, 1, 0, { "vuln-package-version": 1 }]],
    ["alias-closure: a GHSA and its CVE in one package", [aFinding({ id: "GHSA-4374-p667-p6c8", aliases: ["CVE-2023-39325"] }), aFinding({ id: "CVE-2023-39325" })], [2, 1, 0, { "alias-closure": 1 }]],
    [
      "alias-closure: a vendor advisory naming two CVEs does not make them one",
      [aFinding({ id: "DSA-5000-1", aliases: ["CVE-2024-1111", "CVE-2024-2222"] }), aFinding({ id: "CVE-2024-1111" }), aFinding({ id: "CVE-2024-2222" })],
      [3, 2, 0, { "alias-closure": 1 }],
    ],
    ["alias-closure: the same CVE in two packages stays two findings", [aFinding({ id: "GHSA-x", aliases: ["CVE-2024-0001"] }), aFinding({ package: { name: "libssl3", version: "3.0.1" } })], [2, 2, 0, {}]],
    [
      "sarif-rule-location: same rule, file and partial fingerprints",
      [
        aFinding({ kind: "code", id: "2077", package: undefined, scanner: { name: "shellcheck" }, rule: { id: "2077" }, location: { uri: "a.sh", startLine: 10 }, partialFingerprints: { h: "1" } }),
        aFinding({ kind: "code", id: "2077", package: undefined, scanner: { name: "shellcheck" }, rule: { id: "2077" }, location: { uri: "a.sh", startLine: 12 }, partialFingerprints: { h: "1" } }),
      ],
      [2, 1, 0, { "sarif-rule-location": 1 }],
    ],
    [
      "sarif-rule-location: without fingerprints, the line and column decide",
      [
        aFinding({ kind: "code", id: "R", package: undefined, rule: { id: "R" }, location: { uri: "a.py", startLine: 3, startColumn: 1 } }),
        aFinding({ kind: "code", id: "R", package: undefined, rule: { id: "R" }, location: { uri: "a.py", startLine: 3, startColumn: 1 } }),
        aFinding({ kind: "code", id: "R", package: undefined, rule: { id: "R" }, location: { uri: "a.py", startLine: 4, startColumn: 1 } }),
      ],
      [3, 2, 0, { "sarif-rule-location": 1 }],
    ],
    [
      "cross-scanner: Trivy's group:artifact and Grype's maven purl are one package",
      [
        aFinding({ id: "CVE-2018-1324", scanner: trivy, package: { name: "org.apache.commons:commons-compress", version: "1.14", type: "jar" } }),
        aFinding({ id: "CVE-2018-1324", scanner: grype, package: { name: "commons-compress", version: "1.14", type: "java-archive", purl: "pkg:maven/org.apache.commons/commons-compress@1.14" } }),
      ],
      [2, 1, 0, { "cross-scanner": 1 }],
    ],
    [
      "cross-scanner: Go versions with and without the v, after alias closure",
      [
        aFinding({ id: "CVE-2023-39325", scanner: trivy, package: { name: "golang.org/x/net", version: "0.9.0", type: "gomod" } }),
        aFinding({ id: "GHSA-4374-p667-p6c8", aliases: ["CVE-2023-39325"], scanner: grype, package: { name: "golang.org/x/net", version: "v0.9.0", purl: "pkg:golang/golang.org/x/net@v0.9.0" } }),
      ],
      [2, 1, 0, { "cross-scanner": 1 }],
    ],
    [
      "cross-scanner: never applies within one scanner",
      [aFinding({ package: { name: "Requests", version: "2.0", type: "pip" } }), aFinding({ package: { name: "requests", version: "2.0", type: "pip" } })],
      [2, 2, 0, {}],
    ],
  ])("%s", (_name, findings, expected) => {
    expect(summary(findings)).toEqual(expected);
  });

  it("records every scanner that found a merged finding, the strategies that merged it, and a CVE-first id list", () => {
    const c = correlateFindings([
      aFinding({ id: "GHSA-4374-p667-p6c8", aliases: ["CVE-2023-39325"], scanner: grype, severity: "HIGH", package: { name: "golang.org/x/net", version: "v0.9.0", purl: "pkg:golang/golang.org/x/net@v0.9.0" }, fixedVersion: "0.17.0" }),
      aFinding({ id: "CVE-2023-39325", scanner: trivy, severity: "CRITICAL", package: { name: "golang.org/x/net", version: "0.9.0", type: "gomod" } }),
    ]);
    expect(c.clusters).toHaveLength(1);
    const [cl] = c.clusters;
    expect(cl!.foundBy).toEqual(["grype", "trivy"]);
    expect(cl!.matchedBy).toEqual(["cross-scanner"]);
    expect(cl!.ids).toEqual(["CVE-2023-39325", "GHSA-4374-p667-p6c8"]);
    // The merged view takes the highest severity and the fix one scanner knows.
    expect(cl!.finding).toMatchObject({ id: "CVE-2023-39325", severity: "CRITICAL", fixedVersion: "0.17.0" });
    expect(cl!.key).toBe(`${FINGERPRINT_VERSION}|${imageA.digest}|CVE-2023-39325|golang/golang.org/x/net@0.9.0`);
  });

  it("groups one package version across images without merging (package-across-images)", () => {
    const c = correlateFindings([aFinding({ artifact: imageA }), aFinding({ artifact: imageB }), aFinding({ id: "CVE-2024-9999", artifact: imageA })]);
    expect(c.stats.unique).toBe(3);
    expect(c.groups).toEqual([
      { key: "package-across-images/v1|CVE-2024-0001|deb/debian/openssl@3.0.1", vulnerabilityId: "CVE-2024-0001", package: "deb/debian/openssl", version: "3.0.1", artifacts: [imageA.digest, imageB.digest] },
    ]);
    expect(c.stats.byStrategy["package-across-images"]).toBe(1);
  });

  it("builds versioned keys strategy by strategy", () => {
    const ctx = { aliases: new AliasIndex(), identity: identityCache() };
    const f = aFinding({ toolKey: "uid|CVE-2024-0001" });
    const names: (keyof typeof SAMPLE)[] = ["tool-id", "vuln-package-version", "cross-scanner"];
    const SAMPLE = { "tool-id": "tool-id/v1|A|trivy|uid|CVE-2024-0001", "vuln-package-version": "vuln-package-version/v1|A|CVE-2024-0001|openssl|3.0.1", "cross-scanner": "cross-scanner/v1|A|CVE-2024-0001|deb/debian/openssl@3.0.1" };
    for (const n of names) expect(strategyKey(n as Exclude<StrategyName, "package-across-images" | "vex-suppressed">, f, "A", ctx)).toBe(SAMPLE[n]);
    expect(strategyKey("alias-closure", f, "A", ctx)).toBeUndefined();
    expect(strategyKey("sarif-rule-location", f, "A", ctx)).toBeUndefined();
    expect(packageAcrossImagesKey(f, ctx)).toBe("package-across-images/v1|CVE-2024-0001|deb/debian/openssl@3.0.1");
  });
});

describe("VEX suppression (vex-suppressed)", () => {
  const openvex = parseReport(realFixture("openvex/openvex_many_vuln.json")).vex;
  const apk = (name: string, version: string, id: string): Finding =>
    aFinding({ id, package: { name, version, purl: `pkg:apk/alpine/${name}@${version}?arch=x86_64&distro=alpine-3.10.9`, type: "apk" } });

  it.each<[string, Finding, string | undefined]>([
    ["not_affected for the product", apk("apk-tools", "2.10.6-r0", "CVE-2024-10001"), "not_affected"],
    ["affected leaves it standing", apk("busybox", "1.30.1-r3", "CVE-2024-10002"), undefined],
    ["fixed takes it out", apk("alpine-baselayout", "3.1.2-r0", "CVE-2024-10003"), "fixed"],
    ["under_investigation leaves it standing", apk("musl", "1.1.22-r3", "CVE-2024-10004"), undefined],
    ["matches through the statement's aliases", apk("zlib", "1.2.11-r1", "GHSA-jfh8-c2jp-5v3q"), "not_affected"],
    ["a statement about another product does not apply", apk("apk-tools", "2.10.6-r0", "CVE-2024-10003"), undefined],
    ["a statement about another version does not apply", apk("apk-tools", "2.10.7-r0", "CVE-2024-10001"), undefined],
    ["a versionless product applies to every version", apk("openssl", "1.1.1k-r0", "CVE-2024-10006"), "not_affected"],
  ])("%s", (_name, finding, status) => {
    const c = correlateFindings([finding], { vex: openvex });
    expect(c.clusters[0]!.suppressed?.status).toBe(status);
    expect(c.stats.suppressed).toBe(status ? 1 : 0);
  });

  it("uses the latest statement and matches image products with subcomponents", () => {
    const base = { aliases: [], justification: "component_not_present", source: "vex.json" };
    const older: VexStatement = { ...base, vulnerability: "CVE-2024-0001", products: ["pkg:deb/debian/openssl"], subcomponents: [], status: "not_affected", timestamp: "2026-01-01T00:00:00Z" };
    const newer: VexStatement = { ...base, vulnerability: "CVE-2024-0001", products: ["pkg:deb/debian/openssl"], subcomponents: [], status: "affected", timestamp: "2026-02-01T00:00:00Z" };
    expect(correlateFindings([aFinding()], { vex: [older, newer] }).clusters[0]!.suppressed).toBeUndefined();
    expect(correlateFindings([aFinding()], { vex: [newer, { ...older, timestamp: "2026-03-01T00:00:00Z" }] }).clusters[0]!.suppressed?.status).toBe("not_affected");
    const byImage: VexStatement = { ...base, vulnerability: "CVE-2024-0001", products: [`pkg:oci/api@${imageA.digest}`], subcomponents: ["pkg:deb/debian/openssl@3.0.1"], status: "not_affected" };
    expect(correlateFindings([aFinding()], { vex: [byImage] }).clusters[0]!.suppressed?.source).toBe("vex.json");
    expect(correlateFindings([aFinding({ artifact: imageB })], { vex: [byImage] }).clusters[0]!.suppressed).toBeUndefined();
  });

  it("fills in purls from an SBOM inventory so that VEX can match (SPDX + OpenVEX)", () => {
    const f = aFinding({ id: "CVE-2024-10001", package: { name: "apk-tools", version: "2.10.6-r0" } });
    const inventory = parseReport(realFixture("spdx/spdx_no_vuln.json")).inventory;
    expect(correlateFindings([f], { vex: openvex }).stats.suppressed).toBe(0);
    expect(correlateFindings([f], { vex: openvex, inventory }).stats.suppressed).toBe(1);
  });

  it("counts in-report VEX (CycloneDX analysis) as suppressed, not as unique", () => {
    const r = parseReport(realFixture("cyclonedx/issue_8022.json"));
    expect(correlateFindings(r.findings).stats).toMatchObject({ raw: 1, unique: 0, suppressed: 1, noiseReductionPercent: 100 });
  });
});

describe("noise reduction on real reports", () => {
  it.each([
    ["anchore_grype/same_cve_different_paths.json", { raw: 2, unique: 1, suppressed: 0, noiseReductionPercent: 50 }, { "vuln-package-version": 1 }],
    ["sarif/bash-report.sarif", { raw: 27, unique: 12, suppressed: 0, noiseReductionPercent: 55.6 }, { "sarif-rule-location": 15 }],
    ["sarif/flawfinder.sarif", { raw: 53, unique: 49, suppressed: 0, noiseReductionPercent: 7.5 }, { "tool-id": 4 }],
    ["trivy/kubernetes.json", { raw: 20, unique: 20, suppressed: 0, noiseReductionPercent: 0 }, { "package-across-images": 5 }],
    ["cyclonedx/log4j.json", { raw: 8, unique: 8, suppressed: 0, noiseReductionPercent: 0 }, {}],
  ])("%s", (rel, stats, did) => {
    const c = correlateFindings(parseReport(realFixture(rel)).findings);
    expect(c.stats).toMatchObject(stats);
    expect(Object.fromEntries(Object.entries(c.stats.byStrategy).filter(([, n]) => n > 0))).toEqual(did);
  });

  it("groups the cluster scan's shared base-image packages across its two images", () => {
    const c = correlateFindings(parseReport(realFixture("trivy/kubernetes.json")).findings);
    expect(c.groups.map((g) => [g.vulnerabilityId, g.package, g.version, g.artifacts.length])).toEqual([
      ["CVE-2020-27350", "deb/apt", "1.8.2.1", 2],
      ["CVE-2011-3374", "deb/apt", "1.8.2.1", 2],
      ["CVE-2019-18276", "deb/bash", "5.0-4", 2],
      ["CVE-2021-37600", "deb/bsdutils", "2.33.1-0.1", 2],
      ["CVE-2022-0563", "deb/bsdutils", "2.33.1-0.1", 2],
    ]);
  });
});
