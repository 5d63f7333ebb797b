// Integration readiness comes from a real authenticated call to the ALM (the Jira stand-in on
// loopback), with the ALM's own error in the condition; Secrets come only from the own namespace.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { KubeClient } from "../../operator/kube/client.js";
import { Resources, type KubeObject } from "../../operator/kube/port.js";
import type { RunningOperator } from "../../operator/main.js";
import { JIRA_BOT, JiraStandIn } from "../alm/index.js";
import { adminClient, createNamespace, readyCondition, waitForObject } from "../harness/env.js";
import { operatorConfig, runOperatorInProcess } from "../harness/operator.js";

let kube: KubeClient;
let ns: string;
let other: string;
let op: RunningOperator;
let jira: JiraStandIn;

const secret = (namespace: string, name: string, data: Record<string, string>) =>
  kube.create(Resources.Secret, { metadata: { name, namespace }, stringData: data });
const integration = (name: string, spec: Record<string, unknown>) =>
  kube.create(Resources.Integration, {
    metadata: { name, namespace: ns },
    spec: { type: "jira", url: jira.baseUrl, jira: { projectKey: "SEC" }, network: { allowPrivateAddresses: true }, ...spec },
  });
const readyIs = (status: string) => (o: KubeObject) => readyCondition(o)?.status === status && readyCondition(o)?.observedGeneration === o.metadata.generation;

beforeAll(async () => {
  jira = await new JiraStandIn({ flavor: "cloud" }).start();
  kube = await adminClient();
  ns = await createNamespace(kube, "integ");
  other = await createNamespace(kube, "integ-other");
  op = await runOperatorInProcess(await operatorConfig({ watchNamespace: ns }));
});
afterAll(async () => {
  await op?.stop();
  await jira?.close();
  await kube.delete(Resources.Namespace, undefined, ns);
  await kube.delete(Resources.Namespace, undefined, other);
  kube.close();
});

describe("Integration controller", () => {
  it("is Ready only after the ALM accepted the credentials, naming the account", async () => {
    const before = jira.requests();
    await secret(ns, "jira-good", { username: JIRA_BOT.email ?? "", token: JIRA_BOT.token });
    await integration("good", { credentialsSecretRef: { name: "jira-good" } });
    const o = await waitForObject(kube, Resources.Integration, ns, "good", readyIs("True"));
    expect(readyCondition(o)!.reason).toBe("CredentialsVerified");
    expect((o.status as { account: string }).account).toContain(JIRA_BOT.accountId);
    expect(jira.requests()).toBeGreaterThan(before);
  });

  it("reports the ALM's rejection of a bad token without leaking the token", async () => {
    await secret(ns, "jira-bad", { username: JIRA_BOT.email ?? "", token: "wrong-token-abcdef" });
    await integration("bad", { credentialsSecretRef: { name: "jira-bad" } });
    const o = await waitForObject(kube, Resources.Integration, ns, "bad", readyIs("False"));
    expect(readyCondition(o)!.reason).toBe("CredentialsRejected");
    expect(readyCondition(o)!.message).not.toContain("wrong-token-abcdef");
    expect(readyCondition(o)!.message).toMatch(/401|unauthori[sz]ed|credentials/i);
  });

  it("never reads a Secret from another namespace", async () => {
    await secret(other, "jira-elsewhere", { username: JIRA_BOT.email ?? "", token: JIRA_BOT.token });
    await integration("cross-tenant", { credentialsSecretRef: { name: "jira-elsewhere" } });
    const o = await waitForObject(kube, Resources.Integration, ns, "cross-tenant", readyIs("False"));
    expect(readyCondition(o)!.reason).toBe("SecretNotFound");
    expect(readyCondition(o)!.message).toContain(ns);
  });

  it("refuses a link-local (cloud metadata) URL before sending anything", async () => {
    const before = jira.requests();
    await secret(ns, "jira-meta", { username: JIRA_BOT.email ?? "", token: JIRA_BOT.token });
    await integration("metadata", { url: "http://169.254.169.254/latest", credentialsSecretRef: { name: "jira-meta" } });
    const o = await waitForObject(kube, Resources.Integration, ns, "metadata", readyIs("False"));
    expect(readyCondition(o)!.reason).toBe("InvalidSpec");
    expect(readyCondition(o)!.message).toMatch(/spec\.url/);
    expect(jira.requests()).toBe(before);
  });

  it("says which Secret keys are missing", async () => {
    await secret(ns, "jira-empty", { user: "x" });
    await integration("empty", { credentialsSecretRef: { name: "jira-empty" } });
    const o = await waitForObject(kube, Resources.Integration, ns, "empty", readyIs("False"));
    expect(readyCondition(o)).toMatchObject({ reason: "InvalidSecret" });
    expect(readyCondition(o)!.message).toContain("username+token");
  });
});
