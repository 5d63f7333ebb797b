// What an integration test file needs: the shared control plane and database (started by the global
// setup), a namespace of its own, and operators to run against them.
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { KubeClient } from "../../operator/kube/client.js";
import { Resources, type KubeObject } from "../../operator/kube/port.js";
import { createLogger } from "../../operator/logger.js";
import { waitFor } from "./ports.js";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export function harnessEnv(): { kubeconfigPath: string; databaseUrl: string; cpDir: string } {
  const kubeconfigPath = process.env.FIXOPS_TEST_KUBECONFIG;
  const databaseUrl = process.env.FIXOPS_TEST_DATABASE_URL;
  if (!kubeconfigPath || !databaseUrl) throw new Error("integration tests need the jest global setup (test/harness/global-setup.ts)");
  return { kubeconfigPath, databaseUrl, cpDir: process.env.FIXOPS_TEST_CP_DIR ?? "" };
}

export const quietLog = () => createLogger(process.env.FIXOPS_TEST_LOG_LEVEL ?? "silent");

export async function adminClient(): Promise<KubeClient> {
  return KubeClient.create({ kubeconfigPath: harnessEnv().kubeconfigPath, fieldManager: "fixops-test", log: quietLog() });
}

export const suffix = () => randomBytes(3).toString("hex");

/** A fresh namespace for one test file; delete it in afterAll. */
export async function createNamespace(kube: KubeClient, prefix: string): Promise<string> {
  const name = `${prefix}-${suffix()}`;
  await kube.create(Resources.Namespace, { metadata: { name, labels: { "fixops.io/test": "true" } } });
  return name;
}

/** A fresh database (on the shared server) so a test file's schema state is its own. */
export async function createDatabase(prefix: string): Promise<string> {
  const base = harnessEnv().databaseUrl;
  const name = `${prefix}_${suffix()}`.replace(/[^a-z0-9_]/g, "_");
  const c = new pg.Client(base);
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function metricsText(port: number): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${port}/metrics`);
  return r.text();
}

/** Value of one sample from a Prometheus exposition, e.g. metricValue(t, 'fixops_leader'). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[3] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[4]);
  }
  return undefined;
}

export async function waitForObject<T extends KubeObject>(
  kube: KubeClient,
  res: (typeof Resources)[keyof typeof Resources],
  namespace: string,
  name: string,
  pred: (o: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  let last: T | null = null;
  try {
    return await waitFor(`${res.kind} ${namespace}/${name}`, async () => {
      last = await kube.get<T>(res, namespace, name);
      return last && pred(last) ? last : undefined;
    }, timeoutMs, 100);
  } catch (err) {
    throw new Error(`${String(err)}\nlast seen: ${JSON.stringify(last && (last as KubeObject).status)}`);
  }
}

export function readyCondition(o: KubeObject): { status: string; reason: string; message: string; observedGeneration?: number } | undefined {
  const conds = (o.status as { conditions?: { type: string; status: string; reason: string; message: string; observedGeneration?: number }[] } | undefined)?.conditions;
  return conds?.find((c) => c.type === "Ready");
}
