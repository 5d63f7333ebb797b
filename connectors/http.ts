// Every connector HTTP call goes through `HttpTransport.call`: one seam for timeouts, error
// classification, response validation and secret hygiene.
import type { Logger } from "pino";
import { request, type Dispatcher } from "undici";
import type { z } from "zod";
import {
  AuthError,
  NotFoundError,
  RateLimitedError,
  TerminalError,
  TransientError,
  parseRetryAfter,
  type ConnectorErrorInit,
  type Provider,
} from "./errors.js";
import { DEFAULT_TIMEOUTS, systemClock, type Clock, type ConnectorDeps, type Timeouts } from "./types.js";

export type Headers = Record<string, string | string[] | undefined>;

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON, or undefined when the body is empty or not JSON. */
  json: unknown;
}

export interface CallOptions {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Path (and optional query) appended to the base URL. */
  path: string;
  /** Route template for errors, logs and metrics, e.g. "POST /rest/api/3/issue". Never holds secrets. */
  route: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Defaults to application/json when a body is given. */
  contentType?: string;
  headers?: Record<string, string>;
  /** Statuses that are not errors; default any 2xx. A listed 4xx (e.g. 404 for get) is returned, not thrown. */
  accept?: number[];
}

export interface ProviderPolicy {
  provider: Provider;
  /** Pulls the ALM's own error text out of an error response. */
  errorMessage(res: HttpResponse): string | undefined;
  /** Provider-specific classification that runs before the generic one (e.g. GitHub's 403 rate limit). */
  classify?(res: HttpResponse, init: ConnectorErrorInit, now: Date): Error | undefined;
  /** Rate-limit reset hints besides Retry-After, in ms from now. */
  resetHintMs?(res: HttpResponse, now: Date): number | undefined;
}

export const TRANSIENT_CODES = new Set([
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EAI_AGAIN",
  "ENOTFOUND",
]);

