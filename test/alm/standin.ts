// Base for the ALM stand-ins: a node:http server on 127.0.0.1 (port 0) with a tiny router, per-route
// request counters, a programmable fault plan and an outgoing-webhook sender. Each ALM subclass
// implements the endpoints the connectors use, with that ALM's auth, bodies and status codes.
import https from "node:https";
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { seededRandom } from "../support/seeded-random.js";

export interface StandInRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  params: Record<string, string>;
  /** Route template, e.g. "POST /rest/api/3/issue". */
  route: string;
  /** Parsed JSON body, or undefined when absent or not JSON. */
  json: unknown;
}

export interface StandInResponse {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON; strings as-is. */
  body?: unknown;
}

export type Handler = (req: StandInRequest) => StandInResponse | Promise<StandInResponse>;

export type Fault =
  /** Answer with this status (e.g. 429 + Retry-After, 500, 503) instead of handling the request. */
  | { kind: "status"; status: number; headers?: Record<string, string>; body?: unknown }
  /** Never answer; the client must time out. */
  | { kind: "hang" }
  /** Send 200 headers and part of a body, then stall; the client's body timeout must fire. */
  | { kind: "stall-body" }
  /** Destroy the connection before handling the request. */
  | { kind: "reset" }
  /** Handle the request (e.g. create the ticket), then destroy the connection instead of answering. */
  | { kind: "lose-response" };

export interface FaultMatch {
  method?: string;
  /** Route template as used by counters, e.g. "POST /rest/api/3/issue". */
  route?: string;
}

interface Rule {
  fault: Fault;
  remaining: number;
  match: FaultMatch | undefined;
}

export { seededRandom };

export class FaultPlan {
  private rules: Rule[] = [];
  private random: { rate: number; rng: () => number; faults: Fault[]; match: FaultMatch | undefined } | undefined;
  /** How many faults were injected, by kind. */
  readonly injected: Record<Fault["kind"], number> = { status: 0, hang: 0, "stall-body": 0, reset: 0, "lose-response": 0 };

  /** The next `times` requests matching `match` get `fault`. Rules apply in the order added. */
  next(times: number, fault: Fault, match?: FaultMatch): this {
    this.rules.push({ fault, remaining: times, match });
    return this;
  }

  /** Shorthand: next `times` matching requests answer 429 with this Retry-After value. */
  rateLimit(times: number, retryAfter: string, match?: FaultMatch, body?: unknown): this {
    return this.next(times, { kind: "status", status: 429, headers: { "retry-after": retryAfter }, body }, match);
  }

  /** Each matching request fails with probability `rate`, picking a fault from `faults` (seeded). */
  randomFailures(opts: { rate: number; seed: number; faults: Fault[]; match?: FaultMatch }): this {
    this.random = { rate: opts.rate, rng: seededRandom(opts.seed), faults: opts.faults, match: opts.match };
    return this;
  }

  clear(): void {
    this.rules = [];
    this.random = undefined;
  }

  /** Consumes and returns the fault for this request, if any. */
  take(method: string, route: string): Fault | undefined {
    const matches = (m: FaultMatch | undefined) => !m || ((!m.method || m.method === method) && (!m.route || m.route === route));
    const rule = this.rules.find((r) => r.remaining > 0 && matches(r.match));
    if (rule) {
      rule.remaining--;
      this.rules = this.rules.filter((r) => r.remaining > 0);
      this.injected[rule.fault.kind]++;
      return rule.fault;
    }
    if (this.random && matches(this.random.match) && this.random.rng() < this.random.rate) {
      const f = this.random.faults[Math.floor(this.random.rng() * this.random.faults.length)];
      if (f) {
        this.injected[f.kind]++;
        return f;
      }
    }
    return undefined;
  }
}

