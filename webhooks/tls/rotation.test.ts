// Certificate rotation under load: clients stream admission requests over HTTPS, trusting the CA
// bundle the way the API server does (the caBundle reaches them a little after each rotation), while
// the rotator renews the serving certificate and rotates the CA once. No request may fail.
//
// The rotator runs on a fake clock that stays behind real time (certificates it issues are valid now
// for the TLS clients, which check against the real clock) and jumps from event to event.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Agent } from "node:https";
import { Registry } from "prom-client";
import { admissionReview, podSpec, workloadObject } from "../admission/test-builders.js";
import type { AdmissionReviewResponse } from "../admission/types.js";
import { createWebhookServer, type WebhookServer } from "../server/server.js";
import { send } from "../server/test-client.js";
import { createCertificateAuthority, inspectCertificate, issueServingCertificate } from "./certificates.js";
import { CertificateRotator, type CertificateBundle } from "./rotator.js";

const MIN = 60_000;
const CA_BUNDLE_LAG_MS = 50; // how late the clients learn the new caBundle
const STEP_PAUSE_MS = 200; // real time between rotation steps, while requests stream

describe("certificate rotation under load", () => {
  const realStart = Date.now();
  const clock = { t: realStart - 55 * MIN, now() { return new Date(this.t); } };
  let stored: CertificateBundle | null = null;
  let server: WebhookServer | undefined;
  let trustedCa = "";
  const served: string[] = [];
  const rotator = new CertificateRotator({
    mode: "self-managed",
    clock,
    store: {
      load: async () => stored,
      save: async (b) => {
        stored = b;
      },
    },
    onRotate: (b) => {
      server?.setSecureContext({ cert: b.tlsCrt, key: b.tlsKey });
      served.push(inspectCertificate(b.tlsCrt).fingerprint);
      setTimeout(() => (trustedCa = b.caCrt), CA_BUNDLE_LAG_MS);
    },
    dnsNames: ["fixops-webhook.fixops-system.svc"],
    ipAddresses: ["127.0.0.1"],
    servingValidityMs: 60 * MIN,
    caValidityMs: 75 * MIN,
    caPropagationMs: 2 * MIN,
    backdateMs: 0,
    maxCheckIntervalMs: 1_000 * MIN,
  });

  beforeAll(async () => {
    const first = await rotator.check();
    expect(first.action).toBe("created");
    trustedCa = first.bundle!.caCrt;
    server = createWebhookServer({
      tls: { cert: first.bundle!.tlsCrt, key: first.bundle!.tlsKey },
      host: "127.0.0.1",
      port: 0,
      decider: { ready: () => true, decide: () => ({ gates: [] }) },
      operatorNamespace: "fixops-system",
      clock: { now: () => new Date() },
      registry: new Registry(),
    });
    await server.listen();
  });

  afterAll(async () => {
    await server?.close(100);
  });

  it("loses no request while the serving certificate is renewed and the CA is rotated", async () => {
    const port = server!.address().port;
    const body = JSON.stringify(admissionReview("Pod", workloadObject("Pod", "p", podSpec([{ name: "a", image: "ghcr.io/acme/a:1" }]))));
    let stop = false;
    let ok = 0;
    const failures: string[] = [];
    const seen = new Set<string>();
    const stream = async (keepAlive: boolean) => {
      // One agent per trusted bundle: a kept-alive connection outlives rotations, as the API server's do.
      const agents = new Map<string, Agent>();
      while (!stop) {
        const ca = trustedCa;
        let agent: Agent | false = false;
        if (keepAlive) {
          agent = agents.get(ca) ?? new Agent({ keepAlive: true, maxSockets: 2 });
          agents.set(ca, agent);
        }
        try {
          const res = await send(port, { path: "/validate/workloads", body, ca, agent });
          if (res.status !== 200 || !(res.json() as AdmissionReviewResponse).response.allowed) failures.push(`status ${res.status}`);
          else ok++;
          seen.add(res.peerFingerprint);
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
      for (const a of agents.values()) a.destroy();
    };
    const clients = [stream(true), stream(true), stream(false), stream(false)];

    const actions: string[] = [];
    await new Promise((r) => setTimeout(r, STEP_PAUSE_MS));
    // Follow the rotator's schedule while it stays in the past of real time.
    for (;;) {
      const next = (await rotator.check()).nextCheckAt.getTime();
      if (next > Date.now() - MIN) break;
      clock.t = next;
      const r = await rotator.check();
      actions.push(r.action);
      await new Promise((res) => setTimeout(res, STEP_PAUSE_MS));
    }
    stop = true;
    await Promise.all(clients);

    expect(failures).toEqual([]);
    expect(actions).toEqual(["renewed-serving", "added-ca", "switched-to-new-ca"]);
    expect(ok).toBeGreaterThan(50);
    // Fresh connections saw every serving certificate, the last one signed by the new CA.
    expect(served).toHaveLength(4); // created, renewed, added-ca (same certificate), switched
    expect(new Set(served).size).toBe(3);
    for (const fp of new Set(served)) expect(seen).toContain(fp);
  }, 60_000);

  it("would fail if the server presented a certificate the clients do not trust yet (the check above can fail)", async () => {
    const port = server!.address().port;
    const now = new Date();
    const stranger = await createCertificateAuthority({ now, validityMs: 10 * MIN });
    const cert = await issueServingCertificate({ ca: stranger, dnsNames: ["x.svc"], ipAddresses: ["127.0.0.1"], now, validityMs: 10 * MIN });
    const current = rotator.current()!;
    server!.setSecureContext({ cert: cert.certPem, key: cert.keyPem });
    try {
      await expect(send(port, { method: "GET", path: "/healthz", ca: current.caCrt })).rejects.toThrow(/self.signed|unable to verify|certificate/i);
    } finally {
      server!.setSecureContext({ cert: current.tlsCrt, key: current.tlsKey });
    }
    expect((await send(port, { method: "GET", path: "/healthz", ca: current.caCrt })).status).toBe(200);
  });
});
