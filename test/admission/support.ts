// Shared by the admission integration tests: a raw API-server client (to see admission warnings and
// to dry-run), and small builders for ScanResults and Deployments.
import type { RequestOptions } from "node:https";
import { Agent, request } from "undici";
import { ConflictError } from "../../operator/errors.js";
import { loadKubeConfig } from "../../operator/kube/client.js";
import type { KubeObject, KubePort, ResourceType } from "../../operator/kube/port.js";
import { harnessEnv } from "../harness/env.js";
import { trivyReport } from "../support/reports.js";

/** The API server without the KubeClient, to see admission warnings (the `Warning` header) and to dry-run. */
export interface RawClient {
  post(path: string, body: unknown, query?: Record<string, string>): Promise<{ status: number; body: { message?: string }; warnings: string[] }>;
  close(): Promise<void>;
}

export async function rawClient(): Promise<RawClient> {
  const kc = loadKubeConfig(harnessEnv().kubeconfigPath);
  const tls: RequestOptions = { headers: {} };
  await kc.applyToHTTPSOptions(tls);
  const agent = new Agent({ connect: { ca: tls.ca as string, cert: tls.cert as string, key: tls.key as string, rejectUnauthorized: tls.rejectUnauthorized !== false } });
  const server = kc.getCurrentCluster()!.server.replace(/\/$/, "");
  const headers: Record<string, string> = { accept: "application/json", "content-type": "application/json" };
  for (const [k, v] of Object.entries(tls.headers ?? {})) if (typeof v === "string") headers[k.toLowerCase()] = v;
  return {
    async post(path, body, query) {
      const qs = query ? `?${new URLSearchParams(query).toString()}` : "";
      const res = await request(`${server}${path}${qs}`, { method: "POST", headers, body: JSON.stringify(body), dispatcher: agent });
      const text = await res.body.text();
      const w = res.headers["warning"];
      const warnings = (Array.isArray(w) ? w : w ? [w] : []).flatMap((x) => x.split(/,(?=\s*299 )/));
      return { status: res.statusCode, body: text ? (JSON.parse(text) as { message?: string }) : {}, warnings };
    },
    close: () => agent.close(),
  };
}

export const scanResult = (namespace: string, name: string, image: string, vulns: { id: string; severity: string }[]) => ({
  metadata: { name, namespace },
  spec: { artifact: { image }, scanner: { name: "trivy" }, report: { inline: trivyReport(image, vulns) }, scannedAt: new Date().toISOString() },
});

export const deployment = (namespace: string, name: string, image: string) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "main", image }] } },
  },
});

export const deploymentsPath = (namespace: string) => `/apis/apps/v1/namespaces/${namespace}/deployments`;

/**
 * Re-reads an object and replaces it with `change` applied, retrying on a 409: the operator writes the
 * status of the same objects (e.g. a PolicyGate's counts) at any time.
 */
export async function updateObject(kube: KubePort, type: ResourceType, namespace: string, name: string, change: (o: KubeObject) => KubeObject): Promise<KubeObject> {
  for (let attempt = 0; ; attempt++) {
    const current = await kube.get<KubeObject>(type, namespace, name);
    if (!current) throw new Error(`${type.kind} ${namespace}/${name} not found`);
    try {
      return await kube.replace<KubeObject>(type, change(current));
    } catch (err) {
      if (!(err instanceof ConflictError) || attempt >= 10) throw err;
    }
  }
}
