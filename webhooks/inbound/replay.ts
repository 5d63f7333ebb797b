// Bounded replay cache for webhook delivery ids. GitHub and Jira sign no timestamp, so a captured
// delivery stays valid forever; remembering ids for a TTL stops it being replayed. Bounded in entries so
// a flood cannot grow memory: when full, the oldest id is forgotten first. Check only after the
// signature verified, or unauthenticated requests could evict real ids.
import type { Clock } from "../../connectors/types.js";

export interface ReplayCacheOptions {
  ttlMs: number;
  maxEntries: number;
  clock: Clock;
}

export class ReplayCache {
  /** key → expiry (ms). Map keeps insertion order, and with one TTL that is also expiry order. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly opts: ReplayCacheOptions) {
    if (opts.ttlMs <= 0 || opts.maxEntries < 1) throw new RangeError("ttlMs > 0 and maxEntries >= 1");
  }

  /** True the first time (scope, id) is seen within the TTL, and remembers it; false for a replay. */
  checkAndRemember(scope: string, id: string): boolean {
    const now = this.opts.clock.now().getTime();
    this.evictExpired(now);
    const key = `${scope}\u0000${id}`;
    if (this.seen.has(key)) return false;
    this.seen.set(key, now + this.opts.ttlMs);
    while (this.seen.size > this.opts.maxEntries) {
      const oldest = this.seen.keys().next().value as string;
      this.seen.delete(oldest);
    }
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  private evictExpired(now: number): void {
    for (const [key, expiry] of this.seen) {
      if (expiry > now) break;
      this.seen.delete(key);
    }
  }
}
