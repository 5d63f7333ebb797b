// The HTTPS server for admission (and, mounted by the lead, inbound ALM webhooks). It runs on every
// replica. Requests are bounded (size, time), anything malformed is a 4xx with a message, a handler
// failure is a 500 (the API server then applies the webhook's failurePolicy), and the TLS context can
// be swapped at any time without dropping connections.
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Clock } from "../../operator/clock.js";
import { decideAdmission, type AdmissionResult, type GateAction, type GateDecision, type WorkloadRef } from "../admission/decide.js";
import { MalformedReviewError, parseAdmissionReview } from "../admission/review.js";
import type { AdmissionDecider, AdmissionReviewRequest } from "../admission/types.js";
import { validateFixOpsReview } from "../admission/validate-fixops.js";
import { WebhookMetrics, type DecisionLabel } from "./metrics.js";
import { FIXOPS_PATH, WORKLOADS_PATH } from "./paths.js";
import { HttpError, RouteTable, type HttpMethod, type Route, type RouteRequest, type RouteResponse } from "./routes.js";

export interface TlsMaterial {
  /** Serving certificate chain (PEM). */
  cert: string;
  /** Private key (PEM). */
  key: string;
}

/** A denial (enforce) or an audit-mode "would deny", for the lead to turn into a Kubernetes Event. */
export interface DenialRecord {
  kind: "denied" | "would-deny";
  workload: WorkloadRef;
  operation: "CREATE" | "UPDATE";
  username?: string;
  message: string;
  violations: GateDecision[];
  at: Date;
}

export interface WebhookServerOptions {
  tls: TlsMaterial;
  /** Default 0.0.0.0 (in cluster); tests and out-of-cluster runs use 127.0.0.1. */
  host?: string;
  /** Default 9443; 0 picks a free port. */
  port?: number;
  decider: AdmissionDecider;
  operatorNamespace: string;
  exemptNamespaces?: readonly string[];
  clock: Clock;
  registry: Registry;
  log?: Logger;
  /** Called after the response is sent; failures are logged, never answered. Not called for dry-run requests. */
  recordDenial?: (r: DenialRecord) => void | Promise<void>;
  /** Default 1 MiB (the API server's own request limit is 3 MiB; Pod specs are far smaller). */
  maxBodyBytes?: number;
  /** Whole request, including a slow body upload; default 10 s (the API server gives up after timeoutSeconds anyway). */
  requestTimeoutMs?: number;
  /** Asynchronous handlers (mounted routes); default 5 s. */
  handlerTimeoutMs?: number;
  /** Longer than the API server's idle timeout (90 s) so the client, not the server, closes idle connections. */
  keepAliveTimeoutMs?: number;
}

export { FIXOPS_PATH, WORKLOADS_PATH };

const JSON_TYPES = ["application/json"] as const;
const DEFAULT_MAX_BODY = 1024 * 1024;
const WORKLOADS_LABELS = { route: "workloads" } as const;
const FIXOPS_LABELS = { route: "fixops" } as const;
const ACTION_LABEL: Record<GateAction, DecisionLabel> = { allow: "allowed", deny: "denied", warn: "warned", audit: "audited" };

