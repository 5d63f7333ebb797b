// A level-triggered work queue of `namespace/name` keys, shaped like client-go's:
// - a key waiting in the queue is held once, however often it is added (de-duplication);
// - a key being processed is never handed to a second worker; if it is added meanwhile it is
//   marked dirty and queued again when the first worker calls done();
// - failures back off per key, exponentially with jitter; `addAfter` schedules timed re-checks.
import { systemTimers, type Timers } from "./clock.js";

export interface WorkQueueOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Fraction of the delay added at random, 0..1. */
  jitter?: number;
  random?: () => number;
  timers?: Timers;
  onDepthChange?: (depth: number) => void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private shuttingDown = false;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private readonly timers: Timers;
  private readonly onDepthChange: (depth: number) => void;

  constructor(opts: WorkQueueOptions = {}) {
    this.baseDelayMs = opts.baseDelayMs ?? 200;
    this.maxDelayMs = opts.maxDelayMs ?? 5 * 60_000;
    this.jitter = opts.jitter ?? 0.2;
    this.random = opts.random ?? Math.random;
    this.timers = opts.timers ?? systemTimers;
    this.onDepthChange = opts.onDepthChange ?? (() => {});
  }

  add(key: string): void {
    if (this.shuttingDown) return;
    const d = this.delayed.get(key);
    if (d) {
      this.timers.clearTimeout(d.timer);
      this.delayed.delete(key);
    }
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.processing.add(key);
      waiter(key);
      return;
    }
    this.queued.add(key);
    this.queue.push(key);
    this.onDepthChange(this.queue.length);
  }

  /** Add after `ms`; if the key is already scheduled sooner, the sooner time wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const existing = this.delayed.get(key);
    if (existing && existing.at <= at) return;
    if (existing) this.timers.clearTimeout(existing.timer);
    const timer = this.timers.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, Math.min(ms, 2_147_000_000));
    timer.unref?.();
    this.delayed.set(key, { at, timer });
  }

  /** Delay for the key's next retry: base·2^failures, capped, plus jitter. */
  backoffDelay(key: string): number {
    const n = this.failures.get(key) ?? 0;
    const raw = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** n);
    return Math.round(raw * (1 + this.jitter * this.random()));
  }

  addRateLimited(key: string): number {
    const delay = this.backoffDelay(key);
    this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
    this.addAfter(key, delay);
    return delay;
  }

  /** Forget a key's failure history (after a success). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** The next key to process; resolves undefined once the queue shuts down. */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) {
      this.queued.delete(key);
      this.processing.add(key);
      this.onDepthChange(this.queue.length);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  len(): number {
    return this.queue.length;
  }

  isScheduled(key: string): boolean {
    return this.queued.has(key) || this.delayed.has(key) || this.processing.has(key);
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) this.timers.clearTimeout(timer);
    this.delayed.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }
}
