// Risk score, 0–100, per finding and per artifact. Additive so that every input's share is visible:
//
//   CVSS base score × 4 ................ 0–40  (no CVSS: the tool's score, else a severity midpoint)
//   EPSS probability × 25 .............. 0–25
//   EPSS percentile × 10 ............... 0–10
//   in CISA KEV ........................ +20, and +5 more once CISA's due date has passed
//   fix available ...................... +5   (actionable; the patch diff is public)
//   image running / not running ........ +5 / −15 (only when the operator knows)
//   exposed (Service/Ingress) .......... +10  (only when the operator knows)
//
// clamped to 0–100 and rounded to an integer. Artifact score = its highest finding score plus a
// breadth bonus of 2.5·log2(1 + other findings scoring ≥ 50), at most +10, clamped to 100.
import type { CvssRating, Finding, Severity } from "./model.js";
import { chooseCvss, ratingScore } from "./cvss.js";
import type { FeedSnapshots, KevEntry } from "./feeds.js";

export interface RuntimeContext {
  /** A workload runs the image right now. */
  readonly running?: boolean;
  /** A running workload is reachable from outside the cluster (LoadBalancer/NodePort/Ingress). */
  readonly exposed?: boolean;
}

export type RiskInput = "cvss" | "epss" | "epssPercentile" | "kev" | "kevOverdue" | "fixAvailable" | "running" | "exposed" | "topFinding" | "breadth";

export interface RiskContribution {
  readonly input: RiskInput;
  /** The input's value as used (score, probability, due date, …). */
  readonly value: string | number | boolean;
  readonly points: number;
  readonly note?: string;
}

/**
 * A finding's score and the inputs it came from. Lean on purpose (one per finding of a 100k
 * report): contributions are built on request by explainRisk, from the same computation.
 */
export interface FindingRisk {
  readonly score: number;
  readonly cvss?: CvssRating;
  readonly epss?: number;
  readonly epssPercentile?: number;
  readonly epssSource?: "feed" | "report";
  readonly kev?: KevEntry;
  readonly fixAvailable: boolean;
}

export interface RiskContext {
  readonly feeds: FeedSnapshots;
  readonly runtime?: RuntimeContext;
  /** The instant "KEV due date has passed" is judged at (the decision time). */
  readonly asOf: Date;
}

/** Where in the severity band a finding without any score is assumed to sit. */
const SEVERITY_MIDPOINT: Readonly<Record<Severity, number>> = { CRITICAL: 9.5, HIGH: 8, MEDIUM: 5.5, LOW: 2.5, UNKNOWN: 5 };

const round1 = (x: number): number => Math.round(x * 10) / 10;

/** A fix exists when the scanner names a fixed version or says the fix state is "fixed". */
export const fixAvailable = (f: Finding): boolean => f.fixedVersion !== undefined || f.fixState === "fixed";

export function scoreFinding(f: Finding, ids: readonly string[], ctx: RiskContext): FindingRisk {
  return computeRisk(f, ids, ctx, undefined);
}

/** Each input's share of a finding's score (what scoreFinding added up). */
export function explainRisk(f: Finding, ids: readonly string[], ctx: RiskContext): RiskContribution[] {
  const parts: RiskContribution[] = [];
  computeRisk(f, ids, ctx, parts);
  return parts;
}

