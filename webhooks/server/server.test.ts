import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Agent } from "node:https";
import type { AddressInfo } from "node:net";
import { Registry } from "prom-client";
import { admissionReview, podSpec, verdict, workloadObject } from "../admission/test-builders.js";
import type { AdmissionDecider, AdmissionReviewResponse, GateImageVerdict } from "../admission/types.js";
import { histogramQuantile } from "./metrics.js";
import { HttpError } from "./routes.js";
import { createWebhookServer, type DenialRecord, type WebhookServer } from "./server.js";
import { loopbackTls, send, type LoopbackTls } from "./test-client.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const blocked = verdict({ outcome: "BLOCK", topFindings: [{ id: "CVE-2024-3094", severity: "CRITICAL", kev: true }], scanResult: "shop/api-scan" });

/** A decider driven by the test: a table of verdicts, a ready flag, optionally a failure. */
function testDecider() {
  const state = { ready: false, table: {} as Record<string, GateImageVerdict[]>, fail: false };
  const decider: AdmissionDecider = {
    ready: () => state.ready,
    decide: ({ image }) => {
      if (state.fail) throw new Error("engine exploded");
      return { gates: state.table[image] ?? [] };
    },
  };
  return { state, decider };
}

const deploymentReview = (image: string, opts: Parameters<typeof admissionReview>[2] = {}) =>
  JSON.stringify(admissionReview("Deployment", workloadObject("Deployment", "api", podSpec([{ name: "api", image }])), opts));

