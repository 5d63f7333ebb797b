// Pure: what a ScanResult's status should be, from its analysis, the PolicyGates and RiskExceptions
// of its namespace, and `now`. No I/O: the shell (reconcile.ts) reads the report and runs the engine.
import {
  PolicyGateSpec,
  RiskExceptionSpec,
  type PolicyGateResource,
  type ReportFormat,
  type RiskExceptionResource,
  type ScanResultResource,
  type ScanResultStatus,
} from "../../api/v1alpha1/index.js";
import { DEFAULT_GATE, evaluateGates, type Analysis, type Decision, type ExceptionInput, type GateInput } from "../../engine/index.js";
import { openTasksFor, slaBreaches, type TaskRef } from "../../remediation/escalation.js";
import { ready } from "../shared/ready.js";
import type { Plan } from "../shared/reconcile-status.js";

export type ScanResultPlan = Plan<Omit<ScanResultStatus, "conditions" | "observedGeneration">>;

export const MAX_GATES = 50;
export const MAX_REASONS = 20;
export const MAX_REASON_CHARS = 1024;
export const MAX_EXCEPTIONS = 50;
export const MAX_TOP_FINDINGS = 10;
export const MAX_STRING = 256;
export const MAX_MESSAGE = 1024;
/** How often a report kept in a ConfigMap or Secret is read again. */
export const REPORT_RECHECK_MS = 5 * 60_000;
/** Longest requeue (the informer resync also catches anything later). */
export const MAX_REQUEUE_MS = 24 * 3600_000;

/** Why a ScanResult could not be decided. */
export type Failure = { reason: "InvalidSpec" | "ReportNotFound" | "ReportUnparseable" | "StoreUnavailable"; message: string };

export interface Analysed {
  digest: string;
  format: ReportFormat;
  analysis: Analysis;
}

export const clip = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