/** The one computation behind scoreFinding and explainRisk: `explain` collects contributions when given. */
function computeRisk(f: Finding, ids: readonly string[], ctx: RiskContext, explain: RiskContribution[] | undefined): FindingRisk {
  // Contributions are only built when explaining: this runs once per finding of large reports.
  let total = 0;
  const cvss = chooseCvss(f.cvss, f.severitySource);
  if (cvss) {
    const score = ratingScore(cvss)!;
    total += round1(score * 4);
    explain?.push({ input: "cvss", value: score, points: round1(score * 4), note: `CVSS ${cvss.version}${cvss.source ? ` (${cvss.source})` : ""}` });
  } else if (f.severityScore !== undefined) {
    total += round1(f.severityScore * 4);
    explain?.push({ input: "cvss", value: f.severityScore, points: round1(f.severityScore * 4), note: "score given by the tool (no CVSS vector)" });
  } else {
    const assumed = SEVERITY_MIDPOINT[f.severity];
    total += assumed * 4;
    explain?.push({ input: "cvss", value: assumed, points: assumed * 4, note: `no CVSS; assumed from severity ${f.severity}` });
  }

  let epss: number | undefined;
  let pct: number | undefined;
  let epssSource: "feed" | "report" | undefined;
  if (ctx.feeds.epss) {
    for (const id of ids) {
      const s = ctx.feeds.epss.get(id);
      if (s) {
        epss = s.probability;
        pct = s.percentile;
        epssSource = "feed";
        break;
      }
    }
  }
  if (epss === undefined && f.epss) {
    epss = f.epss.probability;
    pct = f.epss.percentile;
    epssSource = "report";
  }
  if (epss !== undefined && pct !== undefined) {
    total += round1(epss * 25) + round1(pct * 10);
    if (explain) {
      const from = epssSource === "feed" ? `EPSS ${ctx.feeds.epss?.scoreDate ?? "feed"}` : "EPSS embedded in the report";
      explain.push({ input: "epss", value: epss, points: round1(epss * 25), note: from }, { input: "epssPercentile", value: pct, points: round1(pct * 10), note: from });
    }
  }

  let kev: KevEntry | undefined;
  if (ctx.feeds.kev) {
    for (const id of ids) {
      kev = ctx.feeds.kev.get(id);
      if (kev) break;
    }
  }
  if (kev) {
    total += 20;
    explain?.push({ input: "kev", value: true, points: 20, note: `in CISA KEV since ${kev.dateAdded}` });
    // The due date is the end of that day (UTC).
    if (ctx.asOf.getTime() >= Date.parse(`${kev.dueDate}T23:59:59.999Z`)) {
      total += 5;
      explain?.push({ input: "kevOverdue", value: kev.dueDate, points: 5, note: "past the remediation due date CISA set" });
    }
  }

  const fix = fixAvailable(f);
  if (fix) {
    total += 5;
    explain?.push({ input: "fixAvailable", value: true, points: 5, note: f.fixedVersion ? `fixed in ${f.fixedVersion}` : "a fix is available" });
  }

  const running = ctx.runtime?.running;
  if (running !== undefined) {
    total += running ? 5 : -15;
    explain?.push(running ? { input: "running", value: true, points: 5 } : { input: "running", value: false, points: -15, note: "no workload runs this image" });
  }
  if (ctx.runtime?.exposed === true) {
    total += 10;
    explain?.push({ input: "exposed", value: true, points: 10 });
  }

  return {
    score: Math.max(0, Math.min(100, Math.round(total))),
    fixAvailable: fix,
    ...(cvss ? { cvss } : {}),
    ...(epss !== undefined ? { epss, epssPercentile: pct!, epssSource: epssSource! } : {}),
    ...(kev ? { kev } : {}),
  };
}

export interface ArtifactRisk {
  readonly score: number;
  readonly contributions: readonly RiskContribution[];
}

/** Artifact score from its findings' scores and ids (the highest first is not required). */
export function scoreArtifact(findings: readonly { readonly id: string; readonly risk: number }[]): ArtifactRisk {
  if (findings.length === 0) return { score: 0, contributions: [] };
  let top = findings[0]!;
  for (const f of findings) if (f.risk > top.risk) top = f;
  let broad = 0;
  for (const f of findings) if (f !== top && f.risk >= 50) broad++;
  const bonus = broad === 0 ? 0 : round1(Math.min(10, 2.5 * Math.log2(1 + broad)));
  const contributions: RiskContribution[] = [{ input: "topFinding", value: top.id, points: top.risk }];
  if (bonus > 0) contributions.push({ input: "breadth", value: broad, points: bonus, note: `${broad} more finding${broad === 1 ? "" : "s"} scoring 50 or more` });
  return { score: Math.min(100, Math.round(top.risk + bonus)), contributions };
}
