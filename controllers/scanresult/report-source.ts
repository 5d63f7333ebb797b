// Reads a ScanResult's report from its Kubernetes source. Shared by the ScanResult controller and the
// admission index feeder, so both see the same bytes for the same object and never disagree.
import { gunzipSync } from "node:zlib";
import type pg from "pg";
import { Resources, type KubeObject, type KubePort } from "../../operator/kube/port.js";
import type { ReportSource } from "./validate.js";

/** Reads a report `fixops push` stored for a namespace; null when there is none. */
export type StoredReports = (namespace: string, digest: string) => Promise<Buffer | null>;

/** Stored reports in the ledger (table reports); a namespace sees only its own. */
export const ledgerReports =
  (pool: pg.Pool): StoredReports =>
  async (namespace, digest) => {
    const r = await pool.query<{ body_gzip: Buffer }>("SELECT body_gzip FROM reports WHERE namespace = $1 AND digest = $2", [namespace, digest]);
    return r.rows[0] ? gunzipSync(r.rows[0].body_gzip) : null;
  };

/** Any report source: the cluster's (inline, ConfigMap, Secret) or the ledger's. */
export async function readReportSource(kube: Pick<KubePort, "get">, stored: StoredReports, namespace: string, src: ReportSource): Promise<ReadReport> {
  if (src.kind !== "stored") return readClusterReport(kube, namespace, src);
  const bytes = await stored(namespace, src.digest);
  if (!bytes) return { ok: false, reason: "ReportNotFound", message: `no report ${src.digest} is stored for namespace ${namespace} (store it with \`fixops push --namespace ${namespace}\`)` };
  return { ok: true, bytes };
}

export type ClusterReportSource = Exclude<ReportSource, { kind: "stored" }>;
export type ReadReport = { ok: true; bytes: Buffer } | { ok: false; reason: "ReportNotFound"; message: string };

type ConfigMapObject = KubeObject & { data?: Record<string, string>; binaryData?: Record<string, string> };
type SecretObject = KubeObject & { data?: Record<string, string> };

export async function readClusterReport(kube: Pick<KubePort, "get">, namespace: string, src: ClusterReportSource): Promise<ReadReport> {
  const missing = (message: string): ReadReport => ({ ok: false, reason: "ReportNotFound", message });
  switch (src.kind) {
    case "inline":
      return { ok: true, bytes: Buffer.from(src.text, "utf8") };
    case "configMap": {
      const cm = await kube.get<ConfigMapObject>(Resources.ConfigMap, namespace, src.name);
      if (!cm) return missing(`ConfigMap ${namespace}/${src.name} not found`);
      if (cm.data?.[src.key] !== undefined) return { ok: true, bytes: Buffer.from(cm.data[src.key]!, "utf8") };
      if (cm.binaryData?.[src.key] !== undefined) return { ok: true, bytes: Buffer.from(cm.binaryData[src.key]!, "base64") };
      return missing(`ConfigMap ${namespace}/${src.name} has no key ${JSON.stringify(src.key)}`);
    }
    case "secret": {
      const s = await kube.get<SecretObject>(Resources.Secret, namespace, src.name);
      if (!s) return missing(`Secret ${namespace}/${src.name} not found`);
      if (s.data?.[src.key] === undefined) return missing(`Secret ${namespace}/${src.name} has no key ${JSON.stringify(src.key)}`);
      return { ok: true, bytes: Buffer.from(s.data[src.key]!, "base64") };
    }
  }
}
