// PolicyGate evaluation over an ArtifactAssessment, with RiskExceptions. Pure: the clock is `now`.
//
// Per gate: is the artifact (and, at admission, the workload) selected? Is there a usable scan
// (missingScan, maxScanAge)? Then block rules, then review rules: a rule matches a finding when every
// condition it sets holds; findings covered by an active RiskException do not count. BLOCK if any
// block rule matches, else NEEDS_REVIEW if any review rule matches, else ALLOW. Overall: the most
// severe gate outcome. `mode` (enforce/warn/audit) says what admission does with the outcome; it
// does not change the outcome.
import type { GateRule, LabelSelector, Outcome, PolicyGateSpec, RiskExceptionSpec, Severity } from "../api/v1alpha1/index.js";
import { parseDurationMs } from "../api/v1alpha1/index.js";
import type { ArtifactAssessment, AssessedFinding, OmittedBucket } from "./assess.js";
import { filterBytes, mayContain } from "./bloom.js";
import { checkImageGlob, imageGlobToRegExp, imageMatchesRegExp } from "./glob.js";
import { idKey, severityRank } from "./model.js";

export interface GateInput {
  readonly name: string;
  readonly namespace?: string;
  /** Validated spec (zod defaults applied). */
  readonly spec: PolicyGateSpec;
}

export interface ExceptionInput {
  readonly name: string;
  readonly namespace?: string;
  readonly spec: RiskExceptionSpec;
}

export interface EvaluationContext {
  readonly now: Date;
  /** The image as deployed (admission) or as scanned (controller, CLI). */
  readonly image?: string;
  /** When set, gates and exceptions of other namespaces are ignored (a namespace is a tenant). */
  readonly namespace?: string;
  /** Pod-template labels at admission; absent when evaluating an artifact rather than a workload. */
  readonly workloadLabels?: Readonly<Record<string, string>>;
  /** Open RemediationTasks of this artifact whose SLA has passed (for gates with escalateOnBreach). */
  readonly breaches?: readonly SlaBreach[];
}

/** An open RemediationTask past its due date, as the gate that asked for it sees it. */
export interface SlaBreach {
  readonly gate: string;
  readonly task: string;
  readonly vulnerabilityIds: readonly string[];
  readonly dueAt: string;
}

export interface RuleMatch {
  readonly rule: string;
  readonly list: "block" | "review";
  readonly count: number;
  /** Ids of the first matching findings (at most 10). */
  readonly findings: readonly string[];
  /** The rule may also match findings the bounded assessment did not keep one by one. */
  readonly mayMatchOmitted?: boolean;
}

export interface GateVerdict {
  readonly name: string;
  readonly mode: PolicyGateSpec["mode"];
  readonly needsReviewAction: PolicyGateSpec["needsReviewAction"];
  readonly outcome: Outcome;
  /** At most 20, each at most 1024 characters (the ScanResult status limits). */
  readonly reasons: readonly string[];
  readonly matches: readonly RuleMatch[];
}

export interface TopFinding {
  readonly id: string;
  readonly package?: string;
  readonly version?: string;
  readonly severity: Severity;
  readonly riskScore: number;
  readonly kev?: boolean;
  readonly epss?: number;
  readonly fixedVersion?: string;
}

export interface ConfidenceFactor {
  readonly factor: string;
  readonly delta: number;
}

export interface Decision {
  readonly outcome: Outcome;
  readonly riskScore: number;
  /** 0..1: how complete the inputs were. */
  readonly confidence: number;
  readonly confidenceFactors: readonly ConfidenceFactor[];
  readonly decidedAt: string;
  /** Gates that select the artifact; empty when none does (outcome ALLOW). */
  readonly gates: readonly GateVerdict[];
  /** RiskExceptions that took at least one finding out of a matching rule. */
  readonly exceptionsApplied: readonly string[];
  /** What each applied exception suppressed: how many findings, and their ids (at most 20 per exception). */
  readonly suppressedByException: readonly { readonly exception: string; readonly count: number; readonly vulnerabilityIds: readonly string[] }[];
  /** The next instant the decision can change without any input changing (exception expiry, scan ageing, finding ageing). */
  readonly nextChangeAt?: string;
  readonly feeds: { readonly epss?: string; readonly kev?: string };
  readonly topFindings: readonly TopFinding[];
}

