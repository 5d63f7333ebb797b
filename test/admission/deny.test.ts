// The validating admission webhook end to end: the real kube-apiserver calls the in-process
// operator's webhook over HTTPS (self-managed CA, registered by URL) and enforces its answers.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { KubeClient } from "../../operator/kube/client.js";
import { Resources, type KubeObject } from "../../operator/kube/port.js";
import type { RunningOperator } from "../../operator/main.js";
import { FAILURE_POLICY_LABEL } from "../../webhooks/tls/webhook-config.js";
import { adminClient, createNamespace, suffix } from "../harness/env.js";
import { operatorConfig, runOperatorInProcess } from "../harness/operator.js";
import { freePort, waitFor } from "../harness/ports.js";
import { deployment as deploymentIn, deploymentsPath, rawClient, scanResult as scanResultIn, updateObject, type RawClient } from "./support.js";

let kube: KubeClient;
let ns: string;
let opNs: string;
let op: RunningOperator;
let configName: string;
let raw: RawClient;

const TEST_LABEL = "fixops.io/admission-test";

const scanResult = (name: string, image: string, vulns: { id: string; severity: string }[]) => scanResultIn(ns, name, image, vulns);
const deployment = (name: string, image: string, namespace = ns) => deploymentIn(namespace, name, image);

