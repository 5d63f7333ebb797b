// Create-or-update manifests (CRDs, samples) as raw JSON through the project's KubePort.
// (client-node's typed object API re-serialises CRD schemas through its models and loses keywords.)
import { parseAllDocuments } from "yaml";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ConflictError, KubeApiError } from "../../operator/errors.js";
import type { KubePort, KubeObject, ResourceType } from "../../operator/kube/port.js";
import { Resources } from "../../operator/kube/port.js";
import { waitFor } from "./ports.js";

export const CRD: ResourceType = { group: "apiextensions.k8s.io", version: "v1", plural: "customresourcedefinitions", kind: "CustomResourceDefinition", namespaced: false };

const KNOWN: ResourceType[] = [CRD, ...Object.values(Resources)];

export function resourceFor(obj: KubeObject): ResourceType {
  const [group, version] = obj.apiVersion?.includes("/") ? obj.apiVersion.split("/") : ["", obj.apiVersion];
  const res = KNOWN.find((r) => r.kind === obj.kind && r.group === group && r.version === version);
  if (!res) throw new Error(`no resource mapping for ${obj.apiVersion} ${obj.kind}`);
  return res;
}

export function readManifests(pathOrDir: string): KubeObject[] {
  const files = /\.ya?ml$/.test(pathOrDir)
    ? [pathOrDir]
    : readdirSync(pathOrDir).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(pathOrDir, f));
  const out: KubeObject[] = [];
  for (const f of files) {
    for (const doc of parseAllDocuments(readFileSync(f, "utf8"))) {
      if (doc.errors.length) throw new Error(`${f}: ${doc.errors[0]!.message}`);
      const obj = doc.toJS() as KubeObject | null;
      if (obj) out.push(obj);
    }
  }
  return out;
}

export async function applyObjects(kube: KubePort, objs: KubeObject[], defaultNamespace?: string): Promise<KubeObject[]> {
  const applied: KubeObject[] = [];
  for (const o of objs) {
    const obj = structuredClone(o);
    const res = resourceFor(obj);
    if (res.namespaced && defaultNamespace) obj.metadata = { ...obj.metadata, namespace: obj.metadata.namespace ?? defaultNamespace };
    try {
      applied.push(await kube.create(res, obj));
    } catch (err) {
      const exists = err instanceof ConflictError || (err instanceof KubeApiError && err.status === 409);
      if (!exists) throw err;
      const current = await kube.get(res, obj.metadata.namespace, obj.metadata.name);
      obj.metadata = { ...obj.metadata, resourceVersion: current?.metadata.resourceVersion };
      applied.push(await kube.replace(res, obj));
    }
  }
  return applied;
}

export async function installCrds(kube: KubePort, crdDir: string): Promise<void> {
  const crds = readManifests(crdDir).filter((o) => o.kind === "CustomResourceDefinition");
  await applyObjects(kube, crds);
  for (const crd of crds) {
    await waitFor(`CRD ${crd.metadata.name} Established`, async () => {
      const c = await kube.get<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(CRD, undefined, crd.metadata.name);
      return c?.status?.conditions?.some((x) => x.type === "Established" && x.status === "True") ? true : undefined;
    }, 30_000, 100);
  }
}
