// The compact, precomputed form of one artifact's scan that gate evaluation works on. The
// controller, the admission webhook and the CLI all evaluate gates on this same form, so they
// cannot disagree. It is plain JSON (to cache for 10,000 images, or to store) and bounded: at most
// `maxFindings` findings are kept one by one, most important first; the rest are folded into at
// most 20 per-(severity, KEV, fix) buckets that keep what rules compare against (counts, highest
// EPSS and risk, oldest first-seen, a Bloom filter of ids). A rule that could match an omitted
// finding therefore still matches — conservatively, and the same way in every caller.
import type { Severity } from "./model.js";
import { severityRank } from "./model.js";
import type { Correlation, CorrelationStats, FindingCluster } from "./correlate.js";
import type { FeedSnapshots } from "./feeds.js";
import { buildIdFilter, type IdFilter } from "./bloom.js";
import { scoreArtifact, scoreFinding, type FindingRisk, type RiskContext, type RiskContribution, type RuntimeContext } from "./risk.js";

export const ASSESSMENT_VERSION = 1;
/**
 * Default bound on findings kept one by one per artifact. With the buckets, an assessment is at
 * most about 50 KiB of JSON however large the report (the 100k-finding benchmark's is 49 KiB);
 * most images have far fewer findings and weigh a few KiB.
 */
export const DEFAULT_MAX_ASSESSED_FINDINGS = 128;

export interface AssessedFinding {
  /** Primary id (a CVE when there is one). */
  readonly id: string;
  readonly aliases?: readonly string[];
  readonly severity: Severity;
  readonly risk: number;
  readonly kev?: true;
  readonly kevDueDate?: string;
  readonly epss?: number;
  readonly epssPercentile?: number;
  readonly fixAvailable?: true;
  /** When FixOps first saw this finding on this artifact (history, report, or the scan time). */
  readonly firstSeen?: string;
  readonly package?: string;
  readonly version?: string;
  readonly fixedVersion?: string;
}

/** Omitted findings sharing a severity, KEV membership and fix availability. */
export interface OmittedBucket {
  readonly severity: Severity;
  readonly kev: boolean;
  readonly fixAvailable: boolean;
  readonly count: number;
  readonly maxRisk: number;
  readonly maxEpss?: number;
  readonly maxEpssPercentile?: number;
  readonly oldestFirstSeen?: string;
  /** Bloom filter of the ids (and aliases) of the bucket's findings: "certainly not" or "maybe". */
  readonly ids: IdFilter;
}

export type SeverityCounts = Readonly<Record<Severity, number>>;

export interface AssessmentSummary extends CorrelationStats {
  /** Counted over unique, unsuppressed findings. */
  readonly bySeverity: SeverityCounts;
}

export interface ArtifactAssessment {
  readonly version: typeof ASSESSMENT_VERSION;
  readonly image?: string;
  readonly digest?: string;
  readonly scannedAt?: string;
  readonly assessedAt: string;
  readonly riskScore: number;
  readonly riskContributions: readonly RiskContribution[];
  readonly summary: AssessmentSummary;
  /** Versions of the feeds the assessment used; absent = that feed was missing. */
  readonly feeds: { readonly epss?: string; readonly kev?: string };
  /** Most important first: KEV, severity, risk, EPSS, id. */
  readonly findings: readonly AssessedFinding[];
  readonly omitted?: { readonly count: number; readonly buckets: readonly OmittedBucket[] };
}

export interface ScoredFinding {
  readonly cluster: FindingCluster;
  readonly risk: FindingRisk;
}

/** Risk of every unique, unsuppressed finding. */
export function scoreClusters(clusters: readonly FindingCluster[], ctx: RiskContext): ScoredFinding[] {
  const out: ScoredFinding[] = [];
  for (const c of clusters) if (!c.suppressed) out.push({ cluster: c, risk: scoreFinding(c.finding, c.ids, ctx) });
  return out;
}

