// Through the real API server: the webhook for FixOps' own kinds refuses what the 1.20 CRD schemas
// cannot express, and an audit-mode gate admits a blocked image but records the "would deny".
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { KubeClient } from "../../operator/kube/client.js";
import { Resources, type KubeObject } from "../../operator/kube/port.js";
import type { RunningOperator } from "../../operator/main.js";
import { FAILURE_POLICY_LABEL } from "../../webhooks/tls/webhook-config.js";
import { adminClient, createNamespace, metricValue, metricsText, suffix } from "../harness/env.js";
import { operatorConfig, runOperatorInProcess, webhookOverrides } from "../harness/operator.js";
import { waitFor } from "../harness/ports.js";
import { deployment, deploymentsPath, rawClient, scanResult, updateObject, type RawClient } from "./support.js";

const TEST_LABEL = "fixops.io/admission-test";
let kube: KubeClient;
let raw: RawClient;
let ns: string;
let opNs: string;
let op: RunningOperator;
let configName: string;

const riskExceptionsPath = (namespace: string) => `/apis/fixops.io/v1alpha1/namespaces/${namespace}/riskexceptions`;
const riskException = (name: string, expiresAt: string, vulnerabilityIds = ["CVE-2024-0001"]) => ({
  apiVersion: "fixops.io/v1alpha1",
  kind: "RiskException",
  metadata: { name, namespace: ns },
  // Not the CVE the audit test relies on: an exception that covers it would turn that BLOCK into ALLOW.
  spec: { vulnerabilityIds, expiresAt, approver: "sec-team", reason: "vendor patch pending" },
});

