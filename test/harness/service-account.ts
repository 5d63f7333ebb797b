// A kubeconfig that authenticates as a ServiceAccount (its token Secret, as the 1.20 token controller
// creates it), for tests that check what the operator can do with exactly the rights RBAC gives it.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import type { KubeClient } from "../../operator/kube/client.js";
import { Resources, type KubeObject, type ResourceType } from "../../operator/kube/port.js";
import { kubeconfigYaml } from "./controlplane.js";
import { harnessEnv } from "./env.js";
import { waitFor } from "./ports.js";

export const ServiceAccount: ResourceType = { group: "", version: "v1", plural: "serviceaccounts", kind: "ServiceAccount", namespaced: true };

/** Waits for the ServiceAccount's token and writes a kubeconfig that uses it; returns its path. */
export async function serviceAccountKubeconfig(kube: KubeClient, namespace: string, name: string): Promise<string> {
  const sa = await waitFor("service account token", async () => {
    const o = await kube.get<KubeObject & { secrets?: { name: string }[] }>(ServiceAccount, namespace, name);
    return o?.secrets?.length ? o : undefined;
  }, 30_000);
  const tokenSecret = await kube.get<KubeObject & { data: { token: string } }>(Resources.Secret, namespace, sa.secrets![0]!.name);
  const token = Buffer.from(tokenSecret!.data.token, "base64").toString("utf8");
  const admin = parse(readFileSync(harnessEnv().kubeconfigPath, "utf8")) as { clusters: { cluster: { server: string; "certificate-authority": string } }[] };
  const path = join(mkdtempSync(join(tmpdir(), "fixops-sa-")), "kubeconfig");
  writeFileSync(path, kubeconfigYaml(admin.clusters[0]!.cluster.server, admin.clusters[0]!.cluster["certificate-authority"], token, namespace));
  return path;
}