export function header(headers: Headers, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export class HttpTransport {
  private readonly timeouts: Timeouts;
  private readonly clock: Clock;
  private readonly log: Logger | undefined;
  private readonly defaultRetryAfterMs: number;
  private readonly maxResponseBytes: number;

  constructor(
    private readonly baseUrl: string,
    private readonly dispatcher: Dispatcher,
    private readonly policy: ProviderPolicy,
    /** Auth and fixed headers added to every request. */
    private readonly fixedHeaders: Record<string, string>,
    /** Credential values scrubbed from any text that could reach an error message. */
    private readonly secrets: string[],
    deps: ConnectorDeps,
  ) {
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...deps.timeouts };
    this.clock = deps.clock ?? systemClock;
    this.log = deps.log;
    this.defaultRetryAfterMs = deps.defaultRetryAfterMs ?? 30_000;
    this.maxResponseBytes = deps.maxResponseBytes ?? 5 * 1024 * 1024;
    this.baseUrl = baseUrl.replace(/\/+$/, "");
  }

  get now(): Date {
    return this.clock.now();
  }

  url(path: string, query?: CallOptions["query"]): string {
    const u = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  /** Makes the call; returns the response for accepted statuses, throws a typed ConnectorError otherwise. */
  async call(opts: CallOptions): Promise<HttpResponse> {
    const init: ConnectorErrorInit = { provider: this.policy.provider, route: opts.route };
    const headers: Record<string, string> = { accept: "application/json", ...this.fixedHeaders, ...opts.headers };
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
      headers["content-type"] = opts.contentType ?? "application/json";
    }
    const started = Date.now();
    let res: HttpResponse;
    try {
      const r = await request(this.url(opts.path, opts.query), {
        method: opts.method,
        headers,
        body,
        dispatcher: this.dispatcher,
        headersTimeout: this.timeouts.headersMs,
        bodyTimeout: this.timeouts.bodyMs,
      });
      const text = await this.readBody(r.body, init);
      res = { status: r.statusCode, headers: r.headers as Headers, text, json: parseJson(text) };
    } catch (err) {
      throw this.classifyThrown(err, init);
    }
    this.log?.debug({ provider: this.policy.provider, route: opts.route, status: res.status, ms: Date.now() - started }, "alm call");
    const accepted = opts.accept ? opts.accept.includes(res.status) : res.status >= 200 && res.status < 300;
    if (accepted) return res;
    throw this.classifyResponse(res, { ...init, status: res.status });
  }

  /** `call` plus zod validation of the JSON body; a mismatch is a TerminalError naming the field. */
  async callJson<S extends z.ZodType>(opts: CallOptions, schema: S): Promise<z.infer<S>> {
    const res = await this.call(opts);
    return this.parse(res, schema, opts.route);
  }

  parse<S extends z.ZodType>(res: HttpResponse, schema: S, route: string): z.infer<S> {
    const parsed = schema.safeParse(res.json);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join(".") : "body";
    throw new TerminalError(
      { provider: this.policy.provider, route, status: res.status },
      `unexpected response (${where}: ${issue?.message ?? "invalid"})`,
    );
  }

  private async readBody(body: Dispatcher.ResponseData["body"], init: ConnectorErrorInit): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > this.maxResponseBytes) {
        body.destroy();
        throw new TerminalError(init, `response body larger than ${this.maxResponseBytes} bytes`);
      }
      chunks.push(buf);
    }
    return Buffer.concat(chunks).toString("utf8");
  }

  private classifyThrown(err: unknown, init: ConnectorErrorInit): Error {
    if (err instanceof TerminalError || err instanceof TransientError) return err; // ours, incl. SsrfBlockedError
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code === "string" && (TRANSIENT_CODES.has(code) || /^E[A-Z]+$/.test(code))) {
      return new TransientError(init, code.includes("TIMEOUT") ? "timed out" : "connection failed", code);
    }
    if (typeof code === "string" && code.startsWith("UND_ERR")) return new TransientError(init, "request failed", code);
    return err instanceof Error ? err : new Error(String(err));
  }

  private classifyResponse(res: HttpResponse, init: ConnectorErrorInit): Error {
    const now = this.clock.now();
    const almMessage = this.redact(this.policy.errorMessage(res) ?? plainText(res));
    const full: ConnectorErrorInit = { ...init, ...(almMessage ? { almMessage } : {}) };
    const special = this.policy.classify?.(res, full, now);
    if (special) return special;
    const retryAfter = parseRetryAfter(header(res.headers, "retry-after"), now);
    const s = res.status;
    if (s === 429) {
      const hint = retryAfter ?? this.policy.resetHintMs?.(res, now);
      return new RateLimitedError(full, hint ?? this.defaultRetryAfterMs, hint !== undefined);
    }
    if (s === 503 && retryAfter !== undefined) return new RateLimitedError(full, retryAfter, true);
    if (s === 401 || s === 403) return new AuthError(full);
    if (s === 404) return new NotFoundError(full);
    if (s >= 500) return new TransientError(full, "server error");
    if (s === 408) return new TransientError(full, "request timeout");
    return new TerminalError(full);
  }

  private redact(text: string | undefined): string | undefined {
    if (!text) return undefined;
    let out = text;
    for (const s of this.secrets) if (s.length >= 4) out = out.split(s).join("[REDACTED]");
    return out.length > 500 ? out.slice(0, 500) + "…" : out;
  }
}

function parseJson(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A short plain-text body (Slack answers in plain text); HTML pages are not messages. */
function plainText(res: HttpResponse): string | undefined {
  const t = res.text.trim();
  if (!t || res.json !== undefined || t.startsWith("<")) return undefined;
  return t.split("\n")[0];
}

export function basicAuth(user: string, secret: string): string {
  return "Basic " + Buffer.from(`${user}:${secret}`, "utf8").toString("base64");
}

/** Collects strings from an unknown error body: strings, arrays of strings, or `{ message }` objects. */
export function messagesOf(v: unknown): string[] {
  if (typeof v === "string") return v ? [v] : [];
  if (Array.isArray(v)) return v.flatMap(messagesOf);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (typeof o.message === "string") return [o.message];
    return Object.entries(o).flatMap(([k, val]) => messagesOf(val).map((m) => `${k}: ${m}`));
  }
  return [];
}