// ---- Compilation (once per gate/exception object; evaluation then does no parsing) ----------------

interface CompiledRule {
  readonly name: string;
  readonly rule: GateRule;
  readonly minRank?: number;
  readonly ids?: ReadonlySet<string>;
  readonly minAgeMs?: number;
  /** Why the rule is ignored (a rule with no condition would match everything). */
  readonly invalid?: string;
}

export interface CompiledGate {
  readonly kind: "compiled-gate";
  readonly name: string;
  readonly namespace?: string;
  readonly spec: PolicyGateSpec;
  readonly include: readonly RegExp[];
  readonly exclude: readonly RegExp[];
  readonly blockRules: readonly CompiledRule[];
  readonly reviewRules: readonly CompiledRule[];
  readonly maxScanAgeMs?: number;
  readonly problems: readonly string[];
}

export interface CompiledException {
  readonly kind: "compiled-exception";
  readonly name: string;
  readonly namespace?: string;
  readonly spec: RiskExceptionSpec;
  readonly ids?: ReadonlySet<string>;
  readonly images?: readonly RegExp[];
  readonly expiresAtMs: number;
  /** Why it never applies (no ids and no images, bad glob, bad expiry). */
  readonly invalid?: string;
}

const CONDITIONS: readonly (keyof GateRule)[] = ["kev", "minSeverity", "fixAvailable", "minEpss", "minEpssPercentile", "minRiskScore", "minAgeDays", "vulnerabilityIds"];
const DAY_MS = 86_400_000;

function compileRule(rule: GateRule): CompiledRule {
  if (!CONDITIONS.some((c) => rule[c] !== undefined)) return { name: rule.name, rule, invalid: "sets no condition" };
  return {
    name: rule.name,
    rule,
    ...(rule.minSeverity ? { minRank: severityRank(rule.minSeverity) } : {}),
    ...(rule.vulnerabilityIds ? { ids: new Set(rule.vulnerabilityIds.map(idKey)) } : {}),
    ...(rule.minAgeDays !== undefined ? { minAgeMs: rule.minAgeDays * DAY_MS } : {}),
  };
}

function compileGlobs(globs: readonly string[] | undefined, problems: string[], what: string): RegExp[] {
  const out: RegExp[] = [];
  for (const g of globs ?? []) {
    const problem = checkImageGlob(g);
    if (problem) problems.push(`${what} glob ${JSON.stringify(g)} is invalid (${problem}) and is ignored`);
    else out.push(imageGlobToRegExp(g));
  }
  return out;
}