export interface WebhookSubscription {
  /** Must point at 127.0.0.1 (tests never send traffic elsewhere). */
  url: string;
  /** Shared secret / token, used as each ALM uses it. */
  secret?: string;
  /** Basic-auth credentials (Azure DevOps, ServiceNow). */
  basic?: { username: string; password: string };
  /** Extra header (ServiceNow shared-secret mode). */
  header?: { name: string; value: string };
  /** CA certificate (PEM) trusted for an https:// url (the operator's webhook server). */
  ca?: string;
}

export interface Delivery {
  url: string;
  headers: Record<string, string>;
  body: string;
  status?: number;
  error?: string;
}

export interface OutgoingWebhook {
  headers: Record<string, string>;
  body: string;
}

type RouteDef = { method: string; pattern: string; regex: RegExp; keys: string[]; handler: Handler };

export abstract class StandIn {
  private server: http.Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly routes: RouteDef[] = [];
  private readonly pending = new Set<Promise<void>>();
  readonly faults = new FaultPlan();
  /** Requests received, by route template ("POST /rest/api/3/issue"), including faulted ones. */
  readonly requestsByRoute = new Map<string, number>();
  /** The most recent requests (route and headers), newest last; bounded. */
  readonly recent: { route: string; headers: IncomingHttpHeaders }[] = [];
  readonly subscriptions: WebhookSubscription[] = [];
  readonly deliveries: Delivery[] = [];
  baseUrl = "";

  protected abstract readonly name: string;

  protected route(method: string, pattern: string, handler: Handler): void {
    const keys: string[] = [];
    const regex = new RegExp(
      "^" +
        pattern
          .split("/")
          .map((seg) => {
            if (seg.startsWith(":")) {
              keys.push(seg.slice(1));
              return "([^/]+)";
            }
            return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
          })
          .join("/") +
        "$",
    );
    this.routes.push({ method, pattern, regex, keys, handler });
  }

