// The Helm chart against the real API server: its manifests are accepted as rendered, and the
// operator does its whole job under exactly the chart's RBAC (ServiceAccount token, ClusterRole):
// deciding a ScanResult read from a ConfigMap, a PolicyGate what-if over running Pods, a
// RiskException's status, leader election, Events, and the admission webhook's own Secret and
// ValidatingWebhookConfiguration — with no request refused for lack of permission.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { KubeClient } from "../../operator/kube/client.js";
import { Resources, type KubeObject, type ResourceType } from "../../operator/kube/port.js";
import { createLogger } from "../../operator/logger.js";
import type { RunningOperator } from "../../operator/main.js";
import { ServiceAccount, serviceAccountKubeconfig } from "../harness/service-account.js";
import { ROOT, adminClient, createNamespace, readyCondition, suffix, waitForObject } from "../harness/env.js";
import { operatorConfig, runOperatorInProcess, webhookOverrides } from "../harness/operator.js";
import { waitFor } from "../harness/ports.js";
import { trivyReport, LOG4SHELL } from "../support/reports.js";
import { chartValues, renderChart, type Manifest } from "./render-chart.js";

const TYPES: Record<string, ResourceType> = {
  ServiceAccount,
  Service: { group: "", version: "v1", kind: "Service", plural: "services", namespaced: true },
  ClusterRole: { group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRole", plural: "clusterroles", namespaced: false },
  ClusterRoleBinding: { group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRoleBinding", plural: "clusterrolebindings", namespaced: false },
  Deployment: Resources.Deployment,
};

let kube: KubeClient;
let ns: string;
let release: string;
let manifests: Manifest[];
let op: RunningOperator | undefined;
const logLines: string[] = [];

beforeAll(async () => {
  kube = await adminClient();
  ns = await createNamespace(kube, "chart");
  release = `fixops-${suffix()}`;
  manifests = renderChart({ name: release, namespace: ns });
});
afterAll(async () => {
  await op?.stop();
  for (const m of manifests.filter((x) => !TYPES[x.kind]!.namespaced)) await kube.delete(TYPES[m.kind]!, undefined, m.metadata.name).catch(() => undefined);
  await kube.delete(Resources.Namespace, undefined, ns);
  kube.close();
});

describe("Helm chart", () => {
  it("renders the ServiceAccount, RBAC, Service and Deployment, all accepted by the API server", async () => {
    expect(manifests.map((m) => m.kind).sort()).toEqual(["ClusterRole", "ClusterRoleBinding", "Deployment", "Service", "ServiceAccount"]);
    for (const m of manifests) await kube.create(TYPES[m.kind]!, m as unknown as KubeObject);
    const dep = manifests.find((m) => m.kind === "Deployment") as unknown as { spec: { template: { spec: { containers: { image: string; env: { name: string; value?: string }[] }[] } } } };
    const values = chartValues() as { image: { repository: string; tag: string } };
    const c = dep.spec.template.spec.containers[0]!;
    expect(c.image).toBe(`${values.image.repository}:${values.image.tag}`);
    // Every FIXOPS_* variable the chart sets is one the operator reads (operator/config.ts).
    const configSource = readFileSync(join(ROOT, "operator", "config.ts"), "utf8").replace(/\s+/g, " ");
    for (const e of c.env.filter((x) => x.name.startsWith("FIXOPS_"))) expect(configSource).toContain(`env.${e.name}`);
  });

  it("the operator does its work under exactly the chart's RBAC", async () => {
    const kubeconfig = await serviceAccountKubeconfig(kube, ns, release);

    const label = `fixops.io/chart-test-${suffix()}`;
    await kube.mergePatch(Resources.Namespace, undefined, ns, { metadata: { labels: { [label]: "on" } } });
    const log = createLogger(
      "warn",
      new Writable({
        write(chunk: Buffer, _enc, done) {
          logLines.push(chunk.toString("utf8"));
          done();
        },
      }),
    );
    const hooks = await webhookOverrides(`${label}=on`);
    op = await runOperatorInProcess(await operatorConfig({ watchNamespace: ns, kubeconfig, whatIfRefreshSeconds: 1, ...hooks }), { log });

    const IMAGE = "ghcr.io/acme/chart-check:1.0.0";
    await kube.create(Resources.ConfigMap, { metadata: { name: "reports", namespace: ns }, data: { "trivy.json": trivyReport(IMAGE, [LOG4SHELL]) } } as KubeObject);
    await kube.create(Resources.PolicyGate, { metadata: { name: "prod", namespace: ns }, spec: { mode: "audit", blockRules: [{ name: "critical", minSeverity: "CRITICAL" }] } });
    await kube.create(Resources.ScanResult, {
      metadata: { name: "chart-check", namespace: ns },
      spec: { artifact: { image: IMAGE }, scanner: { name: "trivy" }, report: { configMapKeyRef: { name: "reports", key: "trivy.json" } } },
    });
    await kube.create(Resources.Deployment, {
      metadata: { name: "chart-check", namespace: ns },
      spec: { replicas: 1, selector: { matchLabels: { app: "c" } }, template: { metadata: { labels: { app: "c" } }, spec: { containers: [{ name: "c", image: IMAGE }] } } },
    });
    await kube.create(Resources.RiskException, {
      metadata: { name: "later", namespace: ns },
      spec: { vulnerabilityIds: ["CVE-2000-0001"], expiresAt: new Date(Date.now() + 3600_000).toISOString(), approver: "alice", reason: "not present here" },
    });

    const scan = await waitForObject(kube, Resources.ScanResult, ns, "chart-check", (o) => readyCondition(o)?.status === "True", 30_000);
    expect((scan.status as { decision: { outcome: string } }).decision.outcome).toBe("BLOCK");
    await waitForObject(kube, Resources.PolicyGate, ns, "prod", (o) => (o.status as { whatIf?: { wouldDeny: number } } | undefined)?.whatIf?.wouldDeny === 1, 30_000);
    await waitForObject(kube, Resources.RiskException, ns, "later", (o) => readyCondition(o)?.status === "True", 30_000);
    await waitFor("admission ready", async () => ((await fetch(`http://127.0.0.1:${op!.healthPort}/readyz`)).status === 200 ? true : undefined), 30_000, 300);
    expect(await kube.get(Resources.ValidatingWebhookConfiguration, undefined, hooks.webhookConfigName)).toBeTruthy();
    expect(op.isLeader()).toBe(true);

    const events = await kube.list<KubeObject & { reason?: string; involvedObject?: { name: string } }>(Resources.Event, ns);
    expect(events.some((e) => e.reason === "DecisionChanged" && e.involvedObject?.name === "chart-check")).toBe(true);
    expect(logLines.filter((l) => /forbidden|403/i.test(l))).toEqual([]);
    await kube.delete(Resources.ValidatingWebhookConfiguration, undefined, hooks.webhookConfigName).catch(() => undefined);
  }, 120_000);
});
