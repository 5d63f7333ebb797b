// The operator's running webhook under stress: its serving certificate is rotated several times while
// the real API server streams admission requests through it (none may be lost), and thousands of
// malformed or hostile AdmissionReview bodies sent straight to it get only 4xx answers, without a
// crash and without memory growing.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Agent } from "node:https";
import type { KubeClient } from "../../operator/kube/client.js";
import { Resources, type KubeObject } from "../../operator/kube/port.js";
import type { RunningOperator } from "../../operator/main.js";
import { admissionReview, podSpec, workloadObject } from "../../webhooks/admission/test-builders.js";
import type { AdmissionReviewResponse } from "../../webhooks/admission/types.js";
import { buildFuzzCases } from "../../webhooks/server/test-fuzz-cases.js";
import { FIXOPS_PATH, WORKLOADS_PATH } from "../../webhooks/server/paths.js";
import { send } from "../../webhooks/server/test-client.js";
import { inspectCertificate, issueServingCertificate } from "../../webhooks/tls/certificates.js";
import { FAILURE_POLICY_LABEL } from "../../webhooks/tls/webhook-config.js";
import { adminClient, createNamespace, suffix } from "../harness/env.js";
import { operatorConfig, runOperatorInProcess, webhookOverrides } from "../harness/operator.js";
import { waitFor } from "../harness/ports.js";
import { deployment, deploymentsPath, rawClient, scanResult, type RawClient } from "./support.js";
import { collectGarbage } from "../support/gc.js";

const TEST_LABEL = "fixops.io/admission-test";
const SECRET = "fixops-webhook-tls";
let kube: KubeClient;
let raw: RawClient;
let ns: string;
let opNs: string;
let op: RunningOperator;
let configName: string;
let port: number;

type SecretObject = KubeObject & { data: Record<string, string> };
const b64 = (s: string) => Buffer.from(s).toString("base64");
const unb64 = (s: string) => Buffer.from(s, "base64").toString("utf8");

async function caPem(): Promise<string> {
  const s = await kube.get<SecretObject>(Resources.Secret, opNs, SECRET);
  return unb64(s!.data["ca.crt"]!);
}

async function servedFingerprint(): Promise<string> {
  const r = await send(port, { method: "GET", path: "/healthz", ca: await caPem() });
  return r.peerFingerprint;
}

/**
 * Puts a serving certificate that is past its renewal point (same CA) into the Secret, as if time had
 * passed, and lets the operator's rotator check now: it must issue and serve a fresh one.
 */
async function forceServingRotation(): Promise<string> {
  const secret = await kube.get<SecretObject>(Resources.Secret, opNs, SECRET);
  const ca = { certPem: unb64(secret!.data["ca.crt"]!), keyPem: unb64(secret!.data["ca.key"]!) };
  const current = inspectCertificate(unb64(secret!.data["tls.crt"]!));
  const now = new Date();
  // Lifetime 25 min of which 20 already passed: beyond the rotator's 2/3 renewal point.
  const due = await issueServingCertificate({ ca, dnsNames: [], ipAddresses: ["127.0.0.1"], now, validityMs: 5 * 60_000, backdateMs: 20 * 60_000 });
  await kube.replace(Resources.Secret, { ...secret!, data: { ...secret!.data, "tls.crt": b64(due.certPem), "tls.key": b64(due.keyPem) } });
  const result = await op.admission!.checkCertificate();
  expect(result.action).toBe("renewed-serving");
  const renewed = inspectCertificate(unb64((await kube.get<SecretObject>(Resources.Secret, opNs, SECRET))!.data["tls.crt"]!));
  expect(renewed.notAfter.getTime()).toBeGreaterThan(current.notAfter.getTime() - 60_000);
  return result.bundle!.tlsCrt;
}

beforeAll(async () => {
  kube = await adminClient();
  raw = await rawClient();
  ns = await createNamespace(kube, "adm-rot");
  opNs = await createNamespace(kube, "adm-rot-op");
  const id = suffix();
  await kube.mergePatch(Resources.Namespace, undefined, ns, { metadata: { labels: { [TEST_LABEL]: id } } });
  const hook = await webhookOverrides(`${TEST_LABEL}=${id}`);
  configName = hook.webhookConfigName;
  port = hook.webhookPort;
  op = await runOperatorInProcess(await operatorConfig({ watchNamespace: ns, namespace: opNs, ...hook }));
  await kube.create(Resources.ScanResult, scanResult(ns, "api-1", "ghcr.io/acme/api:1.0", [{ id: "CVE-2024-3094", severity: "CRITICAL" }]));
  await kube.create(Resources.ScanResult, scanResult(ns, "web-1", "ghcr.io/acme/web:2.0", [{ id: "CVE-2023-0002", severity: "LOW" }]));
  await kube.create(Resources.PolicyGate, {
    metadata: { name: "prod-baseline", namespace: ns },
    // Fail: a request the webhook did not answer is refused (500), so a lost request cannot pass unnoticed.
    spec: { mode: "enforce", missingScan: "allow", failurePolicy: "Fail", blockRules: [{ name: "no-critical", minSeverity: "CRITICAL" }] },
  });
  await waitFor("admission index", async () => (op.admission?.ready() && op.admission.index.size.scanResults === 2 ? true : undefined), 30_000);
  await waitFor("namespace failure-policy label", async () => {
    const n = await kube.get<KubeObject>(Resources.Namespace, undefined, ns);
    return n?.metadata.labels?.[FAILURE_POLICY_LABEL] === "Fail" ? true : undefined;
  }, 30_000);
  await waitFor("webhook in effect", async () => {
    const r = await raw.post(deploymentsPath(ns), deployment(ns, "probe", "ghcr.io/acme/api:1.0"), { dryRun: "All" });
    return r.status === 403 ? true : undefined;
  }, 30_000);
}, 120_000);

