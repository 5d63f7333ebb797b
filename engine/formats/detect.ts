// Report format detection from the document's own markers. Detection looks only at the top level
// of the document (the spine the lazy reader builds), so it costs nothing on large reports.
import type { ReportFormat } from "../model.js";
import { LazyArray } from "./json.js";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof LazyArray);
const has = (o: Record<string, unknown>, k: string): boolean => Object.hasOwn(o, k);

/** The format a parsed document is in; undefined when no known marker is present. */
export function detectFormat(root: unknown): ReportFormat | undefined {
  if (!isObject(root)) return undefined;
  if (root.bomFormat === "CycloneDX") return "cyclonedx";
  if (has(root, "spdxVersion")) return "spdx";
  const context = root["@context"];
  if (typeof context === "string" && context.startsWith("https://openvex.dev/ns")) return "openvex";
  // SPDX 3 is JSON-LD without spdxVersion; route it to the SPDX parser, which explains it is unsupported.
  if (typeof context === "string" && context.includes("spdx.org")) return "spdx";
  if (has(root, "SchemaVersion") && (has(root, "Results") || has(root, "ArtifactName"))) return "trivy";
  if (has(root, "ClusterName") && (has(root, "Resources") || has(root, "Vulnerabilities") || has(root, "Misconfigurations"))) return "trivy";
  if (has(root, "matches") && (has(root, "source") || has(root, "descriptor") || root.matches instanceof LazyArray || Array.isArray(root.matches))) return "grype";
  if (has(root, "runs") && (typeof root.version === "string" || typeof root.$schema === "string")) return "sarif";
  return undefined;
}

/**
 * A best guess from the first bytes, used only to name the format in a syntax error when the
 * document is too broken to detect properly.
 */
export function sniffFormat(head: string): ReportFormat | undefined {
  if (/"bomFormat"\s*:\s*"CycloneDX"/.test(head)) return "cyclonedx";
  if (/"spdxVersion"\s*:/.test(head)) return "spdx";
  if (/"@context"\s*:\s*"https:\/\/openvex\.dev/.test(head)) return "openvex";
  if (/"SchemaVersion"\s*:|"ClusterName"\s*:/.test(head)) return "trivy";
  if (/"matches"\s*:/.test(head)) return "grype";
  if (/"runs"\s*:|sarif/i.test(head)) return "sarif";
  return undefined;
}
