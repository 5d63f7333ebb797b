// The engine-backed AdmissionDecider: per request, the image's newest assessment from the
// ImageDecisionIndex and the namespace's PolicyGates and RiskExceptions (compiled once when they
// change) go through the same evaluateGates as the controllers. Memory only: no network, no DB.
// The verdicts per (namespace, image) are kept until an input changes or the engine's nextChangeAt
// (see verdict-cache.ts), so a request for an image seen before evaluates nothing.
import { PolicyGateSpec, RiskExceptionSpec } from "../../api/v1alpha1/index.js";
import { compileException, compileGate, evaluateGates, type ArtifactAssessment, type CompiledException, type CompiledGate } from "../../engine/index.js";
import { openTasksFor, slaBreaches, taskPointer, taskRefs, type TaskRef } from "../../remediation/escalation.js";
import type { ImageDecisionIndex } from "./image-index.js";
import type { AdmissionDecider, DecisionInput, GateImageVerdict, ImageVerdict, TopFindingRef } from "./types.js";
import { ImageVerdictCache, cachedImageVerdict, verdictForWorkload, type CachedImageVerdict, type SelectableVerdict } from "./verdict-cache.js";

/** A PolicyGate or RiskException object as the informers hold it (spec not yet validated). */
export interface NamedSpecObject {
  metadata: { name: string; namespace?: string };
  spec?: unknown;
}

const MAX_TOP_FINDINGS = 5;

export class EngineDecider implements AdmissionDecider {
  private readonly gates = new Map<string, CompiledGate[]>();
  private readonly exceptions = new Map<string, CompiledException[]>();
  private readonly tasks = new Map<string, TaskRef[]>();
  private gatesSyncedFlag = false;
  /** Bumped whenever gates or exceptions change; with the index version it keys the verdict cache. */
  private rulesVersion = 0;
  private readonly cache = new ImageVerdictCache();

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
    this.rulesVersion++;
  }

  setExceptions(namespace: string, objects: readonly NamedSpecObject[]): void {
    const compiled: CompiledException[] = [];
    for (const o of objects) {
      const spec = RiskExceptionSpec.safeParse(o.spec ?? {});
      if (spec.success) compiled.push(compileException({ name: o.metadata.name, namespace, spec: spec.data }));
    }
    if (compiled.length === 0) this.exceptions.delete(namespace);
    else this.exceptions.set(namespace, compiled);
    this.rulesVersion++;
  }

  /**
   * Replaces the RemediationTasks of a namespace (named in deny messages; breaches escalate). Task
   * status changes often (ticket sync, transitions between open states); kept verdicts are dropped only
   * when what a verdict reads of the tasks changed, since every version bump empties the whole cache.
   */
  setTasks(namespace: string, objects: readonly NamedSpecObject[]): void {
    const refs = taskRefs(objects);
    if (JSON.stringify(refs) === JSON.stringify(this.tasks.get(namespace) ?? [])) return;
    if (refs.length === 0) this.tasks.delete(namespace);
    else this.tasks.set(namespace, refs);
    this.rulesVersion++;
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
    // Either version moving on invalidates every entry; both only grow, so their sum identifies a state.
    const version = this.index.version + this.rulesVersion;
    const nowMs = input.now.getTime();
    let c = this.cache.get(input.namespace, input.image, version, nowMs);
    if (!c) {
      c = this.evaluateImage(input.namespace, input.image, gates, input.now, version);
      this.cache.set(input.namespace, input.image, c);
    }
    return verdictForWorkload(c, input.workloadLabels);
  }

  /** Every gate of the namespace that selects the image (workload labels aside), evaluated once. */
  private evaluateImage(namespace: string, image: string, gates: readonly CompiledGate[], now: Date, version: number): CachedImageVerdict {
    const entry = this.index.lookup(namespace, image).entries[0];
    const assessment = entry?.assessment ?? null;
    // No workloadLabels: selection by labels is applied per request (verdictForWorkload).
    // Tasks are about the artifact the ScanResult names, whatever reference the Pod uses.
    const open = entry ? openTasksFor(this.tasks.get(namespace) ?? [], { image: entry.image, ...(entry.digest ? { digest: entry.digest } : {}) }) : [];
    const breaches = slaBreaches(open);
    const decision = evaluateGates(assessment, gates, this.exceptions.get(namespace) ?? [], { now, image, namespace, ...(breaches.length ? { breaches } : {}) });
    const byId = new Map<string, TopFindingRef>();
    for (const f of assessment?.findings ?? []) if (!byId.has(f.id)) byId.set(f.id, ref(f));
    const general = decision.topFindings.map(ref);
    const byName = new Map(gates.map((g) => [g.name, g]));
    const selectable = decision.gates.map((g): SelectableVerdict => {
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
      const verdict: GateImageVerdict = {
        gate: g.name,
        mode: g.mode,
        outcome: g.outcome,
        needsReviewAction: g.needsReviewAction,
        reasons: [...g.reasons],
        topFindings: top,
        ...(entry ? { scanResult: entry.scanResultRef } : {}),
      };
      const task = taskPointer(namespace, open.filter((t) => t.gate === g.name).concat(open.filter((t) => t.gate !== g.name)));
      if (task && g.outcome !== "ALLOW") verdict.remediationTask = task;
      // The engine puts the escalation reason first; say it in the message, the findings alone did not block.
      if (byName.get(g.name)?.spec.remediation?.escalateOnBreach && breaches.some((b) => b.gate === g.name)) verdict.note = g.reasons[0]!;
      return { workloads: byName.get(g.name)?.spec.selector.workloads, verdict };
    });
    return cachedImageVerdict(version, validUntil(decision.nextChangeAt, assessment, gates, now.getTime()), selectable);
  }
}

/**
 * When a cached verdict must be recomputed by time alone: the engine's nextChangeAt (exception
 * expiry, maxScanAge, a KEV due date, a finding's minAgeDays), and also the moment a minAgeDays rule
 * starts to cover the findings an assessment only summarised in buckets, which nextChangeAt does not
 * report.
 */
function validUntil(nextChangeAt: string | undefined, a: ArtifactAssessment | null, gates: readonly CompiledGate[], nowMs: number): number {
  let until = nextChangeAt ? Date.parse(nextChangeAt) : Infinity;
  if (Number.isNaN(until)) until = nowMs;
  for (const b of a?.omitted?.buckets ?? []) {
    if (b.oldestFirstSeen === undefined) continue;
    const first = Date.parse(b.oldestFirstSeen);
    for (const g of gates) {
      for (const r of [...g.blockRules, ...g.reviewRules]) {
        if (r.minAgeMs === undefined) continue;
        const at = first + r.minAgeMs;
        if (at > nowMs && at < until) until = at;
      }
    }
  }
  return until;
}

function ref(f: { id: string; severity: TopFindingRef["severity"]; kev?: boolean }): TopFindingRef {
  return f.kev ? { id: f.id, severity: f.severity, kev: true } : { id: f.id, severity: f.severity };
}
