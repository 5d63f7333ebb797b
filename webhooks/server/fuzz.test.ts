// Thousands of malformed or hostile AdmissionReview bodies over real HTTPS on loopback: every answer
// must be a 4xx, the server must keep running and answer a valid review afterwards, and memory must
// stay bounded. Bodies come from a seeded generator, so a failure reproduces.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Agent } from "node:https";
import type { AddressInfo } from "node:net";
import { Registry } from "prom-client";
import { admissionReview, podSpec, verdict, workloadObject } from "../admission/test-builders.js";
import type { AdmissionDecider, AdmissionReviewResponse } from "../admission/types.js";
import { createWebhookServer, type WebhookServer } from "./server.js";
import { loopbackTls, send, type LoopbackTls } from "./test-client.js";
import { buildFuzzCases, validReview } from "./test-fuzz-cases.js";
import { collectGarbage } from "../../test/support/gc.js";

const TOTAL = 3_000;
const CONCURRENCY = 16;
const MAX_BODY = 1024 * 1024;

describe("webhook server fuzz", () => {
  let tls: LoopbackTls;
  let server: WebhookServer;
  let addr: AddressInfo;
  const decider: AdmissionDecider = { ready: () => true, decide: () => ({ gates: [verdict({ outcome: "BLOCK" })] }) };

  beforeAll(async () => {
    tls = await loopbackTls();
    server = createWebhookServer({
      tls: { cert: tls.serving.certPem, key: tls.serving.keyPem },
      host: "127.0.0.1",
      port: 0,
      decider,
      operatorNamespace: "fixops-system",
      clock: { now: () => new Date("2026-03-01T12:00:00Z") },
      registry: new Registry(),
      maxBodyBytes: MAX_BODY,
    });
    addr = await server.listen();
  });

  afterAll(async () => {
    await server.close(100);
  });

  it(`answers ${TOTAL} hostile bodies with 4xx only, keeps serving, and keeps memory bounded`, async () => {
    const cases = buildFuzzCases(20260301, TOTAL, MAX_BODY);
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const heap = () => {
      collectGarbage();
      return process.memoryUsage();
    };

    // Warm up (TLS, JIT) before taking the baseline.
    await send(addr.port, { path: "/validate/workloads", body: JSON.stringify(validReview()), ca: tls.ca.certPem, agent });
    const before = heap();

    const statuses = new Map<string, Map<number, number>>();
    const errors: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const c = cases[next++]!;
        try {
          const res = await send(addr.port, {
            path: "/validate/workloads",
            body: c.body,
            ca: tls.ca.certPem,
            agent,
            ...(c.method ? { method: c.method } : {}),
            ...(c.headers ? { headers: c.headers } : {}),
            ...(c.chunked ? { chunked: true } : {}),
          });
          const byKind = statuses.get(c.kind) ?? new Map<number, number>();
          byKind.set(res.status, (byKind.get(res.status) ?? 0) + 1);
          statuses.set(c.kind, byKind);
        } catch (err) {
          errors.push(`${c.kind}: ${(err as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    agent.destroy();

    expect(errors).toEqual([]);
    const non4xx = [...statuses].flatMap(([kind, m]) => [...m].filter(([s]) => s < 400 || s >= 500).map(([s, n]) => `${kind}: ${n}× ${s}`));
    expect(non4xx).toEqual([]);
    const answered = [...statuses.values()].reduce((n, m) => n + [...m.values()].reduce((a, b) => a + b, 0), 0);
    expect(answered).toBe(TOTAL);
    // Every category was exercised, including oversized bodies answered with 413.
    expect(statuses.get("oversized")?.get(413)).toBe(TOTAL / 100);
    expect(statuses.size).toBeGreaterThanOrEqual(12);

    // No prototype was polluted by the hostile keys.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();

    // Still serving: a valid review gets a real answer.
    const ok = await send(addr.port, { path: "/validate/workloads", body: JSON.stringify(admissionReview("Pod", workloadObject("Pod", "p", podSpec([{ name: "a", image: "a:1" }])), { uid: "after-fuzz" })), ca: tls.ca.certPem });
    expect(ok.status).toBe(200);
    expect((ok.json() as AdmissionReviewResponse).response).toMatchObject({ uid: "after-fuzz", allowed: false });

    const after = heap();
    // Generous bounds: about 60 MB of bodies went through; a leak of request buffers would exceed them.
    expect(after.heapUsed - before.heapUsed).toBeLessThan(100 * 1024 * 1024);
    expect(after.rss - before.rss).toBeLessThan(400 * 1024 * 1024);
  }, 120_000);
});