afterAll(async () => {
  if (configName) await kube?.delete(Resources.ValidatingWebhookConfiguration, undefined, configName);
  await op?.stop();
  if (ns) await kube.delete(Resources.Namespace, undefined, ns);
  if (opNs) await kube.delete(Resources.Namespace, undefined, opNs);
  await raw?.close();
  kube?.close();
});

describe("webhook certificate rotation under load, through the real API server", () => {
  it("rotates the serving certificate three times during a stream of admission requests and loses none", async () => {
    const outcomes = new Map<string, number>();
    const wrong: string[] = [];
    let stop = false;
    let n = 0;
    const worker = async (w: number) => {
      while (!stop) {
        const i = n++;
        const blocked = i % 2 === 0;
        const r = await raw.post(deploymentsPath(ns), deployment(ns, `d-${w}-${i}`, blocked ? "ghcr.io/acme/api:1.0" : "ghcr.io/acme/web:2.0"), { dryRun: "All" });
        const want = blocked ? 403 : 201;
        outcomes.set(String(r.status), (outcomes.get(String(r.status)) ?? 0) + 1);
        if (r.status !== want) wrong.push(`${blocked ? "blocked" : "allowed"} image answered ${r.status}: ${r.body.message ?? ""}`);
      }
    };
    const stream = Promise.all([0, 1, 2, 3].map(worker));

    const fingerprints = [await servedFingerprint()];
    for (let round = 0; round < 3; round++) {
      await new Promise((r) => setTimeout(r, 1_500));
      await forceServingRotation();
      fingerprints.push(await servedFingerprint());
    }
    await new Promise((r) => setTimeout(r, 1_500));
    stop = true;
    await stream;

    // Every rotation changed what new connections are served.
    expect(new Set(fingerprints).size).toBe(4);
    expect(wrong).toEqual([]);
    expect((outcomes.get("403") ?? 0) + (outcomes.get("201") ?? 0)).toBe(n);
    expect(n).toBeGreaterThan(40);
  }, 120_000);
});

describe("fuzzing the operator's running webhook server", () => {
  it("answers thousands of malformed or hostile bodies with 4xx only, keeps serving, and keeps memory bounded", async () => {
    const TOTAL = 3_000;
    const ca = await caPem();
    const cases = buildFuzzCases(20261122, TOTAL, 1024 * 1024);
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const valid = (uid: string) => JSON.stringify(admissionReview("Pod", workloadObject("Pod", "p", podSpec([{ name: "a", image: "ghcr.io/acme/api:1.0" }])), { uid, namespace: ns }));
    await send(port, { path: WORKLOADS_PATH, body: valid("warm-up"), ca, agent });
    collectGarbage();
    const before = process.memoryUsage();

    const bad: string[] = [];
    let answered = 0;
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const i = next++;
        const c = cases[i]!;
        try {
          const res = await send(port, {
            // Both admission endpoints parse the same envelope; both must hold.
            path: i % 2 === 0 ? WORKLOADS_PATH : FIXOPS_PATH,
            body: c.body,
            ca,
            agent,
            ...(c.method ? { method: c.method } : {}),
            ...(c.headers ? { headers: c.headers } : {}),
            ...(c.chunked ? { chunked: true } : {}),
          });
          answered++;
          if (res.status < 400 || res.status >= 500) bad.push(`${c.kind}: ${res.status} ${res.text.slice(0, 200)}`);
        } catch (err) {
          bad.push(`${c.kind}: ${(err as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    agent.destroy();

    expect(bad).toEqual([]);
    expect(answered).toBe(TOTAL);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    // Still serving and still deciding: a valid review of the blocked image is denied.
    const ok = await send(port, { path: WORKLOADS_PATH, body: valid("after-fuzz"), ca });
    expect(ok.status).toBe(200);
    expect((ok.json() as AdmissionReviewResponse).response).toMatchObject({ uid: "after-fuzz", allowed: false });
    expect(op.admission!.ready()).toBe(true);

    collectGarbage();
    const after = process.memoryUsage();
    // About 60 MB of bodies went through; a leak of request buffers would exceed these bounds.
    expect(after.heapUsed - before.heapUsed).toBeLessThan(100 * 1024 * 1024);
    expect(after.rss - before.rss).toBeLessThan(400 * 1024 * 1024);
  }, 180_000);
});
