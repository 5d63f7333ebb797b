// Per-image verdicts kept between admission requests. The same images are admitted over and over
// (every Pod of a ReplicaSet, every rollout of a Deployment), and a verdict depends on the workload
// only through the gates' label selectors. So a decider computes, once per (namespace, image), the
// verdict of every gate that selects the image, and each request only filters them by its labels.
// An entry is valid while nothing it was computed from changed (the decider's version: index,
// gates, exceptions) and until the time the engine says the decision may change on its own.
import type { LabelSelector } from "../../api/v1alpha1/index.js";
import { matchesLabelSelector } from "../../engine/index.js";
import type { GateImageVerdict, ImageVerdict } from "./types.js";

export interface SelectableVerdict {
  /** The gate's workload selector; absent = every workload. */
  readonly workloads?: LabelSelector | undefined;
  readonly verdict: GateImageVerdict;
}

export interface CachedImageVerdict {
  readonly version: number;
  /** Epoch ms from which the entry must be recomputed (Infinity: only a version change ends it). */
  readonly validUntilMs: number;
  readonly gates: readonly SelectableVerdict[];
  /** The answer for every workload, when no gate selects by labels (nothing to filter per request). */
  readonly forAll?: ImageVerdict;
}

const NONE: readonly SelectableVerdict[] = Object.freeze([]);

export function cachedImageVerdict(version: number, validUntilMs: number, gates: readonly SelectableVerdict[]): CachedImageVerdict {
  const g = gates.length === 0 ? NONE : gates;
  return g.some((s) => s.workloads) ? { version, validUntilMs, gates: g } : { version, validUntilMs, gates: g, forAll: { gates: g.map((s) => s.verdict) } };
}

/** The verdicts of the gates that select a workload with these labels. Callers must not mutate the result. */
export function verdictForWorkload(c: CachedImageVerdict, labels: Readonly<Record<string, string>>): ImageVerdict {
  if (c.forAll) return c.forAll;
  const gates: GateImageVerdict[] = [];
  for (const s of c.gates) if (!s.workloads || matchesLabelSelector(s.workloads, labels)) gates.push(s.verdict);
  return { gates };
}

/** namespace → image → verdicts; bounded (it starts over rather than grow on a stream of distinct images). */
export class ImageVerdictCache {
  private readonly byNamespace = new Map<string, Map<string, CachedImageVerdict>>();
  private size = 0;

  constructor(private readonly maxEntries = 20_000) {}

  get(namespace: string, image: string, version: number, nowMs: number): CachedImageVerdict | undefined {
    const c = this.byNamespace.get(namespace)?.get(image);
    return c && c.version === version && nowMs < c.validUntilMs ? c : undefined;
  }

  set(namespace: string, image: string, value: CachedImageVerdict): void {
    let m = this.byNamespace.get(namespace);
    if (!m) {
      if (this.size >= this.maxEntries) this.clear();
      m = new Map();
      this.byNamespace.set(namespace, m);
    }
    if (!m.has(image)) {
      if (this.size >= this.maxEntries) {
        this.clear();
        return this.set(namespace, image, value);
      }
      this.size++;
    }
    m.set(image, value);
  }

  clear(): void {
    this.byNamespace.clear();
    this.size = 0;
  }

  get entries(): number {
    return this.size;
  }
}
