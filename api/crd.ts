// zod → structural openAPIV3Schema → CustomResourceDefinition (apiextensions.k8s.io/v1), valid on a
// Kubernetes 1.20 API server (no CEL). Used by gen-crds.ts (writes crds/*.yaml) and by the drift test.
import { z } from "zod";
import { GROUP, KINDS, VERSION, type KindDef } from "./v1alpha1/index.js";

type Schema = Record<string, unknown>;

/** Keys JSON Schema allows that a structural CRD schema does not, or that zod adds as noise. */
const DROP_KEYS = new Set(["$schema", "additionalProperties", "propertyNames", "id"]);

/**
 * Rewrite zod's OpenAPI 3.0 output into a structural schema:
 * - `additionalProperties: false` (strict objects) is dropped; a map (record) keeps its value schema;
 * - integers lose zod's ±MAX_SAFE_INTEGER bounds;
 * - every object/array gets a `type`.
 */
export function structural(schema: unknown): Schema {
  if (Array.isArray(schema)) return schema.map(structural) as unknown as Schema;
  if (schema === null || typeof schema !== "object") return schema as Schema;
  const src = schema as Schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(src)) {
    if (DROP_KEYS.has(k)) continue;
    if (k === "properties" || k === "definitions") {
      out[k] = Object.fromEntries(Object.entries(v as Schema).map(([pk, pv]) => [pk, structural(pv)]));
    } else if (k === "items" || k === "not") {
      out[k] = structural(v);
    } else if (k === "anyOf" || k === "allOf" || k === "oneOf") {
      out[k] = (v as unknown[]).map(structural);
    } else {
      out[k] = v;
    }
  }
  // A record (map): zod emits `additionalProperties: <schema>` with no `properties`.
  if (src.type === "object" && !src.properties && src.additionalProperties && typeof src.additionalProperties === "object") {
    out.additionalProperties = structural(src.additionalProperties);
  }
  if (out.type === "integer") {
    if (out.minimum === Number.MIN_SAFE_INTEGER) delete out.minimum;
    if (out.maximum === Number.MAX_SAFE_INTEGER) delete out.maximum;
  }
  return out;
}

export function openAPISchema(def: KindDef): Schema {
  const toSchema = (t: z.ZodType) => structural(z.toJSONSchema(t, { target: "openapi-3.0", io: "input", unrepresentable: "any" }));
  return {
    type: "object",
    description: def.description,
    required: ["spec"],
    properties: {
      apiVersion: { type: "string" },
      kind: { type: "string" },
      metadata: { type: "object" },
      spec: toSchema(def.spec),
      status: toSchema(def.status),
    },
  };
}

export function crdFor(def: KindDef): Schema {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: `${def.plural}.${GROUP}`,
      labels: { "app.kubernetes.io/part-of": "fixops" },
    },
    spec: {
      group: GROUP,
      scope: "Namespaced",
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        shortNames: def.shortNames,
        categories: ["fixops"],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: def.printerColumns,
          schema: { openAPIV3Schema: openAPISchema(def) },
        },
      ],
    },
  };
}

export function allCrds(): Schema[] {
  return KINDS.map((k) => crdFor(k as unknown as KindDef));
}
