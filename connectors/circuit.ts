// Per-integration circuit breaker: after N consecutive transient failures (5xx, timeouts, resets) the ALM
// is treated as down for a cool-down, then one probe request decides whether to close again. Answers that
// prove the ALM is up (success, 4xx, auth errors) end the failure streak.
import { TransientError } from "./errors.js";
import type { Clock } from "./types.js";

export type CircuitState = "closed" | "open" | "half_open";

export type Admission = { allowed: true; probe: boolean } | { allowed: false; retryInMs: number };

export interface CircuitOptions {
  failureThreshold?: number;
  coolDownMs?: number;
}

export class CircuitBreaker {
  private readonly threshold: number;
  private readonly coolDownMs: number;
  private failures = 0;
  private openedAt = 0;
  private mode: CircuitState = "closed";
  private probeStartedAt: number | undefined;

  constructor(
    private readonly clock: Clock,
    opts: CircuitOptions = {},
  ) {
    this.threshold = opts.failureThreshold ?? 5;
    this.coolDownMs = opts.coolDownMs ?? 30_000;
    if (this.threshold < 1 || this.coolDownMs < 0) throw new RangeError("failureThreshold >= 1 and coolDownMs >= 0");
  }

  get state(): CircuitState {
    if (this.mode === "open" && this.now() - this.openedAt >= this.coolDownMs) return "half_open";
    return this.mode;
  }

  /** Ask before each call. In half-open, exactly one caller gets `probe: true`; the rest wait. */
  tryAcquire(): Admission {
    const now = this.now();
    if (this.mode === "closed") return { allowed: true, probe: false };
    if (this.mode === "open") {
      const left = this.openedAt + this.coolDownMs - now;
      if (left > 0) return { allowed: false, retryInMs: left };
      this.mode = "half_open";
    }
    // A probe whose outcome was never reported (caller crashed) is given up after another cool-down.
    if (this.probeStartedAt !== undefined && now - this.probeStartedAt < this.coolDownMs) {
      return { allowed: false, retryInMs: this.probeStartedAt + this.coolDownMs - now };
    }
    this.probeStartedAt = now;
    return { allowed: true, probe: true };
  }

  onSuccess(): void {
    this.failures = 0;
    this.mode = "closed";
    this.probeStartedAt = undefined;
  }

  /** Report a failed call; only transient failures count toward opening. */
  onFailure(err: unknown): void {
    if (!(err instanceof TransientError)) {
      // The ALM answered: it is up. (Rate limiting is handled by the token bucket, not by tripping.)
      if (this.mode === "half_open") this.onSuccess();
      else this.failures = 0;
      return;
    }
    this.failures++;
    if (this.mode === "half_open" || this.failures >= this.threshold) {
      this.mode = "open";
      this.openedAt = this.now();
      this.probeStartedAt = undefined;
    }
  }

  private now(): number {
    return this.clock.now().getTime();
  }
}
