// The whole path from parsed reports to an assessment: correlate (with the reports' own VEX and any
// VEX documents among them), score, assess. The ScanResult controller and `fixops evaluate` both go
// through here, then through evaluateGates, so they reach the same decision from the same inputs.
import type { ParsedReport, VexStatement } from "./model.js";
import { earliestTimestamp } from "./model.js";
import { correlateFindings, type Correlation } from "./correlate.js";
import { scoreAndAssess, type ArtifactAssessment, type AssessOptions, type ScoredFinding } from "./assess.js";

export interface AnalyseOptions extends Omit<AssessOptions, "image" | "digest" | "scannedAt"> {
  /** Overrides the image the reports name. */
  readonly image?: string;
  readonly digest?: string;
  /** Overrides the scan time the reports state. */
  readonly scannedAt?: string;
  /** VEX statements from elsewhere (e.g. a VEX ConfigMap), applied with the reports' own. */
  readonly vex?: readonly VexStatement[];
}

export interface Analysis {
  readonly correlation: Correlation;
  readonly scored: readonly ScoredFinding[];
  readonly assessment: ArtifactAssessment;
  /** The id each unique, unsuppressed vulnerability finding is reported under (CVE when merged); sorted. */
  readonly vulnerabilityIds: readonly string[];
}

export function analyseReports(reports: readonly ParsedReport[], opts: AnalyseOptions): Analysis {
  const findings = reports.length === 1 ? reports[0]!.findings : reports.flatMap((r) => r.findings);
  const vex = [...reports.flatMap((r) => r.vex), ...(opts.vex ?? [])];
  const inventory = reports.flatMap((r) => r.inventory);
  const correlation = correlateFindings(findings, { vex, inventory });
  const image = opts.image ?? reports.find((r) => r.artifact.image)?.artifact.image;
  const digest = opts.digest ?? reports.find((r) => r.artifact.digest)?.artifact.digest;
  // Several reports: the oldest scan time, so that maxScanAge is judged by the stalest input.
  const scannedAt = opts.scannedAt ?? earliestTimestamp(reports.map((r) => r.scannedAt));
  const { scored, assessment } = scoreAndAssess(correlation, {
    ...opts,
    ...(image ? { image } : {}),
    ...(digest ? { digest } : {}),
    ...(scannedAt ? { scannedAt } : {}),
  });
  const ids = new Set<string>();
  for (const c of correlation.clusters) {
    if (c.suppressed || c.finding.kind !== "vulnerability") continue;
    ids.add(c.finding.id);
  }
  return { correlation, scored, assessment, vulnerabilityIds: [...ids].sort() };
}
