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
import { seededRandom } from "../../test/support/seeded-random.js";

const TOTAL = 3_000;
const CONCURRENCY = 16;
const MAX_BODY = 1024 * 1024;


type Json = Record<string, unknown>;
const valid = (): Json =>
  admissionReview(
    "Deployment",
    workloadObject("Deployment", "api", podSpec([{ name: "api", image: "ghcr.io/acme/api:1" }], { initContainers: [{ name: "init", image: "busybox" }] })),
  ) as unknown as Json;
const req = (r: Json) => r.request as Json;
const obj = (r: Json) => req(r).object as Json;
const tmplSpec = (r: Json) => ((obj(r).spec as Json).template as Json).spec as Json;

interface Case {
  kind: string;
  body: string | Buffer;
  headers?: Record<string, string>;
  method?: string;
  chunked?: boolean;
}

const WRONG_VALUES: unknown[] = [42, -1, 1e308, true, false, [], [1, 2], {}, { a: 1 }, "", "x", null];

/** Each generator yields a body that is invalid by construction (never a well-formed review). */
function generators(rand: () => number): Array<() => Case> {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const text = (n: number) => Array.from({ length: n }, () => String.fromCharCode(32 + Math.floor(rand() * 95))).join("");
  const deep = (depth: number, open: string, close: string, inner = "1") => open.repeat(depth) + inner + close.repeat(depth);
  return [
    () => {
      const s = JSON.stringify(valid());
      return { kind: "truncated", body: s.slice(0, Math.floor(rand() * (s.length - 1))) };
    },
    () => {
      const r = valid();
      const field = pick(["uid", "operation", "kind", "namespace", "name", "userInfo", "dryRun", "resource"] as const);
      // What the field accepts; a drawn value that would be accepted is swapped for one that is not.
      const accepts: Record<typeof field, (v: unknown) => boolean> = {
        uid: (v) => typeof v === "string" && v !== "",
        operation: () => false,
        kind: () => false,
        namespace: (v) => v === null || typeof v === "string",
        name: (v) => v === null || typeof v === "string",
        userInfo: (v) => v === null || (typeof v === "object" && !Array.isArray(v)),
        dryRun: (v) => v === null || typeof v === "boolean",
        resource: (v) => v === null,
      };
      const drawn = pick(WRONG_VALUES);
      const ok = accepts[field](drawn) ? [7] : drawn;
      req(r)[field] = ok;
      return { kind: `wrong-type:${field}`, body: JSON.stringify(r) };
    },
    () => {
      const r = valid();
      const where = pick(["containers", "initContainers", "image", "container", "labels", "label-value", "template", "spec", "object"] as const);
      const bad = pick([42, "nginx", true, [1], { x: 1 }] as unknown[]);
      if (where === "containers" || where === "initContainers") tmplSpec(r)[where] = typeof bad === "object" && Array.isArray(bad) ? "nginx" : bad;
      else if (where === "image") (tmplSpec(r).containers as Json[])[0]!.image = typeof bad === "string" ? 42 : bad;
      else if (where === "container") (tmplSpec(r).containers as unknown[])[0] = typeof bad === "object" && !Array.isArray(bad) ? "c" : bad;
      else if (where === "labels") ((obj(r).spec as Json).template as Json).metadata = { labels: typeof bad === "object" && !Array.isArray(bad) ? "l" : bad };
      else if (where === "label-value") ((obj(r).spec as Json).template as Json).metadata = { labels: { app: typeof bad === "string" ? 1 : bad } };
      else if (where === "template") (obj(r).spec as Json).template = typeof bad === "object" && !Array.isArray(bad) ? null : bad;
      else if (where === "spec") ((obj(r).spec as Json).template as Json).spec = typeof bad === "object" && !Array.isArray(bad) ? [] : bad;
      else req(r).object = typeof bad === "object" && !Array.isArray(bad) ? "obj" : bad;
      return { kind: `bad-pod:${where}`, body: JSON.stringify(r) };
    },
    () => {
      const r = valid();
      const field = pick(["uid", "namespace", "name"] as const);
      req(r)[field] = "A".repeat(300 + Math.floor(rand() * 200_000));
      return { kind: `huge-string:${field}`, body: JSON.stringify(r) };
    },
    () => {
      const depth = 1_000 + Math.floor(rand() * 50_000);
      const variant = pick(["array-body", "object-request", "image"] as const);
      if (variant === "array-body") return { kind: "deep:array", body: deep(depth, "[", "]") };
      if (variant === "object-request") {
        return { kind: "deep:request", body: `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":${deep(depth, "[", "]")}}` };
      }
      const s = JSON.stringify(valid()).replace('"image":"ghcr.io/acme/api:1"', `"image":${deep(depth, '{"a":', "}")}`);
      return { kind: "deep:image", body: s };
    },
    () => {
      const r = valid();
      delete req(r).uid;
      return { kind: "missing-uid", body: JSON.stringify(r) };
    },
    () => {
      // Prototype-pollution keys, combined with a defect so that the review stays invalid.
      const s = JSON.stringify(valid())
        .replace('{"apiVersion"', '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"apiVersion"')
        .replace('"labels":{"app":"api"}', '"labels":{"__proto__":{"polluted":"yes"},"app":"api"}');
      const broken = pick([s.replace('"uid":', '"uidx":'), s, s.replace('"operation":"CREATE"', '"operation":"__proto__"')]);
      return { kind: "proto", body: broken };
    },
    () => ({ kind: "garbage", body: Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 4096) }, () => Math.floor(rand() * 256))) }),
    () => ({ kind: "primitive", body: pick(["null", "42", '"AdmissionReview"', "true", "[]", "{}", "NaN", "Infinity", "\uFEFF{}", "{'a':1}", '{"a":1,}', "  "]) }),
    () => {
      const r = valid();
      const v = pick([
        () => ({ ...r, apiVersion: "admission.k8s.io/v1beta1" }),
        () => ({ ...r, kind: "AdmissionReviewList" }),
        () => ({ ...r, request: undefined }),
        () => [r],
        () => ({ ...r, request: { ...req(r), operation: "CREATE", object: null } }),
        () => ({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { uid: text(8) } }),
      ])();
      return { kind: "envelope", body: JSON.stringify(v) };
    },
    () => ({ kind: "content-type", body: JSON.stringify(valid()), headers: { "content-type": pick(["text/plain", "application/x-www-form-urlencoded", "application/yaml", ""]) } }),
    () => ({ kind: "method", body: JSON.stringify(valid()), method: pick(["PUT", "DELETE", "PATCH"]) }),
  ];
}

function oversized(rand: () => number): Case {
  const body = Buffer.alloc(MAX_BODY + 1 + Math.floor(rand() * 512 * 1024), 0x7b);
  return { kind: "oversized", body, chunked: rand() < 0.5 };
}

function buildCases(seed: number): Case[] {
  const rand = seededRandom(seed);
  const gens = generators(rand);
  const cases: Case[] = [];
  for (let i = 0; i < TOTAL; i++) cases.push(i % 100 === 0 ? oversized(rand) : gens[i % gens.length]!());
  return cases;
}

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
    const cases = buildCases(20260301);
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const gc = (globalThis as { gc?: () => void }).gc;
    const heap = () => {
      gc?.();
      return process.memoryUsage();
    };

    // Warm up (TLS, JIT) before taking the baseline.
    await send(addr.port, { path: "/validate/workloads", body: JSON.stringify(valid()), ca: tls.ca.certPem, agent });
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
