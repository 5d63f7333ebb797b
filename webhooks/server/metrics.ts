// Webhook metrics on an injected prom-client Registry (no module-level singletons).
import { Counter, Histogram, type Registry } from "prom-client";

/** 50 µs … 10 ms, fine enough to read a sub-millisecond p99, plus a tail for slow outliers. */
export const EVALUATION_BUCKETS = [
  0.00005, 0.0001, 0.00015, 0.0002, 0.0003, 0.0004, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.1,
];

export type DecisionLabel = "allowed" | "denied" | "warned" | "audited";

/**
 * Counts kept in plain Maps on the request path and added to a prom-client Counter when the registry
 * is read: a labelled inc() costs ~0.4 µs (label validation and hashing), and a review makes several.
 * Two levels of Map keyed by the two label values: a count allocates nothing once its series exists.
 */
class BufferedCounts<L extends string> {
  private readonly pending = new Map<string | number, Map<string | number, { labels: Record<L, string | number>; n: number }>>();

  constructor(
    private readonly first: L,
    private readonly second: L,
  ) {}

  add(a: string | number, b: string | number): void {
    let inner = this.pending.get(a);
    if (!inner) {
      inner = new Map();
      this.pending.set(a, inner);
    }
    const p = inner.get(b);
    if (p) p.n++;
    else inner.set(b, { labels: { [this.first]: a, [this.second]: b } as Record<L, string | number>, n: 1 });
  }

  flushInto(counter: Counter<L>): void {
    for (const inner of this.pending.values()) {
      for (const p of inner.values()) {
        if (p.n > 0) counter.inc(p.labels, p.n);
        p.n = 0;
      }
    }
  }
}

export class WebhookMetrics {
  readonly requests: Counter<"route" | "code">;
  readonly decisions: Counter<"gate" | "decision">;
  readonly reviews: Counter<"route" | "result">;
  readonly evaluationSeconds: Histogram<"route">;
  private readonly pendingRequests = new BufferedCounts<"route" | "code">("route", "code");
  private readonly pendingDecisions = new BufferedCounts<"gate" | "decision">("gate", "decision");
  private readonly pendingReviews = new BufferedCounts<"route" | "result">("route", "result");

  constructor(readonly registry: Registry) {
    const requests = this.pendingRequests;
    const decisions = this.pendingDecisions;
    const reviews = this.pendingReviews;
    this.requests = new Counter({
      name: "fixops_webhook_requests_total",
      help: "HTTP requests to the webhook server by route and status code",
      labelNames: ["route", "code"],
      registers: [registry],
      collect() {
        requests.flushInto(this);
      },
    });
    this.reviews = new Counter({
      name: "fixops_admission_reviews_total",
      help: "Admission reviews answered, by route and result (allowed, denied, skipped)",
      labelNames: ["route", "result"],
      registers: [registry],
      collect() {
        reviews.flushInto(this);
      },
    });
    this.decisions = new Counter({
      name: "fixops_admission_decisions_total",
      help: "Per-gate admission decisions: allowed, denied (enforce), warned (warn / needs review), audited (audit mode would deny)",
      labelNames: ["gate", "decision"],
      registers: [registry],
      collect() {
        decisions.flushInto(this);
      },
    });
    this.evaluationSeconds = new Histogram({
      name: "fixops_admission_evaluation_seconds",
      help: "Server-side time to evaluate one admission review: parse, decide, serialise (excludes network and TLS)",
      labelNames: ["route"],
      buckets: EVALUATION_BUCKETS,
      registers: [registry],
    });
  }

  countRequest(route: string, code: number): void {
    this.pendingRequests.add(route, code);
  }

  countReview(route: string, result: "allowed" | "denied" | "skipped"): void {
    this.pendingReviews.add(route, result);
  }

  countDecision(gate: string, decision: DecisionLabel): void {
    this.pendingDecisions.add(gate, decision);
  }
}

/**
 * The q-quantile (0..1) of a histogram, interpolated linearly within the bucket like PromQL's
 * histogram_quantile; NaN when it has no observations. Label filters select one series; without them
 * all series are summed.
 */
export async function histogramQuantile(h: Histogram<string>, q: number, labels: Record<string, string> = {}): Promise<number> {
  const { name, values } = await h.get();
  const buckets = new Map<number, number>();
  for (const v of values) {
    if (v.metricName !== `${name}_bucket`) continue;
    const l = v.labels as Record<string, string | number>;
    if (Object.entries(labels).some(([k, want]) => String(l[k]) !== want)) continue;
    const le = l.le === "+Inf" ? Infinity : Number(l.le);
    buckets.set(le, (buckets.get(le) ?? 0) + v.value);
  }
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total === 0) return NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of sorted) {
    if (count >= rank) {
      // In the +Inf bucket the best answer is the highest finite bound (as PromQL does).
      if (le === Infinity) return prevLe;
      const inBucket = count - prevCount;
      return inBucket === 0 ? le : prevLe + (le - prevLe) * ((rank - prevCount) / inBucket);
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}
