// Reads a ScanResult's report from its Kubernetes source. Shared by the ScanResult controller and the
// admission index feeder, so both see the same bytes for the same object and never disagree.
import { Resources, type KubeObject, type KubePort } from "../../operator/kube/port.js";
import type { ReportSource } from "./validate.js";

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
