// /healthz (process alive), /readyz (caches synced and dependencies reachable), /metrics.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface ReadinessCheck {
  name: string;
  check(): boolean | Promise<boolean>;
}

export class HealthServer {
  private server: Server | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly readiness: ReadinessCheck[],
    private readonly liveness: ReadinessCheck[] = [],
  ) {}

  private async run(checks: ReadinessCheck[]): Promise<{ ok: boolean; body: string }> {
    const lines: string[] = [];
    let ok = true;
    for (const c of checks) {
      let pass = false;
      try {
        pass = await c.check();
      } catch {
        pass = false;
      }
      ok &&= pass;
      lines.push(`[${pass ? "+" : "-"}]${c.name} ${pass ? "ok" : "failed"}`);
    }
    return { ok, body: `${lines.join("\n")}\n${ok ? "ok" : "not ready"}\n` };
  }

  async listen(port: number, host: string): Promise<number> {
    this.server = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      const send = (code: number, body: string, type = "text/plain; charset=utf-8") => {
        res.writeHead(code, { "content-type": type });
        res.end(body);
      };
      if (req.method !== "GET") return send(405, "method not allowed\n");
      if (path === "/metrics") {
        this.registry.metrics().then((m) => send(200, m, this.registry.contentType), (e: unknown) => send(500, String(e)));
      } else if (path === "/healthz" || path === "/readyz") {
        this.run(path === "/healthz" ? this.liveness : this.readiness).then(({ ok, body }) => send(ok ? 200 : 503, body));
      } else send(404, "not found\n");
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(port, host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server!.close(() => r()));
  }
}
