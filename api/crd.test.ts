// The committed CRD files must be exactly what the zod API generates (`npm run gen:crds`).
import { describe, expect, it } from "@jest/globals";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { parse, parseAllDocuments } from "yaml";
import { CRD_DIRS, renderCrdFiles } from "./render.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

describe("CRD generation", () => {
  const rendered = renderCrdFiles();

  it.each(CRD_DIRS)("committed %s/*.yaml match the zod API (run `npm run gen:crds` after changing api/)", (dir) => {
    const committed = readdirSync(join(root, dir)).filter((f) => f.endsWith(".yaml")).sort();
    expect(committed).toEqual(rendered.map((r) => r.file).sort());
    for (const r of rendered) expect(readFileSync(join(root, dir, r.file), "utf8")).toBe(r.yaml);
  });

  it("produces structural schemas: every object and array has a type, no additionalProperties beside properties", () => {
    const walk = (s: Record<string, unknown>, path: string): string[] => {
      const errs: string[] = [];
      if (!("type" in s) && !("x-kubernetes-int-or-string" in s) && !("x-kubernetes-preserve-unknown-fields" in s)) errs.push(`${path}: no type`);
      if (s.properties && s.additionalProperties) errs.push(`${path}: both properties and additionalProperties`);
      for (const [k, v] of Object.entries((s.properties ?? {}) as Record<string, Record<string, unknown>>)) errs.push(...walk(v, `${path}.${k}`));
      if (s.items) errs.push(...walk(s.items as Record<string, unknown>, `${path}[]`));
      if (s.additionalProperties && typeof s.additionalProperties === "object") errs.push(...walk(s.additionalProperties as Record<string, unknown>, `${path}{}`));
      return errs;
    };
    for (const r of rendered) {
      const crd = parse(r.yaml) as { spec: { versions: { schema: { openAPIV3Schema: Record<string, unknown> } }[] } };
      expect(walk(crd.spec.versions[0]!.schema.openAPIV3Schema, r.file)).toEqual([]);
    }
  });

  it("validates every sample against its CRD schema with ajv", () => {
    const ajv = new Ajv({ allErrors: true, strict: true });
    ajv.addVocabulary(["x-kubernetes-list-type", "x-kubernetes-list-map-keys", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-int-or-string"]);
    addFormatsModule.default(ajv);
    const byKind = new Map<string, ReturnType<typeof ajv.compile>>();
    for (const r of rendered) {
      const crd = parse(r.yaml) as { spec: { names: { kind: string }; versions: { schema: { openAPIV3Schema: object } }[] } };
      byKind.set(crd.spec.names.kind, ajv.compile(crd.spec.versions[0]!.schema.openAPIV3Schema));
    }
    const dir = join(root, "crds", "samples");
    let checked = 0;
    for (const f of readdirSync(dir)) {
      for (const doc of parseAllDocuments(readFileSync(join(dir, f), "utf8"))) {
        const obj = doc.toJS() as { kind: string };
        const validate = byKind.get(obj.kind);
        if (!validate) continue;
        const ok = validate(obj);
        expect({ file: f, errors: ok ? null : validate.errors }).toEqual({ file: f, errors: null });
        checked++;
      }
    }
    expect(checked).toBe(5);
  });
});