function statusBody(code: number, message: string): Buffer {
  return Buffer.from(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", code, message }));
}

function mediaType(header: string | undefined): string {
  if (!header) return "";
  const semi = header.indexOf(";");
  return (semi === -1 ? header : header.slice(0, semi)).trim().toLowerCase();
}

/**
 * The request as handlers see it. A class rather than an object literal: its getters live on the
 * prototype, so a request allocates no closures; the query and the abort signal (an AbortController
 * per request, and the DOMException of every abort, are measurable at thousands of reviews a second)
 * are built only when a handler asks for them.
 */
class IncomingRouteRequest implements RouteRequest {
  readonly method: HttpMethod;
  readonly headers: IncomingMessage["headers"];
  readonly remoteAddress: string | undefined;
  private ac: AbortController | undefined;

  constructor(
    req: IncomingMessage,
    private readonly res: ServerResponse,
    readonly params: Record<string, string>,
    readonly path: string,
    private readonly url: string,
    private readonly q: number,
    readonly body: Buffer,
  ) {
    this.method = req.method as HttpMethod;
    this.headers = req.headers;
    this.remoteAddress = req.socket.remoteAddress;
  }

  get query(): URLSearchParams {
    return new URLSearchParams(this.q === -1 ? "" : this.url.slice(this.q + 1));
  }

  get signal(): AbortSignal {
    return this.controller().signal;
  }

  abort(): void {
    this.controller().abort();
  }

  private controller(): AbortController {
    if (!this.ac) {
      const ac = new AbortController();
      const res = this.res;
      res.once("close", () => {
        if (!res.writableFinished) ac.abort();
      });
      this.ac = ac;
    }
    return this.ac;
  }
}

export class WebhookServer {
  readonly routes = new RouteTable();
  readonly metrics: WebhookMetrics;
  private readonly server: Server;
  private readonly maxBody: number;
  private readonly handlerTimeoutMs: number;

  constructor(private readonly opts: WebhookServerOptions) {
    this.metrics = new WebhookMetrics(opts.registry);
    this.maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY;
    this.handlerTimeoutMs = opts.handlerTimeoutMs ?? 5_000;
    const requestTimeout = opts.requestTimeoutMs ?? 10_000;
    this.server = createServer(
      {
        cert: opts.tls.cert,
        key: opts.tls.key,
        minVersion: "TLSv1.2",
        requestTimeout,
        headersTimeout: Math.min(10_000, requestTimeout),
        // Node checks the timeouts above only this often (default 30 s): check often enough to matter.
        connectionsCheckingInterval: Math.max(100, Math.min(1_000, requestTimeout / 4)),
      },
      (req, res) => this.onRequest(req, res),
    );
    this.server.keepAliveTimeout = opts.keepAliveTimeoutMs ?? 120_000;
    this.server.on("tlsClientError", (err) => opts.log?.debug({ err: err.message }, "TLS handshake failed"));

    this.routes.add({ method: "POST", pattern: WORKLOADS_PATH, name: "workloads", contentTypes: JSON_TYPES, handler: (r) => this.workloads(r) });
    this.routes.add({ method: "POST", pattern: FIXOPS_PATH, name: "fixops", contentTypes: JSON_TYPES, handler: (r) => this.fixops(r) });
    this.routes.add({ method: "GET", pattern: "/healthz", name: "healthz", handler: () => ({ status: 200, body: "ok" }) });
    this.routes.add({
      method: "GET",
      pattern: "/readyz",
      name: "readyz",
      handler: () => (this.opts.decider.ready() ? { status: 200, body: "ok" } : { status: 503, body: "admission index not synced yet" }),
    });
  }

  /** Mounts another route, e.g. `/hooks/:namespace/:integration`. */
  mount(route: Route): void {
    this.routes.add(route);
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.opts.port ?? 9443, this.opts.host ?? "0.0.0.0", () => {
        this.server.off("error", reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  address(): AddressInfo {
    const a = this.server.address();
    if (!a || typeof a === "string") throw new Error("webhook server is not listening");
    return a;
  }

  /** Base URL, e.g. https://127.0.0.1:9443 (for registration by URL). */
  url(): string {
    const a = this.address();
    return `https://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`;
  }

  /** New connections use the new certificate; established ones keep theirs until they close. */
  setSecureContext(tls: TlsMaterial): void {
    this.server.setSecureContext({ cert: tls.cert, key: tls.key, minVersion: "TLSv1.2" });
  }

  /** Stops accepting, lets in-flight requests finish for up to `graceMs`, then closes what is left. */
  close(graceMs = 5_000): Promise<void> {
    return new Promise((resolve) => {
      const force = setTimeout(() => this.server.closeAllConnections(), graceMs);
      force.unref();
      this.server.close(() => {
        clearTimeout(force);
        resolve();
      });
      this.server.closeIdleConnections();
    });
  }

  // ---- request pipeline ------------------------------------------------------------------------

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    const m = this.routes.match(req.method ?? "", path);
    if (!("route" in m)) {
      if (m.status === 405) res.setHeader("Allow", m.allow!.join(", "));
      const message = "message" in m ? m.message : m.status === 404 ? `no route for ${path.slice(0, 200)}` : `method ${(req.method ?? "").slice(0, 20)} not allowed`;
      this.send(res, "unmatched", m.status, statusBody(m.status, message), "application/json");
      return;
    }
    const route = m.route;
    if (route.contentTypes && !route.contentTypes.includes(mediaType(req.headers["content-type"]))) {
      this.send(res, route.name, 415, statusBody(415, `Content-Type must be ${route.contentTypes.join(" or ")}`), "application/json");
      return;
    }
    const limit = route.maxBodyBytes ?? this.maxBody;
    const declared = req.headers["content-length"];
    if (declared !== undefined && Number(declared) > limit) {
      this.send(res, route.name, 413, statusBody(413, `request body larger than ${limit} bytes`), "application/json");
      return;
    }
    readBody(req, limit, (err, body) => {
      if (!err) this.dispatch(route, m.params, path, url, q, req, res, body!);
      else if (err instanceof HttpError) this.send(res, route.name, err.status, statusBody(err.status, err.message), "application/json");
      // Otherwise the client went away mid-body: nobody to answer.
    });
  }

  private dispatch(route: Route, params: Record<string, string>, path: string, url: string, q: number, req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const request = new IncomingRouteRequest(req, res, params, path, url, q, body);
    let out: RouteResponse | Promise<RouteResponse>;
    try {
      out = route.handler(request);
    } catch (err) {
      this.fail(res, route, err);
      return;
    }
    if (!(out instanceof Promise)) {
      this.reply(res, route.name, out);
      return;
    }
    // Only asynchronous handlers need a timer; admission handlers answer synchronously.
    const ms = route.timeoutMs ?? this.handlerTimeoutMs;
    const timer = setTimeout(() => {
      request.abort();
      this.send(res, route.name, 503, statusBody(503, `handler timed out after ${ms} ms`), "application/json");
    }, ms);
    out.then(
      (r) => {
        clearTimeout(timer);
        this.reply(res, route.name, r);
      },
      (err: unknown) => {
        clearTimeout(timer);
        this.fail(res, route, err);
      },
    );
  }

  private fail(res: ServerResponse, route: Route, err: unknown): void {
    if (err instanceof HttpError) {
      this.send(res, route.name, err.status, statusBody(err.status, err.message), "application/json");
      return;
    }
    this.opts.log?.error({ err: err instanceof Error ? err.message : String(err), route: route.name }, "webhook handler failed");
    this.send(res, route.name, 500, statusBody(500, "internal error while handling the request"), "application/json");
  }

  private reply(res: ServerResponse, routeName: string, r: RouteResponse): void {
    let body: Buffer;
    let type = r.headers?.["content-type"];
    if (r.body === undefined) body = Buffer.alloc(0);
    else if (Buffer.isBuffer(r.body)) body = r.body;
    else if (typeof r.body === "string") {
      body = Buffer.from(r.body);
      type ??= "text/plain; charset=utf-8";
    } else {
      body = Buffer.from(JSON.stringify(r.body));
      type ??= "application/json";
    }
    if (r.headers) for (const [k, v] of Object.entries(r.headers)) if (k.toLowerCase() !== "content-type") res.setHeader(k, v);
    this.send(res, routeName, r.status, body, type ?? "application/json");
  }

  private send(res: ServerResponse, routeName: string, status: number, body: Buffer, type: string): void {
    if (res.headersSent || res.writableEnded || res.destroyed) return;
    res.writeHead(status, { "Content-Type": type, "Content-Length": body.length });
    res.end(body);
    this.metrics.countRequest(routeName, status);
  }

  // ---- admission handlers ----------------------------------------------------------------------

  /** Parse errors and wrong shapes are the client's fault: 400 with what is wrong. */
  private parse(body: Buffer): AdmissionReviewRequest {
    let json: unknown;
    try {
      json = JSON.parse(body.toString("utf8"));
    } catch (err) {
      throw new HttpError(400, `body is not valid JSON: ${(err as Error).message.slice(0, 200)}`);
    }
    try {
      return parseAdmissionReview(json);
    } catch (err) {
      if (err instanceof MalformedReviewError) throw new HttpError(400, `not a valid AdmissionReview: ${err.message}`);
      throw err;
    }
  }

  private workloads(req: RouteRequest): RouteResponse {
    // Deciding on a half-loaded index would treat known images as unscanned: fail the call instead,
    // so the webhook's failurePolicy decides, until /readyz is green.
    if (!this.opts.decider.ready()) throw new HttpError(503, "admission index not synced yet");
    const t0 = performance.now();
    let result: AdmissionResult;
    let review: AdmissionReviewRequest;
    try {
      review = this.parse(req.body);
      result = decideAdmission(review, this.opts.decider, {
        operatorNamespace: this.opts.operatorNamespace,
        now: this.opts.clock.now(),
        ...(this.opts.exemptNamespaces ? { exemptNamespaces: this.opts.exemptNamespaces } : {}),
      });
    } catch (err) {
      if (err instanceof MalformedReviewError) throw new HttpError(400, `not a valid AdmissionReview: ${err.message}`);
      throw err;
    }
    const body = Buffer.from(JSON.stringify(result.review));
    this.metrics.evaluationSeconds.observe(WORKLOADS_LABELS, (performance.now() - t0) / 1e3);
    this.count(result);
    if (this.opts.recordDenial && !review.request.dryRun && (result.denyMessage || result.auditMessage)) {
      // After the answer is on its way: an Event must never delay or fail admission.
      setImmediate(() => this.emitDenials(review, result));
    }
    return { status: 200, body }; // a Buffer body is sent as application/json
  }

  private fixops(req: RouteRequest): RouteResponse {
    const t0 = performance.now();
    const review = this.parse(req.body);
    const out = validateFixOpsReview(review, { now: this.opts.clock.now() });
    const body = Buffer.from(JSON.stringify(out));
    this.metrics.evaluationSeconds.observe(FIXOPS_LABELS, (performance.now() - t0) / 1e3);
    this.metrics.countReview("fixops", out.response.allowed ? "allowed" : "denied");
    return { status: 200, body }; // a Buffer body is sent as application/json
  }

  private count(result: AdmissionResult): void {
    this.metrics.countReview("workloads", !result.evaluated ? "skipped" : result.review.response.allowed ? "allowed" : "denied");
    for (const d of result.decisions) this.metrics.countDecision(d.verdict.gate, ACTION_LABEL[d.action]);
  }

  private emitDenials(review: AdmissionReviewRequest, result: AdmissionResult): void {
    const base = {
      workload: result.workload,
      operation: review.request.operation as "CREATE" | "UPDATE",
      ...(review.request.userInfo?.username ? { username: review.request.userInfo.username } : {}),
      at: this.opts.clock.now(),
    };
    const records: DenialRecord[] = [];
    if (result.denyMessage) records.push({ ...base, kind: "denied", message: result.denyMessage, violations: result.decisions.filter((d) => d.action === "deny") });
    if (result.auditMessage) records.push({ ...base, kind: "would-deny", message: result.auditMessage, violations: result.decisions.filter((d) => d.action === "audit") });
    for (const r of records) {
      try {
        Promise.resolve(this.opts.recordDenial!(r)).catch((err: unknown) => this.opts.log?.warn({ err: String(err) }, "recording an admission denial failed"));
      } catch (err) {
        this.opts.log?.warn({ err: String(err) }, "recording an admission denial failed");
      }
    }
  }
}

export function createWebhookServer(opts: WebhookServerOptions): WebhookServer {
  return new WebhookServer(opts);
}

/** Per-request state of readBody, kept on the request so that its listeners can be shared functions. */
interface BodyState {
  chunks: Buffer[];
  size: number;
  limit: number;
  settled: boolean;
  cb: (err: Error | null, body?: Buffer) => void;
}
const BODY = Symbol("fixops.body");
type ReadingRequest = IncomingMessage & { [BODY]?: BodyState };

function settleBody(req: ReadingRequest, err: Error | null, body?: Buffer): void {
  const st = req[BODY]!;
  if (st.settled) return;
  st.settled = true;
  st.cb(err, body);
}

function onBodyData(this: ReadingRequest, chunk: Buffer): void {
  const st = this[BODY]!;
  if (st.settled) return;
  st.size += chunk.length;
  if (st.size > st.limit) {
    st.chunks.length = 0;
    // The rest keeps flowing and is dropped; the server's requestTimeout bounds how long.
    settleBody(this, new HttpError(413, `request body larger than ${st.limit} bytes`));
    return;
  }
  st.chunks.push(chunk);
}

function onBodyEnd(this: ReadingRequest): void {
  const st = this[BODY]!;
  settleBody(this, null, st.chunks.length === 1 ? st.chunks[0]! : Buffer.concat(st.chunks, st.size));
}

function onBodyError(this: ReadingRequest, err: Error): void {
  settleBody(this, err);
}

function onBodyClose(this: ReadingRequest): void {
  settleBody(this, new Error("client closed the connection before the body was complete"));
}

/**
 * Reads the body up to `limit` bytes; beyond that answers 413 (via cb) and discards the rest. The
 * listeners are module-level functions (the request is `this`): nothing is allocated per request but
 * the state object.
 */
function readBody(req: IncomingMessage, limit: number, cb: (err: Error | null, body?: Buffer) => void): void {
  (req as ReadingRequest)[BODY] = { chunks: [], size: 0, limit, settled: false, cb };
  req.on("data", onBodyData);
  req.on("end", onBodyEnd);
  req.on("error", onBodyError);
  req.on("close", onBodyClose);
}
