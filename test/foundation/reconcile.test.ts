// The operator's reconcile loop on the real control plane: Ready/observedGeneration, status written
// only on change, semantic validation, metrics and readiness.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { join } from "node:path";
import type { KubeClient } from "../../operator/kube/client.js";
import { Resources, type KubeObject } from "../../operator/kube/port.js";
import type { RunningOperator } from "../../operator/main.js";
import { applyObjects, readManifests } from "../harness/apply.js";
import { ROOT, adminClient, createNamespace, metricValue, metricsText, readyCondition, waitForObject } from "../harness/env.js";
import { operatorConfig, runOperatorInProcess } from "../harness/operator.js";

let kube: KubeClient;
let ns: string;
let op: RunningOperator;

beforeAll(async () => {
  kube = await adminClient();
  ns = await createNamespace(kube, "reconcile");
  op = await runOperatorInProcess(await operatorConfig({ watchNamespace: ns }));
});
afterAll(async () => {
  await op?.stop();
  await kube.delete(Resources.Namespace, undefined, ns);
  kube.close();
});

const isReadyAt = (status: string, gen: number) => (o: KubeObject) => {
  const c = readyCondition(o);
  return c?.status === status && c.observedGeneration === gen && (o.status as { observedGeneration?: number })?.observedGeneration === gen;
};

const exceptionSample = () => readManifests(join(ROOT, "crds", "samples", "riskexception.yaml"))[0]!;

describe("reconcile loop", () => {
  it("sets Ready=True with the object's generation, follows spec changes, and does not rewrite an unchanged status", async () => {
    await applyObjects(kube, [exceptionSample()], ns);
    const first = await waitForObject(kube, Resources.RiskException, ns, "openssl-base-image", isReadyAt("True", 1));
    expect(readyCondition(first)!.reason).toBe("Active");
    expect((first.status as { state: string }).state).toBe("Active");

    // A spec change bumps the generation; the condition follows it.
    const changed = { ...first, spec: { ...(first.spec as object), reason: "Reassessed: still not reachable" } };
    await kube.replace(Resources.RiskException, changed);
    const second = await waitForObject(kube, Resources.RiskException, ns, "openssl-base-image", isReadyAt("True", 2));
    // Status did not flip, so the transition time is kept.
    expect(readyCondition(second)).toMatchObject({ status: "True" });
    expect((second.status as { conditions: { lastTransitionTime: string }[] }).conditions[0]!.lastTransitionTime).toBe(
      (first.status as { conditions: { lastTransitionTime: string }[] }).conditions[0]!.lastTransitionTime,
    );

    // A metadata-only change triggers a reconcile (watch event) but must not rewrite the status.
    const before = await metricsText(op.healthPort);
    const reconcilesBefore = metricValue(before, "fixops_reconcile_total", { kind: "RiskException", result: "requeue" }) ?? 0;
    const patched = await kube.mergePatch<KubeObject>(Resources.RiskException, ns, "openssl-base-image", { metadata: { annotations: { "example.com/touched": "1" } } });
    await waitForMetric(op.healthPort, "fixops_reconcile_total", { kind: "RiskException", result: "requeue" }, (v) => v > reconcilesBefore);
    await new Promise((r) => setTimeout(r, 500));
    const after = await kube.get<KubeObject>(Resources.RiskException, ns, "openssl-base-image");
    expect(after!.metadata.resourceVersion).toBe(patched.metadata.resourceVersion);
  });

  it("rejects a semantically invalid spec with a clear condition (expired exception, gate naming a missing Integration)", async () => {
    await kube.create(Resources.RiskException, {
      metadata: { name: "already-expired", namespace: ns },
      spec: { vulnerabilityIds: ["CVE-2021-44228"], expiresAt: "2020-01-01T00:00:00Z", approver: "bob", reason: "legacy" },
    });
    const ex = await waitForObject(kube, Resources.RiskException, ns, "already-expired", isReadyAt("False", 1));
    expect(readyCondition(ex)).toMatchObject({ reason: "Expired" });
    expect(readyCondition(ex)!.message).toContain("2020-01-01T00:00:00Z");

    await kube.create(Resources.PolicyGate, {
      metadata: { name: "needs-jira", namespace: ns },
      spec: { blockRules: [{ name: "kev", kev: true }], remediation: { integrationRefs: [{ name: "jira-missing" }] } },
    });
    const gate = await waitForObject(kube, Resources.PolicyGate, ns, "needs-jira", isReadyAt("False", 1));
    expect(readyCondition(gate)).toMatchObject({ reason: "IntegrationNotFound" });
    expect(readyCondition(gate)!.message).toContain('"jira-missing"');
    expect(readyCondition(gate)!.message).toContain(ns);

    // Creating the Integration re-runs the gate's reconcile (secondary watch) and it becomes Ready.
    await kube.create(Resources.Integration, {
      metadata: { name: "jira-missing", namespace: ns },
      spec: { type: "jira", url: "https://acme.atlassian.net", credentialsSecretRef: { name: "s" }, jira: { projectKey: "SEC" } },
    });
    const ok = await waitForObject(kube, Resources.PolicyGate, ns, "needs-jira", isReadyAt("True", 1));
    expect(readyCondition(ok)!.reason).toBe("Valid");
  });

  it("exposes reconcile counters, durations, queue depth and leader status on /metrics, and /readyz is ready once caches synced", async () => {
    const text = await metricsText(op.healthPort);
    expect(metricValue(text, "fixops_reconcile_total", { kind: "RiskException", result: "requeue" })).toBeGreaterThan(0);
    expect(metricValue(text, "fixops_reconcile_duration_seconds_count", { kind: "PolicyGate" })).toBeGreaterThan(0);
    expect(text).toContain("fixops_workqueue_depth");
    expect(metricValue(text, "fixops_leader")).toBe(1);
    const ready = await fetch(`http://127.0.0.1:${op.healthPort}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toContain("[+]informers-synced ok");
  });
});

async function waitForMetric(port: number, name: string, labels: Record<string, string>, pred: (v: number) => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const v = metricValue(await metricsText(port), name, labels);
    if (v !== undefined && pred(v)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`metric ${name} ${JSON.stringify(labels)} did not reach the expected value`);
}
