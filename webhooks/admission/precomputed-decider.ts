// An AdmissionDecider over per-gate outcomes that were computed ahead of time (e.g. copied from
// ScanResult.status.decision.gates by the controller that ran the engine). The operator uses the
// EngineDecider; this one serves `bench:admission --decider precomputed` and tests. It applies gate
// selection (image globs, workload label selector) and `missingScan` itself; everything else
// (rules, exceptions, scan age) is assumed to be folded into the precomputed outcomes.
import type { LabelSelector, Outcome } from "../../api/v1alpha1/index.js";
import type { ImageDecisionIndex } from "./image-index.js";
import { imageGlobToRegExp, imageMatchesRegExp } from "../../engine/glob.js";
import type { AdmissionDecider, DecisionInput, GateImageVerdict, GateMode, ImageVerdict, NeedsReviewAction, TopFindingRef } from "./types.js";
import { ImageVerdictCache, cachedImageVerdict, verdictForWorkload, type CachedImageVerdict, type SelectableVerdict } from "./verdict-cache.js";

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
}

const MISSING: Record<AdmissionGate["missingScan"], Outcome> = { allow: "ALLOW", review: "NEEDS_REVIEW", block: "BLOCK" };

export class PrecomputedVerdictDecider implements AdmissionDecider {
  private readonly gatesByNamespace = new Map<string, CompiledGate[]>();
  private gatesVersion = 0;
  /** Per (namespace, image): the verdicts of the gates selecting the image, until the index or the gates change. */
  private readonly cache = new ImageVerdictCache();

  constructor(private readonly index: ImageDecisionIndex<PrecomputedAssessment>) {}

  /** Replaces the gates of one namespace (globs compiled once here, not per request). */
  setGates(namespace: string, gates: readonly AdmissionGate[]): void {
    this.gatesVersion++;
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
      })),
    );
  }

  ready(): boolean {
    return this.index.synced;
  }

  decide(input: DecisionInput): ImageVerdict {
    const gates = this.gatesByNamespace.get(input.namespace);
    if (!gates) return { gates: [] };
    // Both counters only grow, so their sum identifies the state the entry was computed from.
    const version = this.index.version + this.gatesVersion;
    let c = this.cache.get(input.namespace, input.image, version, 0);
    if (!c) {
      c = this.evaluateImage(input.namespace, input.image, gates, version);
      this.cache.set(input.namespace, input.image, c);
    }
    return verdictForWorkload(c, input.workloadLabels);
  }

  /** The verdict of every gate whose image globs select the image (labels are applied per request). */
  private evaluateImage(namespace: string, image: string, gates: readonly CompiledGate[], version: number): CachedImageVerdict {
    const entry = this.index.lookup(namespace, image).entries[0];
    const out: SelectableVerdict[] = [];
    for (const c of gates) {
      if (!selectsImage(c, image)) continue;
      const g = c.gate;
      // Own properties only: a gate called "constructor" must not find Object.prototype's.
      const pre = entry && hasOwn(entry.assessment.gates, g.name) ? entry.assessment.gates[g.name] : undefined;
      let v: GateImageVerdict;
      if (entry && pre) {
        v = {
          gate: g.name,
          mode: g.mode,
          outcome: pre.outcome,
          needsReviewAction: g.needsReviewAction,
          reasons: pre.reasons,
          topFindings: pre.topFindings,
          scanResult: entry.scanResultRef,
        };
        if (pre.remediationTask) v.remediationTask = pre.remediationTask;
      } else {
        // No scan, or a scan this gate has not evaluated yet: both follow the gate's missingScan.
        v = {
          gate: g.name,
          mode: g.mode,
          outcome: MISSING[g.missingScan],
          needsReviewAction: g.needsReviewAction,
          reasons: [entry ? `ScanResult ${entry.scanResultRef} has no decision for this gate yet (missingScan: ${g.missingScan})` : `no ScanResult for this image (missingScan: ${g.missingScan})`],
          topFindings: [],
          ...(entry ? { scanResult: entry.scanResultRef } : {}),
        };
      }
      out.push({ workloads: g.workloads, verdict: v });
    }
    // Precomputed outcomes do not change with time: only a new index or gate version ends the entry.
    return cachedImageVerdict(version, Infinity, out);
  }
}

function selectsImage(c: CompiledGate, image: string): boolean {
  return (c.include.length === 0 || c.include.some((re) => imageMatchesRegExp(image, re))) && !c.exclude.some((re) => imageMatchesRegExp(image, re));
}

// The engine's selector semantics, the same the EngineDecider applies (kept exported for callers of this module).
export { matchesLabelSelector } from "../../engine/index.js";

function hasOwn(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}