beforeAll(async () => {
  kube = await adminClient();
  raw = await rawClient();
  ns = await createNamespace(kube, "adm-res");
  opNs = await createNamespace(kube, "adm-res-op");
  const id = suffix();
  await kube.mergePatch(Resources.Namespace, undefined, ns, { metadata: { labels: { [TEST_LABEL]: id } } });
  const hook = await webhookOverrides(`${TEST_LABEL}=${id}`);
  configName = hook.webhookConfigName;
  op = await runOperatorInProcess(await operatorConfig({ watchNamespace: ns, namespace: opNs, ...hook }));
  await kube.create(Resources.ScanResult, scanResult(ns, "api-1", "ghcr.io/acme/api:1.0", [{ id: "CVE-2024-3094", severity: "CRITICAL" }]));
  // Enforce first, to see the workload webhook in effect (audit gives the client nothing to see), then audit.
  await kube.create(Resources.PolicyGate, {
    metadata: { name: "audit-baseline", namespace: ns },
    spec: { mode: "enforce", missingScan: "allow", blockRules: [{ name: "no-critical", minSeverity: "CRITICAL" }] },
  });
  await waitFor("admission index", async () => (op.admission?.ready() && op.admission.index.size.scanResults === 1 ? true : undefined), 30_000);
  await waitFor("namespace failure-policy label", async () => {
    const n = await kube.get<KubeObject>(Resources.Namespace, undefined, ns);
    return n?.metadata.labels?.[FAILURE_POLICY_LABEL] === "Ignore" ? true : undefined;
  }, 30_000);
  // The API server picks up a new webhook configuration and namespace labels asynchronously: dry-run until it answers.
  await waitFor("workload webhook in effect", async () => {
    const r = await raw.post(deploymentsPath(ns), deployment(ns, "probe", "ghcr.io/acme/api:1.0"), { dryRun: "All" });
    return r.status === 403 ? true : undefined;
  }, 30_000);
  await updateObject(kube, Resources.PolicyGate, ns, "audit-baseline", (g) => ({ ...g, spec: { ...(g.spec as object), mode: "audit" } }));
  await waitFor("audit mode in effect", async () => {
    const r = await raw.post(deploymentsPath(ns), deployment(ns, "probe", "ghcr.io/acme/api:1.0"), { dryRun: "All" });
    return r.status === 201 ? true : undefined;
  }, 30_000);
  await waitFor("resources webhook in effect", async () => {
    const r = await raw.post(riskExceptionsPath(ns), riskException("probe", "2020-01-01T00:00:00Z"), { dryRun: "All" });
    return r.status >= 400 && r.status < 500 && r.body.message?.includes("resources.admission.fixops.io") ? true : undefined;
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

describe("webhook for FixOps' own kinds, through the real API server", () => {
  it("registers the fixops.io rules for all five kinds", async () => {
    const vwc = await kube.get<KubeObject & { webhooks: { name: string; rules: { apiGroups: string[]; resources: string[] }[] }[] }>(Resources.ValidatingWebhookConfiguration, undefined, configName);
    const own = vwc!.webhooks.find((w) => w.name === "resources.admission.fixops.io")!;
    expect(own.rules.flatMap((r) => r.apiGroups)).toEqual(["fixops.io"]);
    expect([...own.rules.flatMap((r) => r.resources)].sort()).toEqual(["integrations", "policygates", "remediationtasks", "riskexceptions", "scanresults"]);
  });

  it("refuses a RiskException that expires in the past on create, with the webhook's message; admits one in the future", async () => {
    const err = await kube.create(Resources.RiskException, riskException("too-late", "2024-01-01T00:00:00Z")).then(
      () => null,
      (e: unknown) => e as Error & { status?: number },
    );
    expect(err).not.toBeNull();
    expect(err!.status).toBe(422);
    expect(err!.message).toContain("spec.expiresAt: must be in the future");
    expect(await kube.get(Resources.RiskException, ns, "too-late")).toBeNull();
    const ok = await kube.create<KubeObject>(Resources.RiskException, riskException("in-time", new Date(Date.now() + 86_400_000).toISOString()));
    expect(ok.metadata.uid).toBeTruthy();
  });

  it("refuses a PolicyGate with an invalid image glob, naming the field", async () => {
    const err = await kube
      .create(Resources.PolicyGate, { metadata: { name: "bad-glob", namespace: ns }, spec: { mode: "enforce", selector: { images: ["ghcr.io/[ab]/x"] }, blockRules: [{ name: "kev", kev: true }] } })
      .then(
        () => null,
        (e: unknown) => e as Error & { status?: number },
      );
    expect(err).not.toBeNull();
    expect(err!.status).toBe(422);
    expect(err!.message).toContain("spec.selector.images[0]: invalid image glob");
    expect(await kube.get(Resources.PolicyGate, ns, "bad-glob")).toBeNull();
  });
});

describe("audit mode through the real API server", () => {
  it("admits a Deployment whose image the gate would block, and records it as an Event and a metric", async () => {
    const before = metricValue(await metricsText(op.healthPort), "fixops_admission_decisions_total", { decision: "audited" }) ?? 0;
    const r = await raw.post(deploymentsPath(ns), deployment(ns, "api", "ghcr.io/acme/api:1.0"));
    expect(r.status).toBe(201);
    expect(await kube.get(Resources.Deployment, ns, "api")).not.toBeNull();
    const ev = await waitFor("would-deny event", async () => {
      const events = await kube.list<KubeObject & { reason: string; type: string; message: string }>(Resources.Event, ns);
      return events.find((e) => e.reason === "AdmissionWouldDeny" && e.message.includes("ghcr.io/acme/api:1.0"));
    }, 15_000);
    expect(ev.type).toBe("Warning");
    expect(ev.message).toContain("audit-baseline");
    expect(ev.message).toContain("CVE-2024-3094");
    // No denial was recorded: audit never refuses.
    const events = await kube.list<KubeObject & { reason: string }>(Resources.Event, ns);
    expect(events.filter((e) => e.reason === "AdmissionDenied")).toEqual([]);
    const after = await waitFor("audited metric", async () => {
      const v = metricValue(await metricsText(op.healthPort), "fixops_admission_decisions_total", { decision: "audited" }) ?? 0;
      return v > before ? v : undefined;
    }, 10_000);
    expect(after).toBeGreaterThan(before);
  });
});
