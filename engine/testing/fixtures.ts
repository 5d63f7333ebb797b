// Test helpers: the real scanner outputs in ../shared/fixtures/real (read in place, never copied)
// and small builders for findings, gates and exceptions.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { PolicyGateSpec, RiskExceptionSpec } from "../../api/v1alpha1/index.js";
import { PolicyGateSpec as GateSchema } from "../../api/v1alpha1/index.js";
import type { Finding } from "../model.js";
import type { ExceptionInput, GateInput } from "../evaluate.js";

/** shared/ sits beside the repository: <repo>/../shared/fixtures/real. */
export const REAL_FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), "../../../shared/fixtures/real");

/** Bytes of a real fixture; fails loudly (never skips) when the shared folder is missing. */
export function realFixture(rel: string): Buffer {
  const file = join(REAL_FIXTURES, rel);
  if (!existsSync(REAL_FIXTURES)) throw new Error(`real scanner fixtures not found at ${REAL_FIXTURES}: these tests need the shared/ folder beside the repository`);
  return readFileSync(file);
}

export function realFixtureNames(dir: string): string[] {
  if (!existsSync(REAL_FIXTURES)) throw new Error(`real scanner fixtures not found at ${REAL_FIXTURES}: these tests need the shared/ folder beside the repository`);
  return readdirSync(join(REAL_FIXTURES, dir)).sort();
}

const scanner = { name: "trivy" };
const artifact = { image: "ghcr.io/acme/api:1.0", digest: `sha256:${"a".repeat(64)}` };

/** A vulnerability finding with sensible defaults; override what the test is about. */
export function aFinding(over: Partial<Finding> = {}): Finding {
  return {
    kind: "vulnerability",
    id: "CVE-2024-0001",
    aliases: [],
    severity: "HIGH",
    cvss: [],
    artifact,
    scanner,
    package: { name: "openssl", version: "3.0.1", purl: "pkg:deb/debian/openssl@3.0.1", type: "debian" },
    ...over,
  };
}

export function aGate(name: string, spec: Partial<PolicyGateSpec> = {}, namespace?: string): GateInput {
  return { name, spec: GateSchema.parse(spec), ...(namespace ? { namespace } : {}) };
}

export function anException(name: string, spec: Partial<RiskExceptionSpec> & { expiresAt: string }, namespace?: string): ExceptionInput {
  return { name, spec: { approver: "sec-team@acme.io", reason: "accepted for the release", ...spec }, ...(namespace ? { namespace } : {}) };
}
