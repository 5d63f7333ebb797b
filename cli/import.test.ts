// `fixops import` writes a ScanResult for GitOps; it must apply as is and refuse what etcd would not hold.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, parseAllDocuments } from "yaml";
import { ScanResultSpec } from "../api/v1alpha1/index.js";
import { REAL_FIXTURES, realFixture } from "../engine/testing/fixtures.js";
import { nameFor } from "./import.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const T = 60_000;
const fixture = (rel: string) => {
  realFixture(rel);
  return join(REAL_FIXTURES, rel);
};
function fixops(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", "cli/main.ts", ...args], { cwd: ROOT, encoding: "utf8", timeout: T });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "fixops-cli-import-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("fixops import", () => {
  it(
    "writes one ScanResult with the report inline, byte for byte",
    () => {
      const report = fixture("trivy/issue_9333.json");
      const r = fixops("import", "--report", report, "--image", "ghcr.io/acme/example-app:main-159", "--namespace", "shop");
      expect([r.code, r.stderr]).toEqual([0, ""]);
      expect(parseAllDocuments(r.stdout)).toHaveLength(1);
      const obj = parse(r.stdout) as { apiVersion: string; kind: string; metadata: { name: string; namespace: string }; spec: unknown };
      expect([obj.apiVersion, obj.kind, obj.metadata]).toEqual(["fixops.io/v1alpha1", "ScanResult", { name: nameFor("ghcr.io/acme/example-app:main-159"), namespace: "shop" }]);
      const spec = ScanResultSpec.parse(obj.spec);
      expect(spec).toMatchObject({ artifact: { image: "ghcr.io/acme/example-app:main-159" }, scanner: { name: "trivy" }, format: "trivy", scannedAt: "2024-01-15T08:58:29.82753744Z" });
      expect(spec.report.inline).toBe(readFileSync(report, "utf8"));
    },
    T,
  );

  it(
    "takes the digest from the image reference and the name from --name",
    () => {
      const digest = `sha256:${"d".repeat(64)}`;
      const r = fixops("import", "--report", fixture("anchore_grype/no_vuln.json"), "--image", `ghcr.io/acme/api@${digest}`, "--name", "api-scan");
      expect(r.code).toBe(0);
      const obj = parse(r.stdout) as { metadata: { name: string }; spec: { artifact: unknown; scanner: unknown; format: string } };
      expect(obj.metadata).toEqual({ name: "api-scan" });
      expect(obj.spec).toMatchObject({ artifact: { image: `ghcr.io/acme/api@${digest}`, digest }, scanner: { name: "grype", version: "0.7.0" }, format: "grype" });
    },
    T,
  );

  it(
    "refuses a report too big for an object and points to the stored-report path",
    () => {
      const big = {
        SchemaVersion: 2,
        ArtifactName: "big",
        ArtifactType: "container_image",
        Results: [{ Target: "big", Class: "os-pkgs", Type: "debian", Vulnerabilities: Array.from({ length: 3000 }, (_, i) => ({ VulnerabilityID: `CVE-2024-${10000 + i}`, PkgName: "p", InstalledVersion: "1", Severity: "LOW", Description: "x".repeat(200) })) }],
      };
      const file = join(dir, "big.json");
      writeFileSync(file, JSON.stringify(big));
      const r = fixops("import", "--report", file, "--image", "ghcr.io/acme/big:1");
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/big\.json: the report is \d+\.\d KiB, over the 512\.0 KiB FixOps allows inline in a ScanResult .*fixops push --report .*big\.json --image ghcr\.io\/acme\/big:1/);
    },
    T,
  );

  it.each<[string, string[], RegExp]>([
    ["a broken report", ["--report", fixture("openvex/openvex_not_a_document.json"), "--image", "x:1"], /openvex_not_a_document\.json: unknown format/],
    ["an invalid image", ["--report", fixture("trivy/scheme_2_no_vuln.json"), "--image", "Not An Image"], /--image "Not An Image" is not a valid image reference/],
    ["an invalid name", ["--report", fixture("trivy/scheme_2_no_vuln.json"), "--image", "x:1", "--name", "Bad_Name"], /--name "Bad_Name" is not a valid Kubernetes object name/],
    ["a missing --image", ["--report", fixture("trivy/scheme_2_no_vuln.json")], /required option '--image <ref>' not specified/],
  ])(
    "fails on %s",
    (_n, args, message) => {
      const r = fixops("import", ...args);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(message);
    },
    T,
  );
});

describe("ScanResult names", () => {
  it.each([
    ["ghcr.io/acme/api:1.4.2", /^api-1\.4\.2-[0-9a-f]{8}$/],
    ["nginx", /^nginx-latest-[0-9a-f]{8}$/],
    [`ghcr.io/acme/api@sha256:${"e".repeat(64)}`, /^api-eeeeeeeeeeee-[0-9a-f]{8}$/],
    [`registry.local:5000/team/very-long-service-name-for-testing-limits:2026.05.01-build.12345-rc1`, /^very-long-service-name-for-testing-limits-2026\.05\.01-[0-9a-f]{8}$/],
  ])("%s → %s", (image, pattern) => {
    expect(nameFor(image)).toMatch(pattern);
    // Short enough to be a label value too (63).
    expect(nameFor(image).length).toBeLessThanOrEqual(63);
  });

  it("is stable for an image and differs across registries", () => {
    expect(nameFor("ghcr.io/acme/api:1.0")).toBe(nameFor("ghcr.io/acme/api:1.0"));
    expect(nameFor("ghcr.io/acme/api:1.0")).not.toBe(nameFor("quay.io/acme/api:1.0"));
  });
});
