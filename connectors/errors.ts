// Typed connector errors. The outbox worker and the Integration controller decide retry, backoff and
// condition reasons from the class alone; nothing classifies by matching message text.
// Messages name the provider, the route template and the ALM's own error text — never credentials,
// never full URLs (a Slack or webhook URL is itself a secret).

export type Provider = "jira" | "servicenow" | "gitlab" | "github" | "azuredevops" | "slack" | "confluence" | "webhook";

export interface ConnectorErrorInit {
  provider: Provider;
  /** Route template, e.g. "POST /rest/api/3/issue"; never the concrete URL. */
  route?: string;
  status?: number;
  /** Error text the ALM returned (already redacted and truncated). */
  almMessage?: string;
  cause?: unknown;
}

export abstract class ConnectorError extends Error {
  abstract readonly retryable: boolean;
  readonly provider: Provider;
  readonly route: string | undefined;
  readonly status: number | undefined;
  readonly almMessage: string | undefined;

  constructor(summary: string, init: ConnectorErrorInit) {
    const where = init.route ? ` ${init.route}` : "";
    const status = init.status !== undefined ? `: HTTP ${init.status}` : "";
    const alm = init.almMessage ? `: ${init.almMessage}` : "";
    super(`${init.provider}${where}${status}: ${summary}${alm}`, init.cause !== undefined ? { cause: init.cause } : undefined);
    this.provider = init.provider;
    this.route = init.route;
    this.status = init.status;
    this.almMessage = init.almMessage;
  }
}

/** 429, or 503 with Retry-After: wait `retryAfterMs`, then try again. */
export class RateLimitedError extends ConnectorError {
  override readonly name = "RateLimitedError";
  readonly retryable = true;
  constructor(
    init: ConnectorErrorInit,
    readonly retryAfterMs: number,
    /** False when the ALM gave no hint and `retryAfterMs` is our default. */
    readonly hinted: boolean,
  ) {
    super(`rate limited, retry after ${retryAfterMs} ms${hinted ? "" : " (no Retry-After; default)"}`, init);
  }
}

/** Credentials rejected (401/403). Retrying with the same Secret will not help. */
export class AuthError extends ConnectorError {
  override readonly name = "AuthError";
  readonly retryable = false;
  constructor(init: ConnectorErrorInit) {
    super(init.status === 403 ? "forbidden" : "credentials rejected", init);
  }
}

/** The project/repository/table or record does not exist (404). */
export class NotFoundError extends ConnectorError {
  override readonly name = "NotFoundError";
  readonly retryable = false;
  constructor(init: ConnectorErrorInit, summary = "not found") {
    super(summary, init);
  }
}

/** Will not succeed on retry: validation errors, workflow refusals, misconfiguration. */
export class TerminalError extends ConnectorError {
  override readonly name: string = "TerminalError";
  readonly retryable = false;
  constructor(init: ConnectorErrorInit, summary = "request rejected") {
    super(summary, init);
  }
}

/** The target address is forbidden by the Integration's network policy; refused before connecting. */
export class SsrfBlockedError extends TerminalError {
  override readonly name = "SsrfBlockedError";
  constructor(
    readonly host: string,
    readonly address: string,
    readonly addressClass: string,
    provider: Provider = "webhook",
  ) {
    super({ provider }, `refusing to connect to ${host} (${address}): ${addressClass} addresses are not allowed by spec.network`);
  }
}

/** 5xx, timeouts, connection resets: may well succeed later. */
export class TransientError extends ConnectorError {
  override readonly name = "TransientError";
  readonly retryable = true;
  constructor(
    init: ConnectorErrorInit,
    summary = "temporary failure",
    /** undici / Node error code when the failure was below HTTP (e.g. UND_ERR_HEADERS_TIMEOUT). */
    readonly code?: string,
  ) {
    super(code ? `${summary} (${code})` : summary, init);
  }
}

/**
 * Parse an HTTP Retry-After value: delta-seconds ("120", tolerated "1.5") or an HTTP-date
 * ("Wed, 21 Oct 2015 07:28:00 GMT"). Returns milliseconds from `now`, never negative; undefined if absent
 * or unparseable.
 */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (v === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  // Only accept something that looks like a date, so "abc" or "-5" are not mistaken for epoch times.
  if (!/[A-Za-z]{3}/.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}
