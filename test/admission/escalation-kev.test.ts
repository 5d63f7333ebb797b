// escalateOnBreach end to end, with nothing made by hand but the gate, the scan and the KEV catalog: the
// gate does not block the image by its rules (it only asks for review of HIGH findings); the operator
// opens the RemediationTask the gate asks for, whose due date is the KEV one, already past; the breach
// turns the ScanResult's decision to BLOCK and the real API server refuses a Deployment of the image
// with a message naming that task. Ending the task (risk accepted) brings back the rules' own verdict.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { KubeClient } from "../../operator/kube/client.js";
import { Resources, type KubeObject } from "../../operator/kube/port.js";
import type { RunningOperator } from "../../operator/main.js";
import { adminClient, createNamespace, readyCondition, suffix, waitForObject } from "../harness/env.js";
import { operatorConfig, runOperatorInProcess, webhookOverrides } from "../harness/operator.js";
import { waitFor } from "../harness/ports.js";
import { kevCatalogText } from "../support/feeds.js";
import { deployment, deploymentsPath, rawClient, scanResult, type RawClient } from "./support.js";

const TEST_LABEL = "fixops.io/admission-test";
const IMAGE = "ghcr.io/acme/payments:4.2";
// In the catalog below, with CISA's due date 2021-12-24 (kevEntry's default).
const KEV_CVE = "CVE-2021-44228";
let kube: KubeClient;
let raw: RawClient;
let ns: string;
let opNs: string;
let op: RunningOperator;
let configName: string;

beforeAll(async () => {
  kube = await adminClient();
  raw = await rawClient();
  ns = await createNamespace(kube, "adm-esc-kev");
  opNs = await createNamespace(kube, "adm-esc-kev-op");
  const id = suffix();
  await kube.mergePatch(Resources.Namespace, undefined, ns, { metadata: { labels: { [TEST_LABEL]: id } } });
  const version = `2026.11.${id}`;
  await kube.create(Resources.ConfigMap, { metadata: { name: "feeds", namespace: ns }, data: { "kev.json": kevCatalogText(version, [KEV_CVE]) } } as KubeObject);
  const hook = await webhookOverrides(`${TEST_LABEL}=${id}`);
  configName = hook.webhookConfigName;
  op = await runOperatorInProcess(await operatorConfig({ watchNamespace: ns, namespace: opNs, kevSource: `configmap:${ns}/feeds/kev.json`, feedPollSeconds: 1, ...hook }));
  // The task's due date comes from the catalog: scan only once this replica decides with it.
  await waitFor("KEV catalog loaded", async () => (op.feeds.current().kev?.version === `kev:${version}` ? true : undefined), 30_000);
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
type TaskStatus = { state?: string; sla?: { dueAt: string; breached: boolean; source?: string } };
const taskStatus = (o: KubeObject) => (o.status ?? {}) as TaskStatus;

describe("escalateOnBreach with a task the operator opened", () => {
  it("a KEV finding past CISA's due date blocks new rollouts under a gate whose rules only ask for review", async () => {
    await kube.create(Resources.PolicyGate, {
      metadata: { name: "review-high", namespace: ns },
      spec: {
        mode: "enforce",
        missingScan: "allow",
        blockRules: [{ name: "critical", minSeverity: "CRITICAL" }],
        reviewRules: [{ name: "high", minSeverity: "HIGH" }],
        remediation: { minOutcome: "NEEDS_REVIEW", escalateOnBreach: true },
      },
    });
    await kube.create(Resources.ScanResult, scanResult(ns, "payments", IMAGE, [{ id: KEV_CVE, severity: "HIGH" }]));

    // The operator opens the task for the HIGH finding; its SLA is CISA's due date, long past.
    const task = await waitFor("the gate's task, breached", async () => {
      const list = await kube.list<KubeObject>(Resources.RemediationTask, ns);
      const t = list.find((o) => (o.spec as { gateRef?: { name?: string } }).gateRef?.name === "review-high");
      return t && taskStatus(t).sla?.breached === true ? t : undefined;
    }, 30_000);
    const name = task.metadata.name;
    expect(task.spec).toMatchObject({ artifact: { image: IMAGE }, vulnerabilityIds: [KEV_CVE], severity: "HIGH" });
    expect(taskStatus(task)).toMatchObject({ state: "OPEN", sla: { dueAt: "2021-12-24T23:59:59Z", breached: true, source: "kev" } });

    const blocked = await waitForObject(kube, Resources.ScanResult, ns, "payments", (o) => decision(o)?.outcome === "BLOCK" && readyCondition(o)?.status === "True", 30_000);
    const gate = decision(blocked)!.gates.find((g) => g.name === "review-high")!;
    expect(gate.outcome).toBe("BLOCK");
    expect(gate.reasons[0]).toBe(`SLA breached: RemediationTask ${name} (${KEV_CVE}) was due 2021-12-24T23:59:59Z (escalateOnBreach blocks new rollouts until resolved)`);

    const denied = await waitFor("deny", async () => {
      const r = await raw.post(deploymentsPath(ns), deployment(ns, "payments", IMAGE), { dryRun: "All" });
      return r.status === 403 ? r : undefined;
    }, 30_000);
    const message = denied.body.message ?? "";
    expect(message).toContain(`image ${IMAGE}: BLOCK by gate "review-high" (enforce); SLA breached: RemediationTask ${name}`);
    expect(message).toContain(`see ScanResult ${ns}/payments, RemediationTask ${ns}/${name}`);
    expect(Buffer.byteLength(message)).toBeLessThan(1024);

    // Accepting the risk ends the task and the escalation: the rules' own verdict (review) is back,
    // which this enforce gate turns into a warning, still pointing at the ScanResult.
    await kube.mergePatch(Resources.RemediationTask, ns, name, {
      spec: { resolution: { type: "ACCEPTED_RISK", justification: "isolated behind the payments gateway until 4.3 ships", by: "sec-lead" } },
    });
    await waitForObject(kube, Resources.ScanResult, ns, "payments", (o) => decision(o)?.outcome === "NEEDS_REVIEW", 30_000);
    const admitted = await waitFor("admitted with a warning", async () => {
      const r = await raw.post(deploymentsPath(ns), deployment(ns, "payments", IMAGE), { dryRun: "All" });
      return r.status === 201 ? r : undefined;
    }, 30_000);
    // (The Warning header escapes quotes, so look at the part after the gate's name.)
    expect(admitted.warnings.join("\n")).toContain(`(enforce): ${IMAGE} needs review: ${KEV_CVE} HIGH KEV; see ScanResult ${ns}/payments`);
  }, 120_000);
});
