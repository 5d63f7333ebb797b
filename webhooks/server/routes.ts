// A small route table: exact paths and `:param` segments (e.g. `/hooks/:namespace/:integration`),
// so the lead can mount inbound ALM webhooks next to the admission endpoints.
import type { IncomingHttpHeaders } from "node:http";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface RouteRequest {
  method: HttpMethod;
  /** Path without the query string. */
  path: string;
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Raw body bytes (bounded by the route's maxBodyBytes); kept raw so HMAC signatures can be checked. */
  body: Buffer;
  remoteAddress: string | undefined;
  /** Aborted when the client goes away or the handler times out. */
  signal: AbortSignal;
}

export interface RouteResponse {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON. */
  body?: string | Buffer | object;
}

export interface Route {
  method: HttpMethod;
  /** `/validate/workloads`, `/hooks/:namespace/:integration`. */
  pattern: string;
  /** Metrics label; bounded cardinality (never the raw path). */
  name: string;
  /** Default: the server's maxBodyBytes. */
  maxBodyBytes?: number;
  /** Accepted media types (parameters ignored); absent = any. */
  contentTypes?: readonly string[];
  /** Default: the server's handlerTimeoutMs. */
  timeoutMs?: number;
  handler(req: RouteRequest): RouteResponse | Promise<RouteResponse>;
}

/** A handler's way to answer with a status and a message (e.g. 400 for a malformed body). */
export class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface Compiled {
  route: Route;
  segments: readonly string[];
}

export type RouteMatch = { route: Route; params: Record<string, string> } | { status: 404 | 405; allow?: HttpMethod[] } | { status: 400; message: string };

function split(path: string): string[] {
  return path.split("/").filter((s) => s.length > 0);
}

export class RouteTable {
  private readonly routes: Compiled[] = [];
  /** `METHOD path` → route, for patterns without parameters: the admission endpoints match with one lookup. */
  private readonly literal = new Map<string, Route>();

  add(route: Route): void {
    const segments = split(route.pattern);
    if (!route.pattern.startsWith("/")) throw new Error(`route pattern must start with /: ${route.pattern}`);
    for (const c of this.routes) {
      if (c.route.method === route.method && c.segments.length === segments.length && c.segments.every((s, i) => s === segments[i] || (s.startsWith(":") && segments[i]!.startsWith(":")))) {
        throw new Error(`route ${route.method} ${route.pattern} conflicts with ${c.route.pattern}`);
      }
    }
    this.routes.push({ route, segments });
    if (!segments.some((seg) => seg.startsWith(":"))) this.literal.set(`${route.method} ${route.pattern}`, route);
  }

  list(): readonly Route[] {
    return this.routes.map((c) => c.route);
  }

  match(method: string, path: string): RouteMatch {
    // Literal segments win over parameters, so a path spelled exactly as a literal pattern is that route.
    const exact = this.literal.get(`${method} ${path}`);
    if (exact) return { route: exact, params: Object.create(null) as Record<string, string> };
    const parts = split(path);
    const allowed: HttpMethod[] = [];
    // Literal segments win over parameters, whatever the order routes were added in.
    let best: { route: Route; params: Record<string, string>; literals: number } | null = null;
    for (const c of this.routes) {
      if (c.segments.length !== parts.length) continue;
      const params: Record<string, string> = Object.create(null) as Record<string, string>;
      let literals = 0;
      let ok = true;
      for (let i = 0; i < parts.length; i++) {
        const seg = c.segments[i]!;
        if (seg.startsWith(":")) {
          let value: string;
          try {
            value = decodeURIComponent(parts[i]!);
          } catch {
            return { status: 400, message: `malformed percent-encoding in path segment ${i + 1}` };
          }
          params[seg.slice(1)] = value;
        } else if (seg === parts[i]) literals++;
        else {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      if (c.route.method !== method) {
        allowed.push(c.route.method);
        continue;
      }
      if (!best || literals > best.literals) best = { route: c.route, params, literals };
    }
    if (best) return { route: best.route, params: best.params };
    return allowed.length > 0 ? { status: 405, allow: allowed } : { status: 404 };
  }
}
