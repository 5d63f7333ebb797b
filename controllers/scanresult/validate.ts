// Pure: a ScanResult must name exactly one report source.
import { ScanResultSpec } from "../../api/v1alpha1/index.js";
import { parseSpec } from "../shared/spec.js";

export type ReportSource =
  | { kind: "inline"; text: string }
  | { kind: "configMap"; name: string; key: string }
  | { kind: "secret"; name: string; key: string }
  | { kind: "stored"; digest: string };

export function validateScanResult(spec: unknown): { ok: true; spec: ScanResultSpec; source: ReportSource } | { ok: false; message: string } {
  const parsed = parseSpec(ScanResultSpec, spec);
  if (!parsed.ok) return parsed;
  const r = parsed.spec.report;
  const sources: ReportSource[] = [];
  if (r.inline !== undefined) sources.push({ kind: "inline", text: r.inline });
  if (r.configMapKeyRef) sources.push({ kind: "configMap", ...r.configMapKeyRef });
  if (r.secretKeyRef) sources.push({ kind: "secret", ...r.secretKeyRef });
  if (r.storedRef) sources.push({ kind: "stored", digest: r.storedRef.digest });
  if (sources.length !== 1) {
    return {
      ok: false,
      message: `spec.report must have exactly one of inline, configMapKeyRef, secretKeyRef, storedRef (found ${sources.length === 0 ? "none" : sources.map((s) => s.kind).join(", ")})`,
    };
  }
  return { ok: true, spec: parsed.spec, source: sources[0]! };
}
