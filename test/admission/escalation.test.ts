// escalateOnBreach through the real API server: a gate whose rules allow an image turns BLOCK for it
// once one of the gate's open RemediationTasks for that image is past its SLA — in the ScanResult's
// decision and in admission, where the deny message names the task to follow.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { KubeClient } from "../../operator/kube/client.js";
import { Resources, type KubeObject } from "../../operator/kube/port.js";
import type { RunningOperator } from "../../operator/main.js";
import { adminClient, createNamespace, readyCondition, suffix, waitForObject } from "../harness/env.js";
import { operatorConfig, runOperatorInProcess, webhookOverrides } from "../harness/operator.js";
import { waitFor } from "../harness/ports.js";
import { deployment, deploymentsPath, rawClient, scanResult, type RawClient } from "./support.js";

const TEST_LABEL = "fixops.io/admission-test";
const IMAGE = "ghcr.io/acme/web:2.0";
let kube: KubeClient;
let raw: RawClient;
let ns: string;
let opNs: string;
let op: RunningOperator;
let configName: string;

beforeAll(async () => {
  kube = await adminClient();
  raw = await rawClient();
  ns = await createNamespace(kube, "adm-esc");
  opNs = await createNamespace(kube, "adm-esc-op");
  const id = suffix();
  await kube.mergePatch(Resources.Namespace, undefined, ns, { metadata: { labels: { [TEST_LABEL]: id } } });
  const hook = await webhookOverrides(`${TEST_LABEL}=${id}`);
  configName = hook.webhookConfigName;
  op = await runOperatorInProcess(await operatorConfig({ watchNamespace: ns, namespace: opNs, ...hook }));
}, 120_000);

afterAll(async () => {
  if (configName) await kube?.delete(Resources.ValidatingWebhookConfiguration, undefined, configName);
  await op?.stop();
  if (ns) await kube.delete(Resources.Namespace, undefined, ns);
  if (opNs) await kube.delete(Resources.Namespace, undefined, opNs);
  await raw?.close();
  kube?.close();
});

type Decision = { outcome: string; gates: { name: string; outcome: string; reasons: string[] }[] };
const decision = (o: KubeObject) => (o.status as { decision?: Decision } | undefined)?.decision;

describe("escalateOnBreach", () => {
  it("blocks new rollouts of an image while the gate's task for it is past its SLA, naming the task", async () => {
    await kube.create(Resources.PolicyGate, {
      metadata: { name: "prod", namespace: ns },
      spec: { mode: "enforce", missingScan: "allow", blockRules: [{ name: "crit", minSeverity: "CRITICAL" }], remediation: { escalateOnBreach: true } },
    });
    await kube.create(Resources.ScanResult, scanResult(ns, "web", IMAGE, [{ id: "CVE-2024-0003", severity: "MEDIUM" }]));
    await waitForObject(kube, Resources.ScanResult, ns, "web", (o) => decision(o)?.outcome === "ALLOW", 30_000);
    await waitFor("admission index", async () => (op.admission?.ready() && op.admission.index.size.scanResults === 1 ? true : undefined), 30_000);
    const before = await raw.post(deploymentsPath(ns), deployment(ns, "web", IMAGE), { dryRun: "All" });
    expect(before.status).toBe(201);

    // A task the gate asked for, whose (KEV) due date has passed.
    await kube.create(Resources.RemediationTask, {
      metadata: { name: "rt-web", namespace: ns, annotations: { "fixops.io/kev-due-date": "2026-01-01" } },
      spec: { title: "CVE-2024-0003 in web", artifact: { image: IMAGE }, clusterKey: "v1:vuln:CVE-2024-0003", severity: "MEDIUM", gateRef: { name: "prod" }, vulnerabilityIds: ["CVE-2024-0003"] },
    });
    await waitForObject(kube, Resources.RemediationTask, ns, "rt-web", (o) => (o.status as { sla?: { breached?: boolean } } | undefined)?.sla?.breached === true, 30_000);

    const blocked = await waitForObject(kube, Resources.ScanResult, ns, "web", (o) => decision(o)?.outcome === "BLOCK" && readyCondition(o)?.status === "True", 30_000);
    expect(decision(blocked)!.gates[0]!.reasons[0]).toMatch(/^SLA breached: RemediationTask rt-web \(CVE-2024-0003\) was due 2026-01-01T23:59:59/);

    const denied = await waitFor("deny", async () => {
      const r = await raw.post(deploymentsPath(ns), deployment(ns, "web", IMAGE), { dryRun: "All" });
      return r.status === 403 ? r : undefined;
    }, 30_000);
    expect(denied.body.message).toContain(`RemediationTask ${ns}/rt-web`);
    expect(denied.body.message).toContain("SLA breached");

    // Accepting the risk ends the task: the escalation stops.
    await kube.mergePatch(Resources.RemediationTask, ns, "rt-web", {
      spec: { resolution: { type: "ACCEPTED_RISK", justification: "compensating WAF rule until the rebuild", by: "sec-lead" } },
    });
    await waitForObject(kube, Resources.ScanResult, ns, "web", (o) => decision(o)?.outcome === "ALLOW", 30_000);
    await waitFor("admitted again", async () => ((await raw.post(deploymentsPath(ns), deployment(ns, "web", IMAGE), { dryRun: "All" })).status === 201 ? true : undefined), 30_000);
  }, 120_000);
});
