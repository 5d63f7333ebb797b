// Renders charts/fixops-operator the way `helm template` would for the subset of Go templating the
// chart uses: `{{ .Values.a.b }}`, `{{ .Release.Name }}`, `{{ .Release.Namespace }}`. Any other
// template action is an error, so the chart cannot grow logic this renderer (and its tests) would
// silently skip.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { ROOT } from "../harness/env.js";

export const CHART_DIR = join(ROOT, "charts", "fixops-operator");

export interface Release {
  name: string;
  namespace: string;
}

export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } } & Record<string, unknown>;

export function chartValues(): Record<string, unknown> {
  return parse(readFileSync(join(CHART_DIR, "values.yaml"), "utf8")) as Record<string, unknown>;
}

function lookup(values: Record<string, unknown>, path: string, file: string): string {
  let v: unknown = values;
  for (const k of path.split(".")) {
    if (typeof v !== "object" || v === null || !(k in v)) throw new Error(`${file}: .Values.${path} is not set in values.yaml`);
    v = (v as Record<string, unknown>)[k];
  }
  if (typeof v === "object") throw new Error(`${file}: .Values.${path} is not a scalar`);
  return String(v);
}

export function renderChart(release: Release, values: Record<string, unknown> = chartValues()): Manifest[] {
  const out: Manifest[] = [];
  const dir = join(CHART_DIR, "templates");
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort()) {
    const text = readFileSync(join(dir, file), "utf8").replace(/\{\{-?\s*([^}]*?)\s*-?\}\}/g, (_m, action: string) => {
      if (action === ".Release.Name") return release.name;
      if (action === ".Release.Namespace") return release.namespace;
      const m = /^\.Values\.([A-Za-z0-9_.]+)$/.exec(action);
      if (m) return lookup(values, m[1]!, file);
      throw new Error(`${file}: template action {{ ${action} }} is outside what the chart may use`);
    });
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0]!.message}`);
      const m = doc.toJS() as Manifest | null;
      if (m) out.push(m);
    }
  }
  return out;
}
