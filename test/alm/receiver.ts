// A generic webhook receiver on 127.0.0.1: records every request exactly as received (raw bytes and
// headers) so tests can feed ALM deliveries to the inbound verifiers, and decides its answer with an
// optional `respond` function (e.g. verify the FixOps signature and answer 401 on failure).
import http, { type IncomingHttpHeaders } from "node:http";
import type { Socket } from "node:net";

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
}

export class WebhookReceiver {
  readonly received: Received[] = [];
  url = "";
  private server: http.Server | undefined;
  private readonly sockets = new Set<Socket>();
  private waiters: { n: number; resolve: () => void }[] = [];

  constructor(private readonly respond: (r: Received) => number = () => 204) {}

  async start(): Promise<this> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const r: Received = { method: req.method ?? "", path: req.url ?? "/", headers: req.headers, rawBody: Buffer.concat(chunks) };
        this.received.push(r);
        res.writeHead(this.respond(r)).end();
        this.waiters = this.waiters.filter((w) => (this.received.length >= w.n ? (w.resolve(), false) : true));
      });
    });
    server.on("connection", (s: Socket) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const addr = server.address();
    if (!addr || typeof addr === "string") throw new Error("no address");
    this.url = `http://127.0.0.1:${addr.port}/hooks`;
    this.server = server;
    return this;
  }

  /** Resolves once `n` requests in total have arrived (or rejects after `timeoutMs`). */
  waitFor(n: number, timeoutMs = 2_000): Promise<void> {
    if (this.received.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`only ${this.received.length} of ${n} webhooks arrived`)), timeoutMs);
      this.waiters.push({ n, resolve: () => (clearTimeout(t), resolve()) });
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
