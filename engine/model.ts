// The normalised finding model every report format maps to. Kept deliberately flat and small: a
// 100k-finding report produces 100k of these, so optional fields stay absent rather than empty and
// per-report objects (scanner, artifact) are shared, not copied into each finding.
import type { ReportFormat, Severity } from "../api/v1alpha1/index.js";

export type { ReportFormat, Severity };

export type FindingKind = "vulnerability" | "misconfiguration" | "secret" | "code";

export interface ScannerRef {
  readonly name: string;
  readonly version?: string;
}

/** The image a finding was found in. Either part may be unknown (SARIF, SBOMs without a subject). */
export interface ArtifactRef {
  readonly image?: string;
  /** `sha256:<64 hex>` when the report names one. */
  readonly digest?: string;
}

export interface PackageRef {
  readonly name: string;
  readonly version?: string;
  readonly purl?: string;
  /** Ecosystem as the scanner names it (`deb`, `npm`, `jar`, `go-module`, …). */
  readonly type?: string;
  /** Where in the artifact the package was found (lock file, jar path, binary). */
  readonly path?: string;
}

export type CvssVersion = "2.0" | "3.0" | "3.1" | "4.0";

export interface CvssRating {
  readonly version: CvssVersion;
  readonly vector?: string;
  /** Base score as the source states it (computed from the vector for 3.x when absent). */
  readonly score?: number;
  /** Who rated it: `nvd`, `redhat`, `ghsa`, a CycloneDX rating source, … */
  readonly source?: string;
}

export interface SourceLocation {
  readonly uri: string;
  readonly startLine?: number;
  readonly startColumn?: number;
  readonly endLine?: number;
  readonly endColumn?: number;
}

export type VexStatus = "not_affected" | "affected" | "fixed" | "under_investigation";

/** A statement, in the report itself or in a VEX document, that a finding does not apply. */
export interface Suppression {
  readonly status: VexStatus;
  readonly justification?: string;
  /** Where the statement came from: `cyclonedx:analysis`, `trivy:status`, `sarif:suppression`, an OpenVEX @id, … */
  readonly source: string;
}

export type FixState = "fixed" | "not-fixed" | "wont-fix" | "unknown";

export interface ReportedEpss {
  readonly probability: number;
  readonly percentile: number;
  readonly date?: string;
}

export interface Finding {
  readonly kind: FindingKind;
  /** Vulnerability id (CVE, GHSA, vendor id) or, for rule-based findings, the rule id. */
  readonly id: string;
  /** Other ids of the same vulnerability, from the report's own data. */
  readonly aliases: readonly string[];
  readonly severity: Severity;
  /** Whose severity the scanner chose (`nvd`, `debian`, `ghsa`, …). */
  readonly severitySource?: string;
  readonly cvss: readonly CvssRating[];
  /** A 0–10 score the tool gave without a vector (SARIF `security-severity`). */
  readonly severityScore?: number;
  readonly fixedVersion?: string;
  readonly fixState?: FixState;
  readonly title?: string;
  readonly artifact: ArtifactRef;
  readonly package?: PackageRef;
  readonly rule?: { readonly id: string; readonly name?: string };
  readonly location?: SourceLocation;
  /** Trivy target / SARIF file the finding belongs to, for people. */
  readonly target?: string;
  /** SARIF partialFingerprints (stable across line shifts). */
  readonly partialFingerprints?: Readonly<Record<string, string>>;
  /** The scanner's own unique id for this finding, when it has one. */
  readonly toolKey?: string;
  readonly scanner: ScannerRef;
  readonly firstSeen?: string;
  readonly lastSeen?: string;
  readonly publishedAt?: string;
  readonly suppression?: Suppression;
  /** EPSS as the scanner embedded it (Grype); the EPSS feed takes precedence. */
  readonly epss?: ReportedEpss;
}

/** A package an SBOM lists; used to fill in purls and to match VEX products. */
export interface InventoryPackage {
  readonly name: string;
  readonly version?: string;
  readonly purl?: string;
  readonly type?: string;
}

export interface VexStatement {
  readonly vulnerability: string;
  readonly aliases: readonly string[];
  /** Product ids: purls, image references or other IRIs. */
  readonly products: readonly string[];
  /** Components of the products the statement is about (purls). */
  readonly subcomponents: readonly string[];
  readonly status: VexStatus;
  readonly justification?: string;
  readonly timestamp?: string;
  /** The VEX document's @id (or the file it came from). */
  readonly source: string;
}

export interface ParsedReport {
  readonly format: ReportFormat;
  readonly scanner: ScannerRef;
  /** When the scan ran, if the report says. */
  readonly scannedAt?: string;
  /** The subject of the report, if it names one. */
  readonly artifact: ArtifactRef;
  readonly findings: Finding[];
  readonly vex: VexStatement[];
  readonly inventory: InventoryPackage[];
  /** Things skipped on purpose (e.g. passed checks), counted, never silently. */
  readonly skipped: Readonly<Record<string, number>>;
}

// ---- Severity -----------------------------------------------------------------------------------

export const SEVERITIES: readonly Severity[] = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"];

const RANK: Readonly<Record<Severity, number>> = { UNKNOWN: 0, LOW: 1, MEDIUM: 2, HIGH: 3, CRITICAL: 4 };

/** 0 (UNKNOWN) … 4 (CRITICAL). */
export const severityRank = (s: Severity): number => RANK[s];

const WORDS: Readonly<Record<string, Severity>> = {
  critical: "CRITICAL",
  high: "HIGH",
  important: "HIGH",
  medium: "MEDIUM",
  moderate: "MEDIUM",
  low: "LOW",
  negligible: "LOW",
  minor: "LOW",
  info: "LOW",
  informational: "LOW",
  // CVSS "None" (0.0) is a known, negligible severity, not an unknown one.
  none: "LOW",
  unknown: "UNKNOWN",
};

/** Maps the severity words scanners use (any case) to ours; undefined for words we do not know. */
export function severityFromWord(word: string): Severity | undefined {
  return WORDS[word.trim().toLowerCase()];
}

/** CVSS qualitative rating (v3.1 §5): 0.1–3.9 LOW, 4.0–6.9 MEDIUM, 7.0–8.9 HIGH, 9.0–10 CRITICAL. */
export function severityFromScore(score: number): Severity {
  if (!(score > 0)) return "UNKNOWN";
  if (score >= 9) return "CRITICAL";
  if (score >= 7) return "HIGH";
  if (score >= 4) return "MEDIUM";
  return "LOW";
}

// ---- Ids ----------------------------------------------------------------------------------------

/** The form ids are compared in: CVE-2021-44228 and cve-2021-44228 are the same vulnerability. */
export function idKey(id: string): string {
  // Most ids already are in this form: check before allocating a copy (this runs per finding).
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if ((c >= 97 && c <= 122) || c <= 32 || c > 126) return id.trim().toUpperCase();
  }
  return id;
}

export const isCveId = (id: string): boolean => /^CVE-\d{4}-\d{4,}$/i.test(id);

/** The earliest of some timestamps (as written), compared as instants; undefined if none parses. */
export function earliestTimestamp(times: readonly (string | undefined)[]): string | undefined {
  let best: string | undefined;
  let bestMs = Infinity;
  for (const t of times) {
    const ms = t === undefined ? NaN : Date.parse(t);
    if (!Number.isNaN(ms) && ms < bestMs) {
      bestMs = ms;
      best = t;
    }
  }
  return best;
}

export const EMPTY: readonly never[] = Object.freeze([]);
