// The engine-backed AdmissionDecider: per request, the image's newest assessment from the
// ImageDecisionIndex and the namespace's PolicyGates and RiskExceptions (compiled once when they
// change) go through the same evaluateGates as the controllers. Memory only: no network, no DB.
import { PolicyGateSpec, RiskExceptionSpec } from "../../api/v1alpha1/index.js";
import { compileException, compileGate, evaluateGates, type ArtifactAssessment, type CompiledException, type CompiledGate } from "../../engine/index.js";
import type { ImageDecisionIndex } from "./image-index.js";
import type { AdmissionDecider, DecisionInput, GateImageVerdict, ImageVerdict, TopFindingRef } from "./types.js";

/** A PolicyGate or RiskException object as the informers hold it (spec not yet validated). */
export interface NamedSpecObject {
  metadata: { name: string; namespace?: string };
  spec?: unknown;
}

const MAX_TOP_FINDINGS = 5;

export class EngineDecider implements AdmissionDecider {
  private readonly gates = new Map<string, CompiledGate[]>();
  private readonly exceptions = new Map<string, CompiledException[]>();
  private gatesSyncedFlag = false;

  constructor(private readonly index: ImageDecisionIndex<ArtifactAssessment>) {}

  /**
   * Replaces the gates of a namespace. Objects whose spec does not validate are skipped (their
   * controller reports them); they can neither block nor allow anything.
   */
  setGates(namespace: string, objects: readonly NamedSpecObject[]): void {
    const compiled: CompiledGate[] = [];
    for (const o of objects) {
      const spec = PolicyGateSpec.safeParse(o.spec ?? {});
      if (spec.success) compiled.push(compileGate({ name: o.metadata.name, namespace, spec: spec.data }));
    }
    if (compiled.length === 0) this.gates.delete(namespace);
    else this.gates.set(namespace, compiled);
  }

  setExceptions(namespace: string, objects: readonly NamedSpecObject[]): void {
    const compiled: CompiledException[] = [];
    for (const o of objects) {
      const spec = RiskExceptionSpec.safeParse(o.spec ?? {});
      if (spec.success) compiled.push(compileException({ name: o.metadata.name, namespace, spec: spec.data }));
    }
    if (compiled.length === 0) this.exceptions.delete(namespace);
    else this.exceptions.set(namespace, compiled);
  }

  /** Called once the PolicyGate and RiskException informers have synced and were loaded. */
  markGatesSynced(): void {
    this.gatesSyncedFlag = true;
  }

  ready(): boolean {
    return this.index.synced && this.gatesSyncedFlag;
  }

  decide(input: DecisionInput): ImageVerdict {
    const gates = this.gates.get(input.namespace);
    if (!gates) return { gates: [] };
    const entry = this.index.lookup(input.namespace, input.image).entries[0];
    const assessment = entry?.assessment ?? null;
    const decision = evaluateGates(assessment, gates, this.exceptions.get(input.namespace) ?? [], {
      now: input.now,
      image: input.image,
      namespace: input.namespace,
      workloadLabels: input.workloadLabels,
    });
    const byId = new Map<string, TopFindingRef>();
    for (const f of assessment?.findings ?? []) if (!byId.has(f.id)) byId.set(f.id, ref(f));
    const general = decision.topFindings.map(ref);
    return {
      gates: decision.gates.map((g): GateImageVerdict => {
        // The findings that made this gate decide first (block rules before review rules), then the
        // artifact's most important findings not taken out by an exception.
        const top: TopFindingRef[] = [];
        const seen = new Set<string>();
        const add = (f: TopFindingRef | undefined) => {
          if (f && !seen.has(f.id) && top.length < MAX_TOP_FINDINGS) {
            seen.add(f.id);
            top.push(f);
          }
        };
        for (const list of ["block", "review"] as const) for (const m of g.matches) if (m.list === list) for (const id of m.findings) add(byId.get(id));
        if (g.outcome !== "ALLOW") for (const f of general) add(f);
        return {
          gate: g.name,
          mode: g.mode,
          outcome: g.outcome,
          needsReviewAction: g.needsReviewAction,
          reasons: [...g.reasons],
          topFindings: top,
          ...(entry ? { scanResult: entry.scanResultRef } : {}),
        };
      }),
    };
  }
}

function ref(f: { id: string; severity: TopFindingRef["severity"]; kev?: boolean }): TopFindingRef {
  return f.kev ? { id: f.id, severity: f.severity, kev: true } : { id: f.id, severity: f.severity };
}
