// Building blocks shared by the five kinds. Everything here is plain zod: the same schemas give the
// TypeScript types, runtime validation, and (through ../gen-crds.ts) the CRD openAPIV3Schema.
import { z } from "zod";

export const GROUP = "fixops.io";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;

/** RFC 3339 timestamp; shows as `format: date-time` in the CRD (the API server checks it). */
export const dateTime = () =>
  z
    .string()
    .refine((s) => !Number.isNaN(Date.parse(s)), { message: "must be an RFC 3339 date-time" })
    .meta({ format: "date-time" });

/** Go-style duration limited to one unit, e.g. `30m`, `168h`, `7d`. */
export const DURATION_PATTERN = "^[0-9]+(s|m|h|d)$";
export const duration = () => z.string().regex(new RegExp(DURATION_PATTERN), "must be a duration like 30m, 24h or 7d");

export function parseDurationMs(d: string): number {
  const m = /^([0-9]+)(s|m|h|d)$/.exec(d);
  if (!m) throw new Error(`invalid duration ${JSON.stringify(d)}: expected e.g. 30m, 24h or 7d`);
  const n = Number(m[1]);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "s" | "m" | "h" | "d"];
  return n * unit;
}

export const DNS_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
export const objectName = () => z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a DNS subdomain name");

export const LocalObjectReference = z.object({ name: objectName() });
export type LocalObjectReference = z.infer<typeof LocalObjectReference>;

export const KeySelector = z.object({ name: objectName(), key: z.string().min(1) });
export type KeySelector = z.infer<typeof KeySelector>;

export const Severity = z.enum(["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"]);
export type Severity = z.infer<typeof Severity>;

export const Outcome = z.enum(["ALLOW", "BLOCK", "NEEDS_REVIEW"]);
export type Outcome = z.infer<typeof Outcome>;

export const Condition = z.object({
  type: z.string().min(1),
  status: z.enum(["True", "False", "Unknown"]),
  observedGeneration: z.number().int().min(0).optional(),
  lastTransitionTime: dateTime(),
  reason: z.string().min(1),
  message: z.string().max(32768),
});
export type Condition = z.infer<typeof Condition>;

export const Conditions = z.array(Condition).meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] });

export const LabelSelector = z.object({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z
    .array(
      z.object({
        key: z.string().min(1),
        operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});
export type LabelSelector = z.infer<typeof LabelSelector>;

/** Kubernetes object metadata as far as FixOps reads it. */
export const ObjectMeta = z.object({
  name: z.string(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  generation: z.number().optional(),
  resourceVersion: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  ownerReferences: z.array(z.record(z.string(), z.unknown())).optional(),
});
export type ObjectMeta = z.infer<typeof ObjectMeta>;

export const ArtifactRef = z.object({
  image: z.string().min(1).max(1024).describe("Image reference as deployed, e.g. ghcr.io/acme/api:1.4.2 or ghcr.io/acme/api@sha256:…"),
  digest: z
    .string()
    .regex(/^sha256:[a-f0-9]{64}$/, "must be sha256:<64 hex>")
    .optional()
    .describe("Content digest of the image; admission matches by digest first, then by tag."),
});
export type ArtifactRef = z.infer<typeof ArtifactRef>;
