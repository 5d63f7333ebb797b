// Runs one reconciler: keys come from informer events (the watch handlers only enqueue), workers
// take keys from the queue, and the result decides what happens next:
//   success → forget backoff (and requeueAfter when asked),
//   ConflictError / other errors → per-key exponential backoff,
//   TerminalError → no retry until the object changes (the reconciler reported it in status).
import { randomUUID } from "node:crypto";
import { ConflictError, RateLimitedError, TerminalError, errorMessage } from "./errors.js";
import type { Informer, KubeObject } from "./kube/port.js";
import { objectKey } from "./kube/port.js";
import type { Logger } from "./logger.js";
import type { OperatorMetrics } from "./metrics.js";
import { WorkQueue } from "./queue.js";

const STOP_SENTINEL = "\u0000stop";

export interface ReconcileResult {
  /** Re-check this object after this many ms (timed work: expiries, SLAs, periodic sync). */
  requeueAfterMs?: number;
}

export interface ReconcileContext {
  log: Logger;
  reconcileId: string;
}

export interface Reconciler {
  readonly kind: string;
  reconcile(key: string, ctx: ReconcileContext): Promise<ReconcileResult | void>;
}

/** Another informer whose changes should re-run this controller for the keys it maps to. */
export interface SecondaryWatch {
  informer: Informer;
  map(obj: KubeObject): string[];
}

export interface ControllerOptions {
  reconciler: Reconciler;
  primary: Informer;
  secondaries?: SecondaryWatch[];
  workers: number;
  log: Logger;
  metrics: OperatorMetrics;
}

export class Controller {
  readonly queue: WorkQueue;
  private running = false;
  private workers: Promise<void>[] = [];

  constructor(private readonly opts: ControllerOptions) {
    const kind = opts.reconciler.kind;
    this.queue = new WorkQueue({ onDepthChange: (d) => opts.metrics.queueDepth.set({ kind }, d) });
    opts.primary.onEvent((_type, obj) => this.queue.add(objectKey(obj)));
    for (const s of opts.secondaries ?? []) {
      s.informer.onEvent((_type, obj) => {
        for (const key of s.map(obj)) this.queue.add(key);
      });
    }
  }

  get kind(): string {
    return this.opts.reconciler.kind;
  }

  /** Start workers; every cached object is enqueued so a new leader re-checks everything. */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const obj of this.opts.primary.list()) this.queue.add(objectKey(obj));
    for (let i = 0; i < this.opts.workers; i++) this.workers.push(this.work());
  }

  private async work(): Promise<void> {
    const { reconciler, metrics, log } = this.opts;
    const kind = reconciler.kind;
    while (this.running) {
      const key = await this.queue.get();
      if (key === undefined) break;
      if (key.startsWith(STOP_SENTINEL)) {
        this.queue.done(key);
        if (!this.running) break;
        continue;
      }
      if (!this.running) {
        // Taken after stop(): keep it pending for the next start().
        this.queue.done(key);
        this.queue.add(key);
        break;
      }
      const reconcileId = randomUUID();
      const rlog = log.child({ kind, key, reconcileId });
      const end = metrics.reconcileDuration.startTimer({ kind });
      try {
        const result = await reconciler.reconcile(key, { log: rlog, reconcileId });
        this.queue.forget(key);
        metrics.reconcileTotal.inc({ kind, result: result?.requeueAfterMs ? "requeue" : "success" });
        if (result?.requeueAfterMs !== undefined) this.queue.addAfter(key, Math.max(1, result.requeueAfterMs));
      } catch (err) {
        const reason = err instanceof Error ? err.name : "Error";
        metrics.reconcileTotal.inc({ kind, result: "error" });
        metrics.reconcileErrors.inc({ kind, reason });
        if (err instanceof TerminalError) {
          rlog.warn({ err: errorMessage(err) }, "reconcile failed permanently; waiting for a change");
        } else if (err instanceof RateLimitedError) {
          this.queue.addAfter(key, err.retryAfterMs);
        } else {
          const delay = this.queue.addRateLimited(key);
          const level = err instanceof ConflictError ? "debug" : "warn";
          rlog[level]({ err: errorMessage(err), retryInMs: delay }, "reconcile failed; retrying");
        }
      } finally {
        end();
        this.queue.done(key);
      }
    }
  }

  /** Stop workers (after their current item) and keep the queue for a later start(). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    // Wake idle workers without dropping pending keys: each takes a sentinel and exits.
    for (let i = 0; i < this.workers.length; i++) this.queue.add(`${STOP_SENTINEL}${i}`);
    await Promise.all(this.workers);
    this.workers = [];
  }

  shutDown(): void {
    this.running = false;
    this.queue.shutDown();
  }
}