  async start(): Promise<this> {
    const server = http.createServer((req, res) => void this.dispatch(req, res));
    server.on("connection", (s: Socket) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    this.server = server;
    const addr = server.address();
    if (!addr || typeof addr === "string") throw new Error("no address");
    this.baseUrl = `http://127.0.0.1:${addr.port}`;
    return this;
  }

  async close(): Promise<void> {
    await this.flushWebhooks();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  requests(route?: string): number {
    if (route) return this.requestsByRoute.get(route) ?? 0;
    let n = 0;
    for (const v of this.requestsByRoute.values()) n += v;
    return n;
  }

  subscribe(sub: WebhookSubscription): void {
    const u = new URL(sub.url);
    if (u.hostname !== "127.0.0.1") throw new Error("stand-in webhooks may only target 127.0.0.1");
    this.subscriptions.push(sub);
  }

  /** Waits until every outgoing webhook sent so far has been answered (or failed). */
  async flushWebhooks(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  /** Each ALM signs its deliveries its own way. */
  protected abstract signDelivery(sub: WebhookSubscription, body: string, headers: Record<string, string>): Record<string, string>;

  /** Sends `payload` to every subscription, signed as the real system signs it. */
  protected emitWebhook(payload: unknown, headers: Record<string, string>): void {
    const body = JSON.stringify(payload);
    for (const sub of this.subscriptions) {
      const all = { "content-type": "application/json", ...headers, ...this.signDelivery(sub, body, headers) };
      const delivery: Delivery = { url: sub.url, headers: all, body };
      this.deliveries.push(delivery);
      const p = post(sub.url, all, body, sub.ca).then(
        (status) => void (delivery.status = status),
        (err: unknown) => void (delivery.error = String(err)),
      );
      this.pending.add(p);
      void p.finally(() => this.pending.delete(p));
    }
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks);
    const url = new URL(req.url ?? "/", "http://stand-in");
    const method = req.method ?? "GET";
    // Matched still encoded, so an encoded "/" (GitLab's group%2Fproject) stays inside one segment.
    const path = url.pathname;
    let def: RouteDef | undefined;
    let match: RegExpExecArray | null = null;
    for (const r of this.routes) {
      if (r.method !== method) continue;
      match = r.regex.exec(path);
      if (match) {
        def = r;
        break;
      }
    }
    const route = def ? `${method} ${def.pattern}` : `${method} (unrouted)`;
    this.requestsByRoute.set(route, (this.requestsByRoute.get(route) ?? 0) + 1);
    this.recent.push({ route, headers: req.headers });
    if (this.recent.length > 200) this.recent.shift();
    const fault = this.faults.take(method, route);
    if (fault?.kind === "hang") return; // socket destroyed by the client's timeout or by close()
    if (fault?.kind === "stall-body") {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"partial":');
      return;
    }
    if (fault?.kind === "reset") {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === "status") {
      send(res, { status: fault.status, headers: fault.headers, body: fault.body ?? this.faultBody(fault.status) });
      return;
    }
    let out: StandInResponse;
    if (!def || !match) {
      out = this.notFoundRoute(method, path);
    } else {
      const params: Record<string, string> = {};
      def.keys.forEach((k, i) => (params[k] = decodeURIComponent(match![i + 1]!)));
      let json: unknown;
      try {
        json = rawBody.length ? JSON.parse(rawBody.toString("utf8")) : undefined;
      } catch {
        json = undefined;
      }
      try {
        out = await def.handler({ method, path, query: url.searchParams, headers: req.headers, rawBody, params, route, json });
      } catch (err) {
        out = { status: 500, body: { message: `stand-in ${this.name} handler failed: ${String(err)}` } };
      }
    }
    if (fault?.kind === "lose-response") {
      // The work is done; the client never learns it.
      req.socket.destroy();
      return;
    }
    send(res, out);
  }

  /** Body used for injected status faults; subclasses give their ALM's error shape. */
  protected faultBody(status: number): unknown {
    return { message: `injected ${status}` };
  }

  protected notFoundRoute(method: string, path: string): StandInResponse {
    return { status: 404, body: { message: `no route ${method} ${path}` } };
  }
}

function send(res: ServerResponse, out: StandInResponse): void {
  const headers: Record<string, string> = { ...out.headers };
  let payload: string | undefined;
  if (out.body !== undefined) {
    if (typeof out.body === "string") {
      payload = out.body;
      headers["content-type"] ??= "text/plain; charset=utf-8";
    } else {
      payload = JSON.stringify(out.body);
      headers["content-type"] ??= "application/json;charset=UTF-8";
    }
  }
  res.writeHead(out.status, headers);
  res.end(payload);
}

/** POSTs to a loopback receiver with node:http(s) (independent of the connectors' undici code). */
function post(url: string, headers: Record<string, string>, body: string, ca?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const options = { method: "POST", headers: { ...headers, "content-length": String(Buffer.byteLength(body)) } };
    const send = url.startsWith("https:") ? (cb: (res: http.IncomingMessage) => void) => https.request(url, { ...options, ...(ca ? { ca } : {}) }, cb) : (cb: (res: http.IncomingMessage) => void) => http.request(url, options, cb);
    const req = send((res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.setTimeout(5_000, () => req.destroy(new Error("webhook delivery timed out")));
    req.on("error", reject);
    req.end(body);
  });
}

export function parseBasic(headers: IncomingHttpHeaders): { user: string; secret: string } | undefined {
  const h = headers.authorization;
  if (!h || !h.startsWith("Basic ")) return undefined;
  const decoded = Buffer.from(h.slice(6), "base64").toString("utf8");
  const i = decoded.indexOf(":");
  return i < 0 ? undefined : { user: decoded.slice(0, i), secret: decoded.slice(i + 1) };
}

export function bearer(headers: IncomingHttpHeaders): string | undefined {
  const h = headers.authorization;
  return h?.startsWith("Bearer ") ? h.slice(7) : undefined;
}

let counter = 0;
/** Deterministic-enough unique ids for stand-in records. */
export function nextId(): number {
  return ++counter;
}

export function isoNow(): string {
  return new Date().toISOString();
}
