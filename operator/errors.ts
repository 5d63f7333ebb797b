// Typed errors decide retry behaviour and condition reasons; nothing classifies by message text.

/** Will not succeed by retrying: surface it in a condition and stop retrying until the object changes. */
export class TerminalError extends Error {
  override readonly name = "TerminalError";
  constructor(
    message: string,
    readonly reason = "Invalid",
  ) {
    super(message);
  }
}

/** Optimistic-concurrency conflict (HTTP 409): re-read and retry soon. */
export class ConflictError extends Error {
  override readonly name = "ConflictError";
}

/** Upstream asked us to slow down. */
export class RateLimitedError extends Error {
  override readonly name = "RateLimitedError";
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

/** Credentials rejected (401/403). */
export class AuthError extends Error {
  override readonly name = "AuthError";
}

/** A Kubernetes API error with its HTTP status and Status.reason. */
export class KubeApiError extends Error {
  override readonly name = "KubeApiError";
  constructor(
    message: string,
    readonly status: number,
    readonly reason?: string,
  ) {
    super(message);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