export interface AssessOptions {
  readonly feeds: FeedSnapshots;
  readonly asOf: Date;
  readonly runtime?: RuntimeContext;
  readonly image?: string;
  readonly digest?: string;
  readonly scannedAt?: string;
  /** First-seen times the caller knows from history, by cluster key. */
  readonly firstSeen?: (clusterKey: string) => string | undefined;
  readonly maxFindings?: number;
}

/** Correlated findings → scored → compact assessment. */
export function assessArtifact(correlation: Correlation, opts: AssessOptions): ArtifactAssessment {
  return scoreAndAssess(correlation, opts).assessment;
}

/** assessArtifact for callers that also keep every scored finding (to store them). */
export function scoreAndAssess(correlation: Correlation, opts: AssessOptions): { scored: ScoredFinding[]; assessment: ArtifactAssessment } {
  const scored = scoreClusters(correlation.clusters, { feeds: opts.feeds, asOf: opts.asOf, ...(opts.runtime ? { runtime: opts.runtime } : {}) });
  return { scored, assessment: assessScored(scored, correlation.stats, opts) };
}

/** The assessment of findings already scored. */
export function assessScored(scored: readonly ScoredFinding[], stats: CorrelationStats, opts: AssessOptions): ArtifactAssessment {
  const max = opts.maxFindings ?? DEFAULT_MAX_ASSESSED_FINDINGS;
  const bySeverity: Record<Severity, number> = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0 };
  for (const s of scored) bySeverity[s.cluster.finding.severity]++;
  // Order by importance without building an AssessedFinding per finding: only the kept ones are.
  const priority = new Float64Array(scored.length);
  const ids = new Array<string>(scored.length);
  const order = new Array<number>(scored.length);
  for (let i = 0; i < scored.length; i++) {
    priority[i] = importance(scored[i]!);
    ids[i] = primaryId(scored[i]!.cluster);
    order[i] = i;
  }
  order.sort((a, b) => priority[b]! - priority[a]! || compareIds(ids[a]!, ids[b]!));
  const kept: AssessedFinding[] = [];
  for (let k = 0; k < Math.min(max, order.length); k++) kept.push(assessed(scored[order[k]!]!, opts));
  const artifactRisk = scoreArtifact(scored.map((s, i) => ({ id: ids[i]!, risk: s.risk.score })));
  const omitted = order.length > max ? omittedBuckets(order.slice(max).map((i) => scored[i]!), opts) : undefined;
  return {
    version: ASSESSMENT_VERSION,
    assessedAt: opts.asOf.toISOString(),
    riskScore: artifactRisk.score,
    riskContributions: artifactRisk.contributions,
    summary: { ...stats, bySeverity },
    feeds: { ...(opts.feeds.epss ? { epss: opts.feeds.epss.version } : {}), ...(opts.feeds.kev ? { kev: opts.feeds.kev.version } : {}) },
    findings: kept,
    ...(opts.image ? { image: opts.image } : {}),
    ...(opts.digest ? { digest: opts.digest } : {}),
    ...(opts.scannedAt ? { scannedAt: opts.scannedAt } : {}),
    ...(omitted ? { omitted } : {}),
  };
}

/**
 * Most important first: in KEV, then severity, then risk, then EPSS (ties broken by id). One number
 * so that sorting 100k findings compares floats: kev·1e10 + severity·1e9 + risk·1e6 + EPSS·1e5.
 */
function importance({ cluster, risk }: ScoredFinding): number {
  return (risk.kev ? 1e10 : 0) + severityRank(cluster.finding.severity) * 1e9 + risk.score * 1e6 + Math.round((risk.epss ?? 0) * 99_999);
}

const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A CVE first: feeds, exceptions and people know vulnerabilities by CVE. */
function primaryId(c: FindingCluster): string {
  for (const id of c.ids) if (id.length > 4 && (id.charCodeAt(0) | 32) === 99 && (id.charCodeAt(1) | 32) === 118 && (id.charCodeAt(2) | 32) === 101 && id[3] === "-") return id;
  return c.ids[0]!;
}

