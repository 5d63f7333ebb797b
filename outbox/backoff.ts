// Pure: retry delays for outbox rows. Exponential with "equal jitter" (half fixed, half random), so
// rows that failed together do not come back together, and a delay never collapses to zero.
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 5 * 60_000 };

/** Delay before attempt `attempt + 1`, after `attempt` (≥ 1) failed; `random` in [0, 1). */
export function backoffMs(attempt: number, policy: BackoffPolicy, random: () => number): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be an integer >= 1, got ${attempt}`);
  if (!(policy.baseMs > 0) || policy.maxMs < policy.baseMs) throw new RangeError("backoff needs baseMs > 0 and maxMs >= baseMs");
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt - 1, 30));
  const half = ceiling / 2;
  return Math.round(half + random() * half);
}

/** A Retry-After the ALM gave wins over our own backoff, but is capped (a broken header must not park a row for days). */
export function retryDelayMs(attempt: number, policy: BackoffPolicy, random: () => number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(0, retryAfterMs), policy.maxMs);
  return backoffMs(attempt, policy, random);
}
