// Per-integration token bucket, from IntegrationSpec.rateLimit. The outbox worker asks before each call
// and defers the row by `waitMs` instead of sleeping, so one slow ALM never stalls the others. A 429's
// Retry-After pauses the whole bucket: every request to that ALM would get the same answer.
import type { IntegrationSpec } from "../api/v1alpha1/integration.js";
import type { Clock } from "./types.js";

export const DEFAULT_RATE = { requestsPerSecond: 5, burst: 10 };

export type Reservation = { ok: true } | { ok: false; waitMs: number };

export class TokenBucket {
  private tokens: number;
  private last: number;
  private pausedUntil = 0;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly clock: Clock,
  ) {
    if (!(ratePerSecond > 0) || !(burst >= 1)) throw new RangeError("rate must be > 0 and burst >= 1");
    this.tokens = burst;
    this.last = clock.now().getTime();
  }

  static fromSpec(rateLimit: IntegrationSpec["rateLimit"], clock: Clock): TokenBucket {
    return new TokenBucket(rateLimit?.requestsPerSecond ?? DEFAULT_RATE.requestsPerSecond, rateLimit?.burst ?? DEFAULT_RATE.burst, clock);
  }

  /** Takes one token if available; otherwise says how long until one will be. */
  tryTake(): Reservation {
    const now = this.refill();
    if (now < this.pausedUntil) return { ok: false, waitMs: this.pausedUntil - now };
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, waitMs: Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000) };
  }

  /** Honour a Retry-After: nothing passes until then; then one request may go, and the rate resumes. */
  pauseFor(ms: number): void {
    const now = this.refill();
    this.pausedUntil = Math.max(this.pausedUntil, now + Math.max(0, ms));
    this.tokens = Math.min(this.tokens, 1);
  }

  available(): number {
    this.refill();
    return Math.floor(this.tokens);
  }

  private refill(): number {
    const now = this.clock.now().getTime();
    // After a pause, tokens accrue only from its end (no burst of saved-up tokens at the instant it lifts).
    const from = Math.max(this.last, Math.min(now, this.pausedUntil));
    if (now > from) this.tokens = Math.min(this.burst, this.tokens + ((now - from) / 1000) * this.ratePerSecond);
    this.last = Math.max(this.last, now);
    return now;
  }
}