/** Earliest of: history (by fingerprint), what the report says, the scan time. */
function firstSeenMs(s: ScoredFinding, opts: AssessOptions): number | undefined {
  let best: number | undefined;
  for (const t of [opts.firstSeen?.(s.cluster.key), s.cluster.finding.firstSeen, opts.scannedAt]) {
    if (t === undefined) continue;
    const ms = Date.parse(t);
    if (!Number.isNaN(ms) && (best === undefined || ms < best)) best = ms;
  }
  return best;
}

function assessed(s: ScoredFinding, opts: AssessOptions): AssessedFinding {
  const { cluster, risk } = s;
  const f = cluster.finding;
  const id = primaryId(cluster);
  const aliases = cluster.ids.filter((x) => x !== id);
  const seenMs = firstSeenMs(s, opts);
  const firstSeen = seenMs === undefined ? undefined : new Date(seenMs).toISOString();
  return {
    id,
    severity: f.severity,
    risk: risk.score,
    ...(aliases.length ? { aliases } : {}),
    ...(risk.kev ? { kev: true as const, kevDueDate: risk.kev.dueDate } : {}),
    ...(risk.epss !== undefined ? { epss: risk.epss, epssPercentile: risk.epssPercentile! } : {}),
    ...(risk.fixAvailable ? { fixAvailable: true as const } : {}),
    ...(firstSeen ? { firstSeen } : {}),
    ...(f.package ? { package: f.package.name, ...(f.package.version ? { version: f.package.version } : {}) } : {}),
    ...(f.fixedVersion ? { fixedVersion: f.fixedVersion } : {}),
  };
}

function omittedBuckets(rest: readonly ScoredFinding[], opts: AssessOptions): { count: number; buckets: OmittedBucket[] } {
  type Acc = { severity: Severity; kev: boolean; fixAvailable: boolean; count: number; maxRisk: number; maxEpss?: number; maxEpssPercentile?: number; oldest?: number; ids: string[] };
  // Bucket index: severity rank × 4 + KEV × 2 + fix (20 buckets at most).
  const slots: (Acc | undefined)[] = new Array<Acc | undefined>(20);
  for (const s of rest) {
    const severity = s.cluster.finding.severity;
    const kev = s.risk.kev !== undefined;
    const fix = s.risk.fixAvailable;
    const k = severityRank(severity) * 4 + (kev ? 2 : 0) + (fix ? 1 : 0);
    const b = (slots[k] ??= { severity, kev, fixAvailable: fix, count: 0, maxRisk: 0, ids: [] });
    b.count++;
    b.maxRisk = Math.max(b.maxRisk, s.risk.score);
    if (s.risk.epss !== undefined) b.maxEpss = Math.max(b.maxEpss ?? 0, s.risk.epss);
    if (s.risk.epssPercentile !== undefined) b.maxEpssPercentile = Math.max(b.maxEpssPercentile ?? 0, s.risk.epssPercentile);
    const seen = firstSeenMs(s, opts);
    if (seen !== undefined) b.oldest = b.oldest === undefined ? seen : Math.min(b.oldest, seen);
    for (const id of s.cluster.ids) b.ids.push(id);
  }
  const buckets: OmittedBucket[] = [];
  for (const b of slots) {
    if (!b) continue;
    buckets.push({
      severity: b.severity,
      kev: b.kev,
      fixAvailable: b.fixAvailable,
      count: b.count,
      maxRisk: b.maxRisk,
      ...(b.maxEpss !== undefined ? { maxEpss: b.maxEpss } : {}),
      ...(b.maxEpssPercentile !== undefined ? { maxEpssPercentile: b.maxEpssPercentile } : {}),
      ...(b.oldest !== undefined ? { oldestFirstSeen: new Date(b.oldest).toISOString() } : {}),
      ids: buildIdFilter(b.ids, b.ids.length),
    });
  }
  buckets.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || Number(b.kev) - Number(a.kev) || Number(b.fixAvailable) - Number(a.fixAvailable));
  return { count: rest.length, buckets };
}
