// /readyz stays not-ready until the informers' caches have synced. Real scenario: the operator's
// ServiceAccount cannot yet list FixOps kinds (RBAC not granted) → 503; grant it → ready.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { KubeClient } from "../../operator/kube/client.js";
import { Resources, type ResourceType } from "../../operator/kube/port.js";
import type { RunningOperator } from "../../operator/main.js";
import { ServiceAccount, serviceAccountKubeconfig } from "../harness/service-account.js";
import { adminClient, createNamespace } from "../harness/env.js";
import { operatorConfig, runOperatorInProcess } from "../harness/operator.js";
import { waitFor } from "../harness/ports.js";

const rbac = (plural: string): ResourceType => ({ group: "rbac.authorization.k8s.io", version: "v1", plural, kind: plural === "roles" ? "Role" : "RoleBinding", namespaced: true });

let kube: KubeClient;
let ns: string;
let op: RunningOperator | undefined;

beforeAll(async () => {
  kube = await adminClient();
  ns = await createNamespace(kube, "ready");
});
afterAll(async () => {
  await op?.stop();
  await kube.delete(Resources.Namespace, undefined, ns);
  kube.close();
});

async function role(name: string, rules: unknown[]): Promise<void> {
  await kube.create(rbac("roles"), { metadata: { name, namespace: ns }, rules });
  await kube.create(rbac("rolebindings"), {
    metadata: { name, namespace: ns },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
    subjects: [{ kind: "ServiceAccount", name: "fixops", namespace: ns }],
  });
}

describe("readiness", () => {
  it("answers 503 on /readyz until the caches can sync, then 200", async () => {
    await kube.create(ServiceAccount, { metadata: { name: "fixops", namespace: ns } });
    const kubeconfig = await serviceAccountKubeconfig(kube, ns, "fixops");
    // Enough to run (leader Lease), not enough to list FixOps kinds.
    await role("lease", [{ apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] }]);

    op = await runOperatorInProcess(await operatorConfig({ watchNamespace: ns, kubeconfig }));
    await new Promise((r) => setTimeout(r, 2_000));
    const notReady = await fetch(`http://127.0.0.1:${op.healthPort}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toContain("[-]informers-synced failed");
    // Liveness is separate from readiness: the process is healthy, just not ready.
    expect((await fetch(`http://127.0.0.1:${op.healthPort}/healthz`)).status).toBe(200);

    await role("fixops", [
      { apiGroups: ["fixops.io"], resources: ["*"], verbs: ["get", "list", "watch"] },
      { apiGroups: ["fixops.io"], resources: ["*/status"], verbs: ["patch", "update"] },
      { apiGroups: [""], resources: ["events", "secrets"], verbs: ["get", "create", "patch"] },
    ]);
    await waitFor("/readyz 200 after RBAC is granted", async () => ((await fetch(`http://127.0.0.1:${op!.healthPort}/readyz`)).status === 200 ? true : undefined), 60_000, 500);
  });
});