/** Gates and exceptions of the ScanResult's namespace, validated; invalid ones are skipped. */
export function gateInputs(gates: readonly PolicyGateResource[], namespace: string): GateInput[] {
  const out: GateInput[] = [];
  for (const g of gates) {
    if (g.metadata.namespace !== namespace) continue;
    const r = PolicyGateSpec.safeParse(g.spec ?? {});
    if (r.success) out.push({ name: g.metadata.name, namespace, spec: r.data });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export function exceptionInputs(excs: readonly RiskExceptionResource[], namespace: string): ExceptionInput[] {
  const out: ExceptionInput[] = [];
  for (const e of excs) {
    if (e.metadata.namespace !== namespace) continue;
    const r = RiskExceptionSpec.safeParse(e.spec ?? {});
    if (r.success) out.push({ name: e.metadata.name, namespace, spec: r.data });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export function planScanResult(
  obj: ScanResultResource,
  input: Analysed | Failure,
  gates: readonly PolicyGateResource[],
  exceptions: readonly RiskExceptionResource[],
  now: Date,
  /** The namespace's RemediationTasks (see remediation/escalation.ts); only escalateOnBreach gates use them. */
  tasks: readonly TaskRef[] = [],
): ScanResultPlan {
  const gen = obj.metadata.generation;
  const prev = (obj.status ?? {}) as ScanResultStatus;
  if ("reason" in input) {
    // No decision at all: the status writer clears the previous one, so a stale ALLOW cannot
    // outlive a report that no longer reads.
    return {
      status: {},
      conditions: [ready("False", input.reason, clip(input.message, MAX_MESSAGE), gen)],
      events: [{ type: "Warning", reason: input.reason, message: clip(input.message, MAX_MESSAGE) }],
    };
  }
  const namespace = obj.metadata.namespace ?? "";
  const gin = gateInputs(gates, namespace);
  const usedGates = gin.length ? gin : [DEFAULT_GATE];
  const { assessment } = input.analysis;
  const image = (obj.spec as { artifact?: { image?: string } } | undefined)?.artifact?.image ?? assessment.image;
  const artifact = (obj.spec as { artifact?: { image?: string; digest?: string } } | undefined)?.artifact;
  const breaches = artifact?.image ? slaBreaches(openTasksFor(tasks, { image: artifact.image, ...(artifact.digest ? { digest: artifact.digest } : {}) })) : [];
  const d = evaluateGates(assessment, usedGates, exceptionInputs(exceptions, namespace), {
    now,
    namespace,
    ...(image ? { image } : {}),
    ...(breaches.length ? { breaches } : {}),
  });
  const s = assessment.summary;
  const decision: NonNullable<ScanResultStatus["decision"]> = {
    outcome: d.outcome,
    riskScore: d.riskScore,
    confidence: Math.min(1, Math.max(0, d.confidence)),
    decidedAt: d.decidedAt,
    gates: boundedGates(d.gates),
    exceptionsApplied: d.exceptionsApplied.slice(0, MAX_EXCEPTIONS).map((e) => clip(e, MAX_STRING)),
    suppressed: d.suppressedByException.slice(0, MAX_EXCEPTIONS).map((x) => ({
      exception: clip(x.exception, MAX_STRING),
      count: x.count,
      vulnerabilityIds: x.vulnerabilityIds.slice(0, 20).map((id) => clip(id, MAX_STRING)),
    })),
    feeds: { ...(d.feeds.epss ? { epss: d.feeds.epss } : {}), ...(d.feeds.kev ? { kev: d.feeds.kev } : {}) },
    topFindings: d.topFindings.slice(0, MAX_TOP_FINDINGS).map((f) => ({
      id: clip(f.id, MAX_STRING),
      ...(f.package !== undefined ? { package: clip(f.package, MAX_STRING) } : {}),
      ...(f.version !== undefined ? { version: clip(f.version, MAX_STRING) } : {}),
      severity: f.severity,
      riskScore: f.riskScore,
      ...(f.kev !== undefined ? { kev: f.kev } : {}),
      ...(f.epss !== undefined ? { epss: f.epss } : {}),
      ...(f.fixedVersion !== undefined ? { fixedVersion: clip(f.fixedVersion, MAX_STRING) } : {}),
    })),
  };
  // decidedAt changes on every evaluation; keep the previous one when nothing else changed so the
  // status write is skipped.
  const prevDecision = prev.decision;
  if (prevDecision && sameDecision(prevDecision, decision)) decision.decidedAt = prevDecision.decidedAt;

  const status: ScanResultPlan["status"] = {
    reportDigest: input.digest,
    format: input.format,
    summary: {
      raw: s.raw,
      unique: s.unique,
      suppressed: s.suppressed,
      noiseReductionPercent: s.noiseReductionPercent,
      bySeverity: { ...s.bySeverity },
    },
    decision,
  };
  const events: NonNullable<ScanResultPlan["events"]> = [];
  if (prevDecision?.outcome !== decision.outcome) {
    const why = decision.gates
      .filter((g) => g.outcome !== "ALLOW")
      .map((g) => `${g.name}: ${g.reasons[0] ?? g.outcome}`)
      .slice(0, 3)
      .join("; ");
    events.push({
      type: decision.outcome === "ALLOW" ? "Normal" : "Warning",
      reason: "DecisionChanged",
      message: clip(`decision ${prevDecision?.outcome ?? "none"} → ${decision.outcome}${why ? ` (${why})` : ""}`, MAX_MESSAGE),
    });
  }
  let requeueAfterMs: number | undefined;
  if (d.nextChangeAt) {
    const ms = Date.parse(d.nextChangeAt) - now.getTime();
    if (Number.isFinite(ms)) requeueAfterMs = Math.min(MAX_REQUEUE_MS, Math.max(1, ms));
  }
  // A report in a ConfigMap or Secret can change without the ScanResult changing (those kinds are not
  // watched: a cluster-wide Secret watch is more access than the operator should hold). Re-read it.
  const report = (obj.spec as { report?: { configMapKeyRef?: unknown; secretKeyRef?: unknown } } | undefined)?.report;
  if (report?.configMapKeyRef || report?.secretKeyRef) requeueAfterMs = Math.min(requeueAfterMs ?? REPORT_RECHECK_MS, REPORT_RECHECK_MS);
  const msg = `${decision.outcome} (risk ${decision.riskScore}, ${s.unique} unique of ${s.raw} findings; gates: ${
    gin.length ? decision.gates.map((g) => g.name).slice(0, 5).join(", ") || "none selects this artifact" : "default"
  })`;
  return {
    status,
    conditions: [ready("True", "Decided", clip(msg, MAX_MESSAGE), gen)],
    ...(events.length ? { events } : {}),
    ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}),
  };
}

/** Total characters of gate reasons in a status (the whole status must stay well under 64 KiB). */
export const REASONS_BUDGET = 24 * 1024;

/** At most 50 gates, 20 reasons each of at most 1024 characters, and REASONS_BUDGET in all. */
function boundedGates(gates: Decision["gates"]): NonNullable<ScanResultStatus["decision"]>["gates"] {
  const kept = gates.slice(0, MAX_GATES);
  // Most severe gates first get their share; every gate keeps at least one short reason.
  const perGate = Math.max(160, Math.floor(REASONS_BUDGET / Math.max(1, kept.length)));
  return kept.map((g) => {
    const reasons: string[] = [];
    let left = perGate;
    for (const r of g.reasons.slice(0, MAX_REASONS)) {
      if (left < 16) break;
      const c = clip(r, Math.min(MAX_REASON_CHARS, left));
      reasons.push(c);
      left -= c.length;
    }
    const dropped = Math.min(g.reasons.length, MAX_REASONS) - reasons.length + Math.max(0, g.reasons.length - MAX_REASONS);
    if (dropped > 0 && reasons.length > 0) reasons[reasons.length - 1] = clip(`${reasons[reasons.length - 1]} (+${dropped} more)`, MAX_REASON_CHARS);
    return { name: clip(g.name, MAX_STRING), mode: g.mode, outcome: g.outcome, reasons };
  });
}

function sameDecision(a: NonNullable<ScanResultStatus["decision"]>, b: NonNullable<ScanResultStatus["decision"]>): boolean {
  return stable({ ...a, decidedAt: "" }) === stable({ ...b, decidedAt: "" });
}

/** JSON with object keys sorted (the API server returns keys in its own order). */
function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}
