// PolicyGate and RiskException status on the real control plane: a gate in audit mode reports how the
// namespace's ScanResults fare under it and which running workloads (Pods the ReplicaSet controller
// created for a Deployment) it would refuse if it enforced; a RiskException reports what it
// suppresses, and the gate's numbers follow.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { KubeClient } from "../../operator/kube/client.js";
import { Resources, type KubeObject } from "../../operator/kube/port.js";
import type { RunningOperator } from "../../operator/main.js";
import { adminClient, createNamespace, waitForObject } from "../harness/env.js";
import { operatorConfig, runOperatorInProcess } from "../harness/operator.js";
import { trivyReport } from "../support/reports.js";

let kube: KubeClient;
let ns: string;
let op: RunningOperator;

beforeAll(async () => {
  kube = await adminClient();
  ns = await createNamespace(kube, "gate-status");
  // Pods are not watched: the what-if re-lists them on this period (60 s by default).
  op = await runOperatorInProcess(await operatorConfig({ watchNamespace: ns, whatIfRefreshSeconds: 1 }));
});
afterAll(async () => {
  await op?.stop();
  await kube.delete(Resources.Namespace, undefined, ns);
  kube.close();
});

const trivy = (image: string, vulns: [id: string, severity: string][]) => trivyReport(image, vulns.map(([id, severity]) => ({ id, severity })));

const deployment = (name: string, image: string) => ({
  metadata: { name, namespace: ns },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "main", image }] } },
  },
});

type GateStatus = {
  counts?: { allow: number; block: number; needsReview: number };
  whatIf?: { evaluatedAt: string; wouldDeny: number; workloads?: { kind: string; name: string; image: string; outcome: string }[] };
};
type ExceptionStatus = { state?: string; suppresses?: { scanResults: number; findings: number; items?: { scanResult: string; vulnerabilityId: string }[] } };
const gs = (o: KubeObject) => (o.status ?? {}) as GateStatus;
const es = (o: KubeObject) => (o.status ?? {}) as ExceptionStatus;

describe("PolicyGate counts and what-if, RiskException suppresses", () => {
  it("an audit gate lists the Deployment it would refuse; an exception moves it out, and says so", async () => {
    const API = "ghcr.io/acme/api:1.4.2";
    const WEB = "ghcr.io/acme/web:2.0.0";
    await kube.create(Resources.PolicyGate, {
      metadata: { name: "prod", namespace: ns },
      spec: { mode: "audit", missingScan: "allow", blockRules: [{ name: "critical", minSeverity: "CRITICAL" }] },
    });
    await kube.create(Resources.ScanResult, {
      metadata: { name: "api", namespace: ns },
      spec: { artifact: { image: API }, scanner: { name: "trivy" }, report: { inline: trivy(API, [["CVE-2021-44228", "CRITICAL"], ["CVE-2023-0001", "LOW"]]) } },
    });
    await kube.create(Resources.ScanResult, {
      metadata: { name: "web", namespace: ns },
      spec: { artifact: { image: WEB }, scanner: { name: "trivy" }, report: { inline: trivy(WEB, [["CVE-2023-0002", "LOW"]]) } },
    });
    await kube.create(Resources.Deployment, deployment("api", API));
    await kube.create(Resources.Deployment, deployment("web", WEB));

    const gate = await waitForObject(kube, Resources.PolicyGate, ns, "prod", (o) => gs(o).counts?.block === 1 && gs(o).counts?.allow === 1 && gs(o).whatIf?.wouldDeny === 1, 30_000);
    expect(gs(gate).counts).toEqual({ allow: 1, block: 1, needsReview: 0 });
    expect(gs(gate).whatIf?.workloads).toEqual([{ kind: "Deployment", name: "api", image: API, outcome: "BLOCK" }]);

    await kube.create(Resources.RiskException, {
      metadata: { name: "log4j-waiver", namespace: ns },
      spec: { vulnerabilityIds: ["CVE-2021-44228"], expiresAt: new Date(Date.now() + 3600_000).toISOString(), approver: "alice", reason: "mitigated by WAF rule 4711" },
    });
    const exc = await waitForObject(kube, Resources.RiskException, ns, "log4j-waiver", (o) => es(o).suppresses?.scanResults === 1, 20_000);
    expect(es(exc)).toMatchObject({ state: "Active", suppresses: { scanResults: 1, findings: 1, items: [{ scanResult: "api", vulnerabilityId: "CVE-2021-44228" }] } });

    const after = await waitForObject(kube, Resources.PolicyGate, ns, "prod", (o) => gs(o).counts?.allow === 2 && gs(o).whatIf?.wouldDeny === 0, 20_000);
    expect(gs(after).counts).toEqual({ allow: 2, block: 0, needsReview: 0 });
    expect(gs(after).whatIf?.workloads).toBeUndefined();
  }, 90_000);
});
