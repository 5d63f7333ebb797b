// An AdmissionDecider over per-gate outcomes that were computed ahead of time (e.g. copied from
// ScanResult.status.decision.gates by the controller that ran the engine). It is the interim decider
// until the engine's evaluateGates is wired in, and the one the benchmark uses. It applies gate
// selection (image globs, workload label selector) and `missingScan` itself; everything else
// (rules, exceptions, scan age) is assumed to be folded into the precomputed outcomes.
import type { LabelSelector, Outcome } from "../../api/v1alpha1/index.js";
import type { ImageDecisionIndex } from "./image-index.js";
import { imageGlobToRegExp, imageMatchesRegExp } from "../../engine/glob.js";
import type { AdmissionDecider, DecisionInput, GateImageVerdict, GateMode, ImageVerdict, NeedsReviewAction, TopFindingRef } from "./types.js";

/** A PolicyGate as admission needs it. */
export interface AdmissionGate {
  /** Key of the gate in PrecomputedAssessment.gates, and the name shown to people. */
  name: string;
  mode: GateMode;
  needsReviewAction: NeedsReviewAction;
  missingScan: "allow" | "review" | "block";
  images?: string[];
  excludeImages?: string[];
  workloads?: LabelSelector;
}

export interface PrecomputedGateOutcome {
  outcome: Outcome;
  reasons: string[];
  topFindings: TopFindingRef[];
  remediationTask?: string;
}

export interface PrecomputedAssessment {
  gates: Readonly<Record<string, PrecomputedGateOutcome>>;
}

interface CompiledGate {
  gate: AdmissionGate;
  include: RegExp[];
  exclude: RegExp[];
  /** image → selected by the image globs; pure per gate, and the same images recur. */
  byImage: Map<string, boolean>;
}

const SELECTION_MEMO_MAX = 20_000;

const MISSING: Record<AdmissionGate["missingScan"], Outcome> = { allow: "ALLOW", review: "NEEDS_REVIEW", block: "BLOCK" };

export class PrecomputedVerdictDecider implements AdmissionDecider {
  private readonly gatesByNamespace = new Map<string, CompiledGate[]>();

  constructor(private readonly index: ImageDecisionIndex<PrecomputedAssessment>) {}

  /** Replaces the gates of one namespace (globs compiled once here, not per request). */
  setGates(namespace: string, gates: readonly AdmissionGate[]): void {
    if (gates.length === 0) {
      this.gatesByNamespace.delete(namespace);
      return;
    }
    this.gatesByNamespace.set(
      namespace,
      gates.map((gate) => ({
        gate,
        include: (gate.images ?? []).map((g) => imageGlobToRegExp(g)),
        exclude: (gate.excludeImages ?? []).map((g) => imageGlobToRegExp(g)),
        byImage: new Map(),
      })),
    );
  }

  ready(): boolean {
    return this.index.synced;
  }

  decide(input: DecisionInput): ImageVerdict {
    const gates = this.gatesByNamespace.get(input.namespace);
    if (!gates) return { gates: [] };
    const hit = this.index.lookup(input.namespace, input.image);
    const entry = hit.entries[0];
    const out: GateImageVerdict[] = [];
    for (const c of gates) {
      if (!selects(c, input)) continue;
      const g = c.gate;
      // Own properties only: a gate called "constructor" must not find Object.prototype's.
      const pre = entry && hasOwn(entry.assessment.gates, g.name) ? entry.assessment.gates[g.name] : undefined;
      if (entry && pre) {
        const v: GateImageVerdict = {
          gate: g.name,
          mode: g.mode,
          outcome: pre.outcome,
          needsReviewAction: g.needsReviewAction,
          reasons: pre.reasons,
          topFindings: pre.topFindings,
          scanResult: entry.scanResultRef,
        };
        if (pre.remediationTask) v.remediationTask = pre.remediationTask;
        out.push(v);
        continue;
      }
      // No scan, or a scan this gate has not evaluated yet: both follow the gate's missingScan.
      out.push({
        gate: g.name,
        mode: g.mode,
        outcome: MISSING[g.missingScan],
        needsReviewAction: g.needsReviewAction,
        reasons: [entry ? `ScanResult ${entry.scanResultRef} has no decision for this gate yet (missingScan: ${g.missingScan})` : `no ScanResult for this image (missingScan: ${g.missingScan})`],
        topFindings: [],
        ...(entry ? { scanResult: entry.scanResultRef } : {}),
      });
    }
    return { gates: out };
  }
}

function selects(c: CompiledGate, input: DecisionInput): boolean {
  let byImage = c.byImage.get(input.image);
  if (byImage === undefined) {
    byImage = (c.include.length === 0 || c.include.some((re) => imageMatchesRegExp(input.image, re))) && !c.exclude.some((re) => imageMatchesRegExp(input.image, re));
    if (c.byImage.size >= SELECTION_MEMO_MAX) c.byImage.clear();
    c.byImage.set(input.image, byImage);
  }
  if (!byImage) return false;
  return c.gate.workloads ? matchesLabelSelector(c.gate.workloads, input.workloadLabels) : true;
}

/** Kubernetes label-selector semantics; an empty selector selects everything. */
export function matchesLabelSelector(sel: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  if (sel.matchLabels) {
    for (const k in sel.matchLabels) {
      if (!hasOwn(labels, k) || labels[k] !== sel.matchLabels[k]) return false;
    }
  }
  for (const e of sel.matchExpressions ?? []) {
    const present = hasOwn(labels, e.key);
    const value = present ? labels[e.key] : undefined;
    const values = e.values ?? [];
    switch (e.operator) {
      case "In":
        if (!present || !values.includes(value!)) return false;
        break;
      case "NotIn":
        if (present && values.includes(value!)) return false;
        break;
      case "Exists":
        if (!present) return false;
        break;
      case "DoesNotExist":
        if (present) return false;
        break;
    }
  }
  return true;
}

function hasOwn(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}