beforeAll(async () => {
  kube = await adminClient();
  raw = await rawClient();
  ns = await createNamespace(kube, "admission");
  opNs = await createNamespace(kube, "admission-op");
  const id = suffix();
  configName = `fixops-admission-test-${id}`;
  await kube.mergePatch(Resources.Namespace, undefined, ns, { metadata: { labels: { [TEST_LABEL]: id } } });
  const port = await freePort();
  op = await runOperatorInProcess(
    await operatorConfig({
      watchNamespace: ns,
      namespace: opNs,
      webhookEnabled: true,
      webhookHost: "127.0.0.1",
      webhookPort: port,
      webhookUrl: `https://127.0.0.1:${port}`,
      webhookConfigName: configName,
      webhookNamespaceLabel: `${TEST_LABEL}=${id}`,
    }),
  );
  await kube.create(Resources.ScanResult, scanResult("api-1", "ghcr.io/acme/api:1.0", [{ id: "CVE-2024-3094", severity: "CRITICAL" }, { id: "CVE-2023-0001", severity: "LOW" }]));
  await kube.create(Resources.ScanResult, scanResult("web-1", "ghcr.io/acme/web:2.0", [{ id: "CVE-2023-0002", severity: "LOW" }]));
  await kube.create(Resources.PolicyGate, {
    metadata: { name: "prod-baseline", namespace: ns },
    spec: { mode: "enforce", missingScan: "allow", blockRules: [{ name: "no-critical", minSeverity: "CRITICAL" }] },
  });
  await waitFor("admission index", async () => (op.admission?.ready() && op.admission.index.size.scanResults === 2 ? true : undefined), 30_000);
  await waitFor("namespace failure-policy label", async () => {
    const n = await kube.get<KubeObject>(Resources.Namespace, undefined, ns);
    return n?.metadata.labels?.[FAILURE_POLICY_LABEL] === "Ignore" ? true : undefined;
  }, 30_000);
  // The API server picks up a new webhook configuration asynchronously: dry-run until it answers.
  await waitFor("webhook in effect", async () => {
    const r = await raw.post(deploymentsPath(ns), deployment("probe", "ghcr.io/acme/api:1.0"), { dryRun: "All" });
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

describe("validating admission webhook through the real API server", () => {
  it("registers a webhook configuration by URL with the operator's CA, scoped by the failure-policy label", async () => {
    const vwc = await kube.get<KubeObject & { webhooks: { name: string; failurePolicy: string; clientConfig: { url: string; caBundle: string }; namespaceSelector?: { matchExpressions: { key: string }[] } }[] }>(
      Resources.ValidatingWebhookConfiguration,
      undefined,
      configName,
    );
    expect(vwc!.webhooks.map((w) => w.failurePolicy)).toEqual(["Fail", "Ignore", "Ignore"]);
    expect(vwc!.webhooks[0]!.clientConfig.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/validate\/workloads$/);
    const secret = await kube.get<KubeObject & { data: Record<string, string> }>(Resources.Secret, opNs, "fixops-webhook-tls");
    expect(Buffer.from(vwc!.webhooks[0]!.clientConfig.caBundle, "base64").toString()).toBe(Buffer.from(secret!.data["ca.crt"]!, "base64").toString());
    for (const w of vwc!.webhooks) expect(w.namespaceSelector!.matchExpressions.map((e) => e.key)).toContain(TEST_LABEL);
  });

  it("denies a Deployment whose image has a CRITICAL CVE under an enforce gate, naming image, gate and CVE", async () => {
    const err = await kube.create(Resources.Deployment, deployment("api", "ghcr.io/acme/api:1.0")).then(
      () => null,
      (e: unknown) => e as Error & { status?: number },
    );
    expect(err).not.toBeNull();
    expect(err!.status).toBe(403);
    expect(err!.message).toContain("ghcr.io/acme/api:1.0");
    expect(err!.message).toContain("prod-baseline");
    expect(err!.message).toContain("CVE-2024-3094");
    expect(await kube.get(Resources.Deployment, ns, "api")).toBeNull();
    // The denial is recorded as a Warning Event in the workload's namespace.
    const ev = await waitFor("denial event", async () => {
      const events = await kube.list<KubeObject & { reason: string; type: string; message: string }>(Resources.Event, ns);
      return events.find((e) => e.reason === "AdmissionDenied" && e.message.includes("ghcr.io/acme/api:1.0"));
    }, 15_000);
    expect(ev.type).toBe("Warning");
  });

  it("admits a Deployment whose image has only LOW findings", async () => {
    const created = await kube.create<KubeObject>(Resources.Deployment, deployment("web", "ghcr.io/acme/web:2.0"));
    expect(created.metadata.uid).toBeTruthy();
  });

  it("never gates kube-system (no label, and the blocked image is admitted there)", async () => {
    const ksys = await kube.get<KubeObject>(Resources.Namespace, undefined, "kube-system");
    expect(ksys!.metadata.labels?.[FAILURE_POLICY_LABEL]).toBeUndefined();
    const r = await raw.post(deploymentsPath("kube-system"), deployment(`fixops-probe-${suffix()}`, "ghcr.io/acme/api:1.0", "kube-system"), { dryRun: "All" });
    expect(r.status).toBe(201);
    // Only this test's namespace carries the label among the namespaces this operator can see.
    const labelled = await kube.list<KubeObject>(Resources.Namespace, undefined, FAILURE_POLICY_LABEL);
    expect(labelled.map((n) => n.metadata.name)).toContain(ns);
    expect(labelled.map((n) => n.metadata.name)).not.toContain(opNs);
  });

  it("in warn mode admits the blocked image with an admission warning visible to the client", async () => {
    await updateObject(kube, Resources.PolicyGate, ns, "prod-baseline", (gate) => ({ ...gate, spec: { ...(gate.spec as object), mode: "warn" } }));
    const r = await waitFor("warn mode in effect", async () => {
      const a = await raw.post(deploymentsPath(ns), deployment("api-warn", "ghcr.io/acme/api:1.0"), { dryRun: "All" });
      return a.status === 201 ? a : undefined;
    }, 15_000);
    expect(r.warnings.join("\n")).toContain("prod-baseline");
    expect(r.warnings.join("\n")).toContain("ghcr.io/acme/api:1.0");
    const real = await raw.post(deploymentsPath(ns), deployment("api-warn", "ghcr.io/acme/api:1.0"));
    expect(real.status).toBe(201);
    expect(real.warnings.length).toBeGreaterThan(0);
  });

  it("evaluates the Pods the ReplicaSet controller creates: after the decision turns to BLOCK, a scale-up is refused (FailedCreate)", async () => {
    // The admitted "web" Deployment got its Pod through the ReplicaSet controller.
    await waitFor("web pod", async () => {
      const pods = await kube.list<KubeObject>(Resources.Pod, ns, "app=web");
      return pods.length === 1 ? true : undefined;
    }, 30_000);
    await updateObject(kube, Resources.PolicyGate, ns, "prod-baseline", (gate) => ({ ...gate, spec: { ...(gate.spec as object), mode: "enforce", blockRules: [{ name: "no-low", minSeverity: "LOW" }] } }));
    await waitFor("web image now blocked", async () => {
      const a = await raw.post(deploymentsPath(ns), deployment("web-probe", "ghcr.io/acme/web:2.0"), { dryRun: "All" });
      return a.status === 403 ? true : undefined;
    }, 15_000);
    // A scale does not change images: the Deployment update is allowed without re-evaluation.
    await kube.mergePatch(Resources.Deployment, ns, "web", { spec: { replicas: 2 } });
    const failed = await waitFor("FailedCreate event", async () => {
      const events = await kube.list<KubeObject & { reason: string; message: string; involvedObject: { kind: string } }>(Resources.Event, ns);
      return events.find((e) => e.reason === "FailedCreate" && e.involvedObject.kind === "ReplicaSet" && e.message.includes("CVE-2023-0002"));
    }, 30_000);
    expect(failed.message).toContain("prod-baseline");
    expect((await kube.list<KubeObject>(Resources.Pod, ns, "app=web")).length).toBe(1);
  });

  it("with the operator stopped, a Fail namespace refuses workloads and an Ignore one admits them", async () => {
    await updateObject(kube, Resources.PolicyGate, ns, "prod-baseline", (gate) => ({ ...gate, spec: { ...(gate.spec as object), failurePolicy: "Fail" } }));
    await waitFor("failure-policy label Fail", async () => {
      const n = await kube.get<KubeObject>(Resources.Namespace, undefined, ns);
      return n?.metadata.labels?.[FAILURE_POLICY_LABEL] === "Fail" ? true : undefined;
    }, 15_000);
    await op.stop();
    const refused = await waitFor("webhook unreachable", async () => {
      const r = await raw.post(deploymentsPath(ns), deployment("any", "ghcr.io/acme/other:1"), { dryRun: "All" });
      return r.status >= 500 ? r : undefined;
    }, 15_000);
    expect(refused.body.message).toContain("failed calling webhook");
    // The same namespace scoped to the Ignore webhook admits while the operator is down.
    await kube.mergePatch(Resources.Namespace, undefined, ns, { metadata: { labels: { [FAILURE_POLICY_LABEL]: "Ignore" } } });
    const admitted = await waitFor("Ignore admits", async () => {
      const r = await raw.post(deploymentsPath(ns), deployment("any", "ghcr.io/acme/other:1"), { dryRun: "All" });
      return r.status === 201 ? r : undefined;
    }, 15_000);
    expect(admitted.status).toBe(201);
  });
});