export function compileGate(g: GateInput): CompiledGate {
  const problems: string[] = [];
  const include = compileGlobs(g.spec.selector.images, problems, "selector.images");
  // An include list whose every glob is invalid must select nothing, not everything.
  const includeAllInvalid = (g.spec.selector.images?.length ?? 0) > 0 && include.length === 0;
  let maxScanAgeMs: number | undefined;
  if (g.spec.maxScanAge !== undefined) {
    try {
      maxScanAgeMs = parseDurationMs(g.spec.maxScanAge);
    } catch (err) {
      problems.push(`maxScanAge: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return {
    kind: "compiled-gate",
    name: g.name,
    spec: g.spec,
    include: includeAllInvalid ? [NEVER] : include,
    exclude: compileGlobs(g.spec.selector.excludeImages, problems, "selector.excludeImages"),
    blockRules: g.spec.blockRules.map(compileRule),
    reviewRules: g.spec.reviewRules.map(compileRule),
    problems,
    ...(g.namespace !== undefined ? { namespace: g.namespace } : {}),
    ...(maxScanAgeMs !== undefined ? { maxScanAgeMs } : {}),
  };
}

export function compileException(e: ExceptionInput): CompiledException {
  const problems: string[] = [];
  const images = e.spec.images?.length ? compileGlobs(e.spec.images, problems, "images") : undefined;
  const ids = e.spec.vulnerabilityIds?.length ? new Set(e.spec.vulnerabilityIds.map(idKey)) : undefined;
  const expiresAtMs = Date.parse(e.spec.expiresAt);
  let invalid: string | undefined;
  if (!ids && !images) invalid = "names neither vulnerabilityIds nor images (an exception for everything is not allowed)";
  else if (problems.length) invalid = problems.join("; ");
  else if (Number.isNaN(expiresAtMs)) invalid = `expiresAt ${JSON.stringify(e.spec.expiresAt)} is not a date-time`;
  return {
    kind: "compiled-exception",
    name: e.name,
    spec: e.spec,
    expiresAtMs,
    ...(e.namespace !== undefined ? { namespace: e.namespace } : {}),
    ...(ids ? { ids } : {}),
    ...(images ? { images } : {}),
    ...(invalid ? { invalid } : {}),
  };
}

/** Matches no string at all. */
const NEVER = /(?!)/;

const asGate = (g: GateInput | CompiledGate): CompiledGate => ("kind" in g && g.kind === "compiled-gate" ? g : compileGate(g));
const asException = (e: ExceptionInput | CompiledException): CompiledException => ("kind" in e && e.kind === "compiled-exception" ? e : compileException(e));

// ---- Built-in default gate (CLI without --gate) ---------------------------------------------------

/** BLOCK on any CRITICAL or any KEV finding, NEEDS_REVIEW on any HIGH, else ALLOW. */
export const DEFAULT_GATE: GateInput = {
  name: "default",
  spec: {
    selector: {},
    mode: "enforce",
    blockRules: [
      { name: "critical", minSeverity: "CRITICAL" },
      { name: "kev", kev: true },
    ],
    reviewRules: [{ name: "high", minSeverity: "HIGH" }],
    needsReviewAction: "warn",
    missingScan: "review",
    failurePolicy: "Ignore",
  },
};

// ---- Selection -------------------------------------------------------------------------------------

/** Kubernetes label-selector semantics; an empty selector selects everything. */
export function matchesLabelSelector(sel: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  const has = (k: string) => Object.hasOwn(labels, k);
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (!has(k) || labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const present = has(e.key);
    const values = e.values ?? [];
    if (e.operator === "In" && (!present || !values.includes(labels[e.key]!))) return false;
    if (e.operator === "NotIn" && present && values.includes(labels[e.key]!)) return false;
    if (e.operator === "Exists" && !present) return false;
    if (e.operator === "DoesNotExist" && present) return false;
  }
  return true;
}

/** Does the gate apply to this image (and workload, when one is given)? */
export function gateSelects(gate: GateInput | CompiledGate, ctx: EvaluationContext): boolean {
  const g = asGate(gate);
  if (ctx.namespace !== undefined && g.namespace !== undefined && g.namespace !== ctx.namespace) return false;
  if (g.include.length > 0 && (ctx.image === undefined || !g.include.some((re) => imageMatchesRegExp(ctx.image!, re)))) return false;
  if (ctx.image !== undefined && g.exclude.some((re) => imageMatchesRegExp(ctx.image!, re))) return false;
  if (ctx.workloadLabels && g.spec.selector.workloads && !matchesLabelSelector(g.spec.selector.workloads, ctx.workloadLabels)) return false;
  return true;
}

// ---- Rule matching -----------------------------------------------------------------------------

const NO = -1;
const YES = 0;

/**
 * YES when the rule matches the finding now, NO when it does not, or the epoch ms at which it will
 * start to match (every condition holds but the finding is not old enough yet).
 */
function ruleMatch(r: CompiledRule, f: AssessedFinding, nowMs: number): number {
  const c = r.rule;
  if (c.kev !== undefined && (f.kev === true) !== c.kev) return NO;
  if (r.minRank !== undefined && severityRank(f.severity) < r.minRank) return NO;
  if (c.fixAvailable !== undefined && (f.fixAvailable === true) !== c.fixAvailable) return NO;
  if (c.minEpss !== undefined && !(f.epss !== undefined && f.epss >= c.minEpss)) return NO;
  if (c.minEpssPercentile !== undefined && !(f.epssPercentile !== undefined && f.epssPercentile >= c.minEpssPercentile)) return NO;
  if (c.minRiskScore !== undefined && f.risk < c.minRiskScore) return NO;
  if (r.ids && !r.ids.has(idKey(f.id)) && !(f.aliases ?? []).some((a) => r.ids!.has(idKey(a)))) return NO;
  if (r.minAgeMs !== undefined) {
    if (f.firstSeen === undefined) return NO;
    const due = Date.parse(f.firstSeen) + r.minAgeMs;
    if (due > nowMs) return due;
  }
  return YES;
}

const filterCache = new WeakMap<OmittedBucket, Uint8Array>();
const bucketBytes = (b: OmittedBucket): Uint8Array => {
  let bytes = filterCache.get(b);
  if (!bytes) filterCache.set(b, (bytes = filterBytes(b.ids)));
  return bytes;
};

/**
 * Could an omitted bucket hold a finding the rule matches? Conservative — yes unless the bucket's
 * maxima rule it out — except for ids, where the bucket's filter answers, after taking out ids
 * that active RiskExceptions cover (a finding with such an id is excepted, whatever it is).
 */
function bucketMayMatch(r: CompiledRule, b: OmittedBucket, nowMs: number, exceptedIds: ReadonlySet<string>): boolean {
  const c = r.rule;
  if (c.kev !== undefined && b.kev !== c.kev) return false;
  if (r.minRank !== undefined && severityRank(b.severity) < r.minRank) return false;
  if (c.fixAvailable !== undefined && b.fixAvailable !== c.fixAvailable) return false;
  if (c.minEpss !== undefined && !(b.maxEpss !== undefined && b.maxEpss >= c.minEpss)) return false;
  if (c.minEpssPercentile !== undefined && !(b.maxEpssPercentile !== undefined && b.maxEpssPercentile >= c.minEpssPercentile)) return false;
  if (c.minRiskScore !== undefined && b.maxRisk < c.minRiskScore) return false;
  if (r.minAgeMs !== undefined && !(b.oldestFirstSeen !== undefined && Date.parse(b.oldestFirstSeen) + r.minAgeMs <= nowMs)) return false;
  if (r.ids) {
    const bytes = bucketBytes(b);
    for (const id of r.ids) if (!exceptedIds.has(id) && mayContain(b.ids, bytes, id)) return true;
    return false;
  }
  return true;
}

// ---- Exceptions ----------------------------------------------------------------------------------

interface ExceptionState {
  readonly active: readonly CompiledException[];
  /** Expired exceptions that would otherwise cover this image, to explain why they no longer count. */
  readonly expired: readonly CompiledException[];
}

function exceptionsFor(list: readonly CompiledException[], ctx: EvaluationContext, nowMs: number): ExceptionState {
  const active: CompiledException[] = [];
  const expired: CompiledException[] = [];
  for (const e of list) {
    if (e.invalid) continue;
    if (ctx.namespace !== undefined && e.namespace !== undefined && e.namespace !== ctx.namespace) continue;
    if (e.images && (ctx.image === undefined || !e.images.some((re) => imageMatchesRegExp(ctx.image!, re)))) continue;
    // Active strictly before its expiry: at expiresAt it no longer applies, everywhere at once.
    if (nowMs < e.expiresAtMs) active.push(e);
    else expired.push(e);
  }
  return { active, expired };
}

const covers = (e: CompiledException, f: AssessedFinding): boolean => !e.ids || e.ids.has(idKey(f.id)) || (f.aliases ?? []).some((a) => e.ids!.has(idKey(a)));

// ---- evaluateGates -------------------------------------------------------------------------------

const EMPTY_SET: ReadonlySet<string> = new Set();
const SEVERITY_ORDER: Readonly<Record<Outcome, number>> = { ALLOW: 0, NEEDS_REVIEW: 1, BLOCK: 2 };
const MISSING: Readonly<Record<PolicyGateSpec["missingScan"], Outcome>> = { allow: "ALLOW", review: "NEEDS_REVIEW", block: "BLOCK" };
const MAX_REASONS = 20;
const MAX_REASON_LENGTH = 1024;

/**
 * The decision for one artifact (or one workload's image at admission) under the given gates and
 * exceptions. `assessment` null means there is no scan for the image. On hot paths pass gates and
 * exceptions compiled once (compileGate / compileException) when they change.
 */
export function evaluateGates(
  assessment: ArtifactAssessment | null,
  gates: readonly (GateInput | CompiledGate)[],
  exceptions: readonly (ExceptionInput | CompiledException)[],
  ctx: EvaluationContext,
): Decision {
  const nowMs = ctx.now.getTime();
  const image = ctx.image ?? assessment?.image;
  const ectx: EvaluationContext = image !== undefined ? { ...ctx, image } : ctx;
  const exc = exceptionsFor(exceptions.map(asException), ectx, nowMs);
  const findings = assessment?.findings ?? [];

  // Which active exception (the first, in list order) takes each finding out.
  const exceptedBy = new Map<AssessedFinding, CompiledException>();
  const expiredOver = new Map<AssessedFinding, CompiledException>();
  let nextChange = Infinity;
  for (const f of findings) {
    const e = exc.active.find((x) => covers(x, f));
    if (e) {
      exceptedBy.set(f, e);
      nextChange = Math.min(nextChange, e.expiresAtMs);
    } else {
      const x = exc.expired.find((y) => covers(y, f));
      if (x) expiredOver.set(f, x);
    }
  }
  // Exceptions by image only also cover omitted findings; ids covered by any active exception
  // cannot make an omitted finding match an id rule.
  const omittedExcepted = exc.active.find((e) => !e.ids);
  if (omittedExcepted && assessment?.omitted) nextChange = Math.min(nextChange, omittedExcepted.expiresAtMs);
  const exceptedIds = new Set<string>();
  for (const e of exc.active) for (const id of e.ids ?? EMPTY_SET) exceptedIds.add(id);

  const used = new Map<string, Set<string>>();
  const verdicts: GateVerdict[] = [];
  let conservative = false;
  for (const gate of gates.map(asGate)) {
    if (!gateSelects(gate, ectx)) continue;
    const v = evaluateGate(gate, assessment, ectx, nowMs, { exceptedIds, exceptedBy, expiredOver, omittedExcepted, used });
    if (v.change < nextChange) nextChange = v.change;
    conservative ||= v.verdict.matches.some((m) => m.mayMatchOmitted);
    verdicts.push(v.verdict);
  }

  let outcome: Outcome = "ALLOW";
  for (const v of verdicts) if (SEVERITY_ORDER[v.outcome] > SEVERITY_ORDER[outcome]) outcome = v.outcome;
  const { confidence, factors } = confidenceOf(assessment, nowMs, conservative);
  const exceptionsApplied = [...used.keys()].sort();
  return {
    outcome,
    riskScore: assessment?.riskScore ?? 0,
    confidence,
    confidenceFactors: factors,
    decidedAt: ctx.now.toISOString(),
    gates: verdicts,
    exceptionsApplied,
    suppressedByException: exceptionsApplied.map((name) => ({ exception: name, count: used.get(name)!.size, vulnerabilityIds: [...used.get(name)!].sort().slice(0, 20) })),
    feeds: assessment?.feeds ?? {},
    topFindings: findings
      .filter((f) => !exceptedBy.has(f))
      .slice(0, 10)
      .map(topFinding),
    ...(nextChange !== Infinity && nextChange > nowMs ? { nextChangeAt: new Date(nextChange).toISOString() } : {}),
  };
}

interface Shared {
  readonly exceptedIds: ReadonlySet<string>;
  readonly exceptedBy: ReadonlyMap<AssessedFinding, CompiledException>;
  readonly expiredOver: ReadonlyMap<AssessedFinding, CompiledException>;
  readonly omittedExcepted: CompiledException | undefined;
  readonly used: Map<string, Set<string>>;
}

function evaluateGate(gate: CompiledGate, a: ArtifactAssessment | null, ctx: EvaluationContext, nowMs: number, shared: Shared): { verdict: GateVerdict; change: number } {
  const spec = gate.spec;
  const reasons: string[] = gate.problems.map((p) => `gate problem: ${p}`);
  const verdict = (outcome: Outcome, matches: RuleMatch[] = []): GateVerdict => ({
    name: gate.name,
    mode: spec.mode,
    needsReviewAction: spec.needsReviewAction,
    outcome,
    reasons: boundReasons(reasons),
    matches,
  });
  const what = ctx.image ? `image ${ctx.image}` : "this artifact";
  if (!a) {
    reasons.unshift(`no scan for ${what} (missingScan: ${spec.missingScan})`);
    return { verdict: verdict(MISSING[spec.missingScan]), change: Infinity };
  }
  let change = Infinity;
  if (gate.maxScanAgeMs !== undefined) {
    const scanned = a.scannedAt !== undefined ? Date.parse(a.scannedAt) : NaN;
    if (Number.isNaN(scanned)) {
      reasons.unshift(`the scan time of ${what} is unknown, so maxScanAge ${spec.maxScanAge} cannot be met; treated as missing (missingScan: ${spec.missingScan})`);
      return { verdict: verdict(MISSING[spec.missingScan]), change: Infinity };
    }
    const staleAt = scanned + gate.maxScanAgeMs;
    if (nowMs >= staleAt) {
      reasons.unshift(`the scan of ${what} from ${a.scannedAt} is older than maxScanAge ${spec.maxScanAge}; treated as missing (missingScan: ${spec.missingScan})`);
      return { verdict: verdict(MISSING[spec.missingScan]), change: Infinity };
    }
    change = staleAt;
  }

  const matches: RuleMatch[] = [];
  const ruleReasons: string[] = [];
  const evaluate = (rules: readonly CompiledRule[], list: "block" | "review") => {
    for (const r of rules) {
      if (r.invalid) {
        reasons.push(`${list} rule ${JSON.stringify(r.name)} is ignored: it ${r.invalid}`);
        continue;
      }
      const hit: AssessedFinding[] = [];
      let count = 0;
      for (const f of a.findings) {
        const m = ruleMatch(r, f, nowMs);
        if (m === NO) continue;
        const exception = shared.exceptedBy.get(f);
        if (exception) {
          // Only exceptions that took a finding out of a matching rule count as used.
          if (m === YES) {
            const ids = shared.used.get(exception.name) ?? new Set<string>();
            ids.add(f.id);
            shared.used.set(exception.name, ids);
          }
          continue;
        }
        if (m !== YES) {
          change = Math.min(change, m);
          continue;
        }
        count++;
        if (hit.length < 10) hit.push(f);
      }
      let omittedCount = 0;
      for (const b of a.omitted?.buckets ?? []) {
        if (bucketMayMatch(r, b, nowMs, shared.exceptedIds)) omittedCount += b.count;
        else if (r.minAgeMs !== undefined && b.oldestFirstSeen !== undefined) {
          // Not old enough yet: the bucket may match once its oldest finding reaches the rule's age.
          const due = Date.parse(b.oldestFirstSeen) + r.minAgeMs;
          if (due > nowMs && bucketMayMatch(r, b, due, shared.exceptedIds)) change = Math.min(change, due);
        }
      }
      if (omittedCount > 0 && shared.omittedExcepted) {
        // An exception for the whole image covers the findings the assessment only summarised.
        if (!shared.used.has(shared.omittedExcepted.name)) shared.used.set(shared.omittedExcepted.name, new Set());
        omittedCount = 0;
      }
      if (count === 0 && omittedCount === 0) continue;
      matches.push({ rule: r.name, list, count, findings: hit.map((f) => f.id), ...(omittedCount ? { mayMatchOmitted: true } : {}) });
      ruleReasons.push(describeMatch(list, r, count, hit, omittedCount, shared.expiredOver));
    }
  };
  evaluate(gate.blockRules, "block");
  evaluate(gate.reviewRules, "review");

  let outcome: Outcome = matches.some((m) => m.list === "block") ? "BLOCK" : matches.length > 0 ? "NEEDS_REVIEW" : "ALLOW";
  reasons.unshift(...ruleReasons);
  // escalateOnBreach: an open task of this gate past its due date blocks new rollouts of the artifact.
  const breached = spec.remediation?.escalateOnBreach ? (ctx.breaches ?? []).filter((b) => b.gate === gate.name) : [];
  if (breached.length > 0) {
    const named = breached.slice(0, 3).map((b) => `RemediationTask ${b.task} (${b.vulnerabilityIds.slice(0, 3).join(", ")}${b.vulnerabilityIds.length > 3 ? ", …" : ""}) was due ${b.dueAt}`);
    reasons.unshift(`SLA breached: ${named.join("; ")}${breached.length > 3 ? `; and ${breached.length - 3} more` : ""} (escalateOnBreach blocks new rollouts until resolved)`);
    outcome = "BLOCK";
  }
  if (outcome === "ALLOW") {
    const excepted = a.findings.filter((f) => shared.exceptedBy.has(f)).length;
    reasons.unshift(
      `no block or review rule matched (${a.summary.unique} unique finding${a.summary.unique === 1 ? "" : "s"}${excepted ? `, ${excepted} covered by RiskExceptions` : ""})`,
    );
  }
  reasons.push(...missingFeedNotes(gate, a));
  return { verdict: verdict(outcome, matches), change };
}

function describeMatch(list: string, r: CompiledRule, count: number, hit: readonly AssessedFinding[], omittedCount: number, expiredOver: ReadonlyMap<AssessedFinding, CompiledException>): string {
  const named = hit.slice(0, 5).map((f) => {
    const expired = expiredOver.get(f);
    const pkg = f.package ? ` in ${f.package}${f.version ? ` ${f.version}` : ""}` : "";
    return `${f.id}${pkg} (${f.severity}${f.kev ? ", KEV" : ""}, risk ${f.risk})${expired ? ` [RiskException ${expired.name} expired ${expired.spec.expiresAt}]` : ""}`;
  });
  const more = count - named.length;
  let text = `${list} rule ${JSON.stringify(r.name)} (${describeConditions(r.rule)}) matched`;
  if (count > 0) text += ` ${count} finding${count === 1 ? "" : "s"}: ${named.join(", ")}${more > 0 ? `, and ${more} more` : ""}`;
  if (omittedCount > 0) text += `${count > 0 ? ";" : ""} possibly some of ${omittedCount} finding${omittedCount === 1 ? "" : "s"} not kept individually in the bounded assessment`;
  return text;
}

function describeConditions(c: GateRule): string {
  const parts: string[] = [];
  if (c.kev !== undefined) parts.push(c.kev ? "in KEV" : "not in KEV");
  if (c.minSeverity) parts.push(`severity ≥ ${c.minSeverity}`);
  if (c.fixAvailable !== undefined) parts.push(c.fixAvailable ? "fix available" : "no fix available");
  if (c.minEpss !== undefined) parts.push(`EPSS ≥ ${c.minEpss}`);
  if (c.minEpssPercentile !== undefined) parts.push(`EPSS percentile ≥ ${c.minEpssPercentile}`);
  if (c.minRiskScore !== undefined) parts.push(`risk ≥ ${c.minRiskScore}`);
  if (c.minAgeDays !== undefined) parts.push(`first seen ≥ ${c.minAgeDays}d ago`);
  if (c.vulnerabilityIds) parts.push(`id in ${c.vulnerabilityIds.slice(0, 5).join(", ")}${c.vulnerabilityIds.length > 5 ? ", …" : ""}`);
  return parts.join(", ");
}

function missingFeedNotes(gate: CompiledGate, a: ArtifactAssessment): string[] {
  const rules = [...gate.blockRules, ...gate.reviewRules].filter((r) => !r.invalid);
  const notes: string[] = [];
  const kev = rules.filter((r) => r.rule.kev === true).map((r) => r.name);
  if (!a.feeds.kev && kev.length) notes.push(`no KEV feed: KEV membership is unknown, so rule${kev.length > 1 ? "s" : ""} ${kev.map((n) => JSON.stringify(n)).join(", ")} could not match`);
  const epss = rules.filter((r) => r.rule.minEpss !== undefined || r.rule.minEpssPercentile !== undefined).map((r) => r.name);
  if (!a.feeds.epss && epss.length) notes.push(`no EPSS feed: rule${epss.length > 1 ? "s" : ""} ${epss.map((n) => JSON.stringify(n)).join(", ")} only saw EPSS the scanner embedded, if any`);
  return notes;
}

function boundReasons(reasons: readonly string[]): string[] {
  const out = reasons.slice(0, MAX_REASONS).map((r) => (r.length > MAX_REASON_LENGTH ? `${r.slice(0, MAX_REASON_LENGTH - 1)}…` : r));
  if (reasons.length > MAX_REASONS) out[MAX_REASONS - 1] = `… and ${reasons.length - MAX_REASONS + 1} more reasons`;
  return out;
}

function confidenceOf(a: ArtifactAssessment | null, nowMs: number, conservative: boolean): { confidence: number; factors: ConfidenceFactor[] } {
  if (!a) return { confidence: 0, factors: [{ factor: "no scan", delta: -1 }] };
  const factors: ConfidenceFactor[] = [];
  if (!a.feeds.kev) factors.push({ factor: "no KEV feed", delta: -0.2 });
  if (!a.feeds.epss) factors.push({ factor: "no EPSS feed", delta: -0.1 });
  const unknown = a.summary.bySeverity.UNKNOWN;
  if (unknown > 0 && a.summary.unique > 0) factors.push({ factor: `${unknown} of ${a.summary.unique} findings have no known severity`, delta: -Math.round((0.3 * unknown * 100) / a.summary.unique) / 100 });
  const scanned = a.scannedAt !== undefined ? Date.parse(a.scannedAt) : NaN;
  if (Number.isNaN(scanned)) factors.push({ factor: "scan time unknown", delta: -0.1 });
  else if (nowMs - scanned > 30 * DAY_MS) factors.push({ factor: "scan older than 30 days", delta: -0.2 });
  else if (nowMs - scanned > 7 * DAY_MS) factors.push({ factor: "scan older than 7 days", delta: -0.1 });
  if (conservative) factors.push({ factor: "some rule matches rest on findings the bounded assessment summarised", delta: -0.05 });
  const total = factors.reduce((s, f) => s + f.delta, 1);
  return { confidence: Math.max(0, Math.min(1, Math.round(total * 100) / 100)), factors };
}

function topFinding(f: AssessedFinding): TopFinding {
  return {
    id: f.id,
    severity: f.severity,
    riskScore: f.risk,
    ...(f.package ? { package: f.package } : {}),
    ...(f.version ? { version: f.version } : {}),
    ...(f.kev ? { kev: true } : {}),
    ...(f.epss !== undefined ? { epss: f.epss } : {}),
    ...(f.fixedVersion ? { fixedVersion: f.fixedVersion } : {}),
  };
}