describe("WebhookServer", () => {
  let tls: LoopbackTls;
  let server: WebhookServer;
  let addr: AddressInfo;
  let registry: Registry;
  const denials: DenialRecord[] = [];
  let recordFails: "no" | "throw" | "reject" = "no";
  const { state, decider } = testDecider();
  const post = (path: string, body: string | Buffer, extra: Partial<Parameters<typeof send>[1]> = {}) => send(addr.port, { path, body, ca: tls.ca.certPem, ...extra });

  beforeAll(async () => {
    tls = await loopbackTls();
    registry = new Registry();
    server = createWebhookServer({
      tls: { cert: tls.serving.certPem, key: tls.serving.keyPem },
      host: "127.0.0.1",
      port: 0,
      decider,
      operatorNamespace: "fixops-system",
      clock: { now: () => NOW },
      registry,
      recordDenial: (r) => {
        if (recordFails === "throw") throw new Error("event API down");
        if (recordFails === "reject") return Promise.reject(new Error("event API down"));
        denials.push(r);
      },
      requestTimeoutMs: 800,
      handlerTimeoutMs: 300,
    });
    server.mount({
      method: "POST",
      pattern: "/hooks/:namespace/:integration",
      name: "hooks",
      maxBodyBytes: 100,
      handler: (r) => {
        if (r.params.integration === "bad") throw new HttpError(401, "signature mismatch");
        return { status: 202, body: { namespace: r.params.namespace, integration: r.params.integration, bytes: r.body.length, sig: r.headers["x-signature"] } };
      },
    });
    server.mount({ method: "POST", pattern: "/hooks/slow", name: "slow", handler: (r) =>
        new Promise((resolve) => {
          const t = setTimeout(() => resolve({ status: 200 }), 2_000);
          r.signal.addEventListener("abort", () => clearTimeout(t));
        }),
    });
    addr = await server.listen();
  });

  afterAll(async () => {
    await server.close(100);
  });

  it("answers /healthz always and /readyz only once the decider is ready; refuses reviews until then", async () => {
    state.ready = false;
    expect((await send(addr.port, { method: "GET", path: "/healthz", ca: tls.ca.certPem })).status).toBe(200);
    expect((await send(addr.port, { method: "GET", path: "/readyz", ca: tls.ca.certPem })).status).toBe(503);
    const early = await post("/validate/workloads", deploymentReview("img:1"));
    expect(early.status).toBe(503);
    state.ready = true;
    expect((await send(addr.port, { method: "GET", path: "/readyz", ca: tls.ca.certPem })).status).toBe(200);
  });

  it("denies a BLOCKed image, echoes the uid, counts it and records a denial for an Event", async () => {
    state.ready = true;
    state.table = { "ghcr.io/acme/api:1": [blocked] };
    denials.length = 0;
    // The API server appends ?timeout=…; the route must still match.
    const res = await post("/validate/workloads?timeout=3s", deploymentReview("ghcr.io/acme/api:1", { uid: "uid-deny" }));
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json");
    const review = res.json() as AdmissionReviewResponse;
    expect(review.apiVersion).toBe("admission.k8s.io/v1");
    expect(review.response.uid).toBe("uid-deny");
    expect(review.response.allowed).toBe(false);
    expect(review.response.status?.code).toBe(403);
    expect(review.response.status?.message).toContain("CVE-2024-3094 CRITICAL KEV");

    await new Promise((r) => setImmediate(r));
    expect(denials).toHaveLength(1);
    expect(denials[0]).toMatchObject({ kind: "denied", operation: "CREATE", username: "alice", workload: { kind: "Deployment", namespace: "shop", name: "api" } });
    expect(denials[0]!.violations.map((v) => v.verdict.gate)).toEqual(["shop/baseline"]);

    const text = await registry.metrics();
    expect(text).toMatch(/fixops_admission_decisions_total\{gate="shop\/baseline",decision="denied"\} 1/);
    expect(text).toMatch(/fixops_admission_reviews_total\{route="workloads",result="denied"\} 1/);
    expect(text).toMatch(/fixops_webhook_requests_total\{route="workloads",code="200"\} \d+/);
    expect(await histogramQuantile(server.metrics.evaluationSeconds, 0.99, { route: "workloads" })).toBeGreaterThan(0);
  });

  it("records audit-mode 'would deny' results, but nothing for dry-run requests", async () => {
    state.ready = true;
    state.table = { "img:audit": [{ ...blocked, mode: "audit" }] };
    denials.length = 0;
    const res = await post("/validate/workloads", deploymentReview("img:audit"));
    expect((res.json() as AdmissionReviewResponse).response).toMatchObject({ allowed: true, auditAnnotations: { "would-deny": expect.stringContaining("would deny") } });
    const dry = JSON.parse(deploymentReview("img:audit")) as { request: { dryRun: boolean } };
    dry.request.dryRun = true;
    await post("/validate/workloads", JSON.stringify(dry));
    await new Promise((r) => setImmediate(r));
    expect(denials.map((d) => d.kind)).toEqual(["would-deny"]);
  });

  it.each([
    ["malformed JSON", "{\"apiVersion\":", 400, "body is not valid JSON"],
    ["not an AdmissionReview", JSON.stringify({ kind: "Pod" }), 400, 'kind must be "AdmissionReview"'],
    ["a review with a broken pod spec", JSON.stringify(admissionReview("Pod", { spec: { containers: "nginx" } })), 400, "request.object.spec.containers must be a list"],
    ["an empty body", "", 400, "body is not valid JSON"],
  ])("answers %s with 400 and a clear message", async (_why, body, status, message) => {
    state.ready = true;
    const res = await post("/validate/workloads", body);
    expect(res.status).toBe(status);
    expect((res.json() as { message: string }).message).toContain(message);
  });

  it.each([
    ["a wrong Content-Type", 415, "/validate/workloads", { headers: { "content-type": "text/plain" } }],
    ["GET on a POST route", 405, "/validate/workloads", { method: "GET", body: undefined }],
    ["an unknown path", 404, "/validate/everything", {}],
    ["a body over the limit (Content-Length)", 413, "/validate/workloads", { body: Buffer.alloc(1024 * 1024 + 1, 0x20) }],
    ["a body over the limit (chunked)", 413, "/validate/workloads", { body: Buffer.alloc(3 * 1024 * 1024, 0x20), chunked: true }],
    ["a body over a route's own limit", 413, "/hooks/shop/jira", { body: "x".repeat(101) }],
    ["bad percent-encoding in a path parameter", 400, "/hooks/%E0%A4%A/jira", { body: "{}" }],
  ])("answers %s with %d", async (_why, status, path, extra) => {
    state.ready = true;
    const res = await post(path, deploymentReview("img:1"), extra as Partial<Parameters<typeof send>[1]>);
    expect(res.status).toBe(status);
    // …and keeps serving.
    expect((await post("/validate/workloads", deploymentReview("img:1"))).status).toBe(200);
  });

  it.each(["throw", "reject"] as const)("answers normally when recording the denial Event fails (%s)", async (mode) => {
    state.ready = true;
    state.table = { "img:x": [blocked] };
    recordFails = mode;
    try {
      const res = await post("/validate/workloads", deploymentReview("img:x"));
      expect((res.json() as AdmissionReviewResponse).response.allowed).toBe(false);
      await new Promise((r) => setTimeout(r, 20));
      expect((await post("/validate/workloads", deploymentReview("img:x"))).status).toBe(200);
    } finally {
      recordFails = "no";
    }
  });

  it("answers 500 when the decider throws, so the webhook's failurePolicy applies, and keeps serving", async () => {
    state.ready = true;
    state.fail = true;
    const res = await post("/validate/workloads", deploymentReview("img:1"));
    state.fail = false;
    expect(res.status).toBe(500);
    expect((await post("/validate/workloads", deploymentReview("img:1"))).status).toBe(200);
  });

  it("serves mounted routes with path parameters, raw bodies and headers; HttpError sets the status", async () => {
    const ok = await post("/hooks/shop/jira-prod", '{"a":1}', { headers: { "x-signature": "sha256=abc" } });
    expect(ok.status).toBe(202);
    expect(ok.json()).toEqual({ namespace: "shop", integration: "jira-prod", bytes: 7, sig: "sha256=abc" });
    const bad = await post("/hooks/shop/bad", "{}");
    expect(bad.status).toBe(401);
    expect((bad.json() as { message: string }).message).toBe("signature mismatch");
    expect(() => server.mount({ method: "POST", pattern: "/hooks/:ns/:name", name: "dup", handler: () => ({ status: 200 }) })).toThrow("conflicts");
  });

  it("times out slow asynchronous handlers with 503", async () => {
    const res = await post("/hooks/slow", "{}");
    expect(res.status).toBe(503);
    expect(res.text).toContain("timed out after 300 ms");
  });

  it("answers 408 to a client that stalls in the middle of its body, within the request timeout", async () => {
    const { connect } = await import("node:tls");
    const answer = await new Promise<string>((resolve, reject) => {
      const sock = connect({ host: "127.0.0.1", port: addr.port, ca: tls.ca.certPem }, () => {
        sock.write("POST /validate/workloads HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"apiVersion\":");
      });
      let got = "";
      const guard = setTimeout(() => sock.destroy(), 5_000);
      sock.on("data", (d: Buffer) => (got += d.toString()));
      sock.on("close", () => {
        clearTimeout(guard);
        resolve(got);
      });
      sock.on("error", reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it("validates FixOps kinds on /validate/fixops", async () => {
    const review = admissionReview("RiskException", { metadata: { name: "r" }, spec: { vulnerabilityIds: ["CVE-1"], expiresAt: "2020-01-01T00:00:00Z", approver: "a", reason: "r" } });
    const res = await post("/validate/fixops", JSON.stringify(review));
    expect(res.status).toBe(200);
    expect((res.json() as AdmissionReviewResponse).response).toMatchObject({ allowed: false, status: { code: 422 } });
  });

  it("swaps the TLS context: new connections see the new certificate, a kept-alive one keeps working", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const before = await send(addr.port, { method: "GET", path: "/healthz", ca: tls.ca.certPem, agent });
    const next = await loopbackTls();
    server.setSecureContext({ cert: next.serving.certPem, key: next.serving.keyPem });
    // The kept-alive connection was set up with the old certificate and stays usable.
    const reused = await send(addr.port, { method: "GET", path: "/healthz", ca: tls.ca.certPem, agent });
    const fresh = await send(addr.port, { method: "GET", path: "/healthz", ca: next.ca.certPem });
    await expect(send(addr.port, { method: "GET", path: "/healthz", ca: tls.ca.certPem })).rejects.toThrow();
    server.setSecureContext({ cert: tls.serving.certPem, key: tls.serving.keyPem });
    agent.destroy();
    expect(reused.status).toBe(200);
    expect(reused.peerFingerprint).toBe(before.peerFingerprint);
    expect(fresh.status).toBe(200);
    expect(fresh.peerFingerprint).not.toBe(before.peerFingerprint);
  });
});
