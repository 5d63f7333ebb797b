// Two real `fixops operator` processes on one control plane: exactly one leads and reconciles;
// SIGKILL the leader and the other takes over within the lease duration.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { KubeClient } from "../../operator/kube/client.js";
import { Resources, type KubeObject } from "../../operator/kube/port.js";
import { adminClient, createNamespace, metricValue, metricsText, readyCondition, waitForObject } from "../harness/env.js";
import { spawnOperator, type OperatorProcess } from "../harness/operator.js";
import { waitFor } from "../harness/ports.js";

let kube: KubeClient;
let ns: string;
const procs: OperatorProcess[] = [];

beforeAll(async () => {
  kube = await adminClient();
  ns = await createNamespace(kube, "leader");
});
afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill("SIGKILL")));
  await kube.delete(Resources.Namespace, undefined, ns);
  kube.close();
});

const leaderFlag = async (p: OperatorProcess) => metricValue(await metricsText(p.healthPort), "fixops_leader") ?? 0;
const reconciles = async (p: OperatorProcess) => {
  const t = await metricsText(p.healthPort);
  return ["success", "requeue", "error"].reduce((n, result) => n + (metricValue(t, "fixops_reconcile_total", { kind: "RiskException", result }) ?? 0), 0);
};

describe("leader election", () => {
  it("lets exactly one of two replicas reconcile, and fails over within the lease duration after SIGKILL", async () => {
    const a = await spawnOperator({ watchNamespace: ns, identity: "replica-a" });
    procs.push(a);
    await waitFor("replica-a to lead", async () => ((await leaderFlag(a)) === 1 ? true : undefined), 20_000);
    const b = await spawnOperator({ watchNamespace: ns, identity: "replica-b" });
    procs.push(b);
    await waitFor("replica-b ready", async () => ((await fetch(`http://127.0.0.1:${b.healthPort}/readyz`)).ok ? true : undefined), 20_000);

    await kube.create(Resources.RiskException, {
      metadata: { name: "e1", namespace: ns },
      spec: { vulnerabilityIds: ["CVE-2023-0286"], expiresAt: "2031-01-01T00:00:00Z", approver: "a", reason: "r" },
    });
    await waitForObject(kube, Resources.RiskException, ns, "e1", (o) => readyCondition(o)?.status === "True");
    expect(await leaderFlag(a)).toBe(1);
    expect(await leaderFlag(b)).toBe(0);
    expect(await reconciles(a)).toBeGreaterThan(0);
    expect(await reconciles(b)).toBe(0);

    const lease = await kube.get<KubeObject & { spec: { holderIdentity: string; leaseDurationSeconds: number } }>(Resources.Lease, ns, "fixops-operator-leader");
    expect(lease!.spec.holderIdentity).toBe("replica-a");

    const killedAt = Date.now();
    await a.kill("SIGKILL");
    await waitFor("replica-b to take over", async () => ((await leaderFlag(b)) === 1 ? true : undefined), 15_000, 100);
    const takeover = Date.now() - killedAt;
    // Lease duration 4 s, retry period 1 s (+ jitter): the takeover must come within about that.
    expect(takeover).toBeLessThan(4_000 + 2_500);

    await kube.create(Resources.RiskException, {
      metadata: { name: "e2", namespace: ns },
      spec: { images: ["ghcr.io/acme/**"], expiresAt: "2031-01-01T00:00:00Z", approver: "a", reason: "r" },
    });
    await waitForObject(kube, Resources.RiskException, ns, "e2", (o) => readyCondition(o)?.status === "True");
    expect(await reconciles(b)).toBeGreaterThan(0);
    const after = await kube.get<KubeObject & { spec: { holderIdentity: string } }>(Resources.Lease, ns, "fixops-operator-leader");
    expect(after!.spec.holderIdentity).toBe("replica-b");
  });

  it("releases the lease on SIGTERM so a standby takes over at once", async () => {
    const b = procs.find((p) => p.identity === "replica-b")!;
    const c = await spawnOperator({ watchNamespace: ns, identity: "replica-c" });
    procs.push(c);
    const stoppedAt = Date.now();
    await b.kill("SIGTERM");
    expect(b.child.exitCode).toBe(0);
    await waitFor("replica-c to take over", async () => ((await leaderFlag(c)) === 1 ? true : undefined), 10_000, 100);
    // Released, not expired: faster than a lease duration.
    expect(Date.now() - stoppedAt).toBeLessThan(4_000);
  });
});
