// Malformed or hostile AdmissionReview bodies from a seeded generator (so a failure reproduces), shared
// by the server's fuzz test and the one against the operator's running webhook.
import { admissionReview, podSpec, workloadObject } from "../admission/test-builders.js";
import { seededRandom } from "../../test/support/seeded-random.js";

export type Json = Record<string, unknown>;
/** A well-formed Deployment review, the base that each generator breaks. */
export const validReview = (): Json =>
  admissionReview(
    "Deployment",
    workloadObject("Deployment", "api", podSpec([{ name: "api", image: "ghcr.io/acme/api:1" }], { initContainers: [{ name: "init", image: "busybox" }] })),
  ) as unknown as Json;
const req = (r: Json) => r.request as Json;
const obj = (r: Json) => req(r).object as Json;
const tmplSpec = (r: Json) => ((obj(r).spec as Json).template as Json).spec as Json;

export interface FuzzCase {
  kind: string;
  body: string | Buffer;
  headers?: Record<string, string>;
  method?: string;
  chunked?: boolean;
}

const WRONG_VALUES: unknown[] = [42, -1, 1e308, true, false, [], [1, 2], {}, { a: 1 }, "", "x", null];

/** Each generator yields a body that is invalid by construction (never a well-formed review). */
function generators(rand: () => number): Array<() => FuzzCase> {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const text = (n: number) => Array.from({ length: n }, () => String.fromCharCode(32 + Math.floor(rand() * 95))).join("");
  const deep = (depth: number, open: string, close: string, inner = "1") => open.repeat(depth) + inner + close.repeat(depth);
  return [
    () => {
      const s = JSON.stringify(validReview());
      return { kind: "truncated", body: s.slice(0, Math.floor(rand() * (s.length - 1))) };
    },
    () => {
      const r = validReview();
      const field = pick(["uid", "operation", "kind", "namespace", "name", "userInfo", "dryRun", "resource"] as const);
      // What the field accepts; a drawn value that would be accepted is swapped for one that is not.
      const accepts: Record<typeof field, (v: unknown) => boolean> = {
        uid: (v) => typeof v === "string" && v !== "",
        operation: () => false,
        kind: () => false,
        namespace: (v) => v === null || typeof v === "string",
        name: (v) => v === null || typeof v === "string",
        userInfo: (v) => v === null || (typeof v === "object" && !Array.isArray(v)),
        dryRun: (v) => v === null || typeof v === "boolean",
        resource: (v) => v === null,
      };
      const drawn = pick(WRONG_VALUES);
      const ok = accepts[field](drawn) ? [7] : drawn;
      req(r)[field] = ok;
      return { kind: `wrong-type:${field}`, body: JSON.stringify(r) };
    },
    () => {
      const r = validReview();
      const where = pick(["containers", "initContainers", "image", "container", "labels", "label-value", "template", "spec", "object"] as const);
      const bad = pick([42, "nginx", true, [1], { x: 1 }] as unknown[]);
      if (where === "containers" || where === "initContainers") tmplSpec(r)[where] = typeof bad === "object" && Array.isArray(bad) ? "nginx" : bad;
      else if (where === "image") (tmplSpec(r).containers as Json[])[0]!.image = typeof bad === "string" ? 42 : bad;
      else if (where === "container") (tmplSpec(r).containers as unknown[])[0] = typeof bad === "object" && !Array.isArray(bad) ? "c" : bad;
      else if (where === "labels") ((obj(r).spec as Json).template as Json).metadata = { labels: typeof bad === "object" && !Array.isArray(bad) ? "l" : bad };
      else if (where === "label-value") ((obj(r).spec as Json).template as Json).metadata = { labels: { app: typeof bad === "string" ? 1 : bad } };
      else if (where === "template") (obj(r).spec as Json).template = typeof bad === "object" && !Array.isArray(bad) ? null : bad;
      else if (where === "spec") ((obj(r).spec as Json).template as Json).spec = typeof bad === "object" && !Array.isArray(bad) ? [] : bad;
      else req(r).object = typeof bad === "object" && !Array.isArray(bad) ? "obj" : bad;
      return { kind: `bad-pod:${where}`, body: JSON.stringify(r) };
    },
    () => {
      const r = validReview();
      const field = pick(["uid", "namespace", "name"] as const);
      req(r)[field] = "A".repeat(300 + Math.floor(rand() * 200_000));
      return { kind: `huge-string:${field}`, body: JSON.stringify(r) };
    },
    () => {
      const depth = 1_000 + Math.floor(rand() * 50_000);
      const variant = pick(["array-body", "object-request", "image"] as const);
      if (variant === "array-body") return { kind: "deep:array", body: deep(depth, "[", "]") };
      if (variant === "object-request") {
        return { kind: "deep:request", body: `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":${deep(depth, "[", "]")}}` };
      }
      const s = JSON.stringify(validReview()).replace('"image":"ghcr.io/acme/api:1"', `"image":${deep(depth, '{"a":', "}")}`);
      return { kind: "deep:image", body: s };
    },
    () => {
      const r = validReview();
      delete req(r).uid;
      return { kind: "missing-uid", body: JSON.stringify(r) };
    },
    () => {
      // Prototype-pollution keys, combined with a defect so that the review stays invalid.
      const s = JSON.stringify(validReview())
        .replace('{"apiVersion"', '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"apiVersion"')
        .replace('"labels":{"app":"api"}', '"labels":{"__proto__":{"polluted":"yes"},"app":"api"}');
      const broken = pick([s.replace('"uid":', '"uidx":'), s, s.replace('"operation":"CREATE"', '"operation":"__proto__"')]);
      return { kind: "proto", body: broken };
    },
    () => ({ kind: "garbage", body: Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 4096) }, () => Math.floor(rand() * 256))) }),
    () => ({ kind: "primitive", body: pick(["null", "42", '"AdmissionReview"', "true", "[]", "{}", "NaN", "Infinity", "\uFEFF{}", "{'a':1}", '{"a":1,}', "  "]) }),
    () => {
      const r = validReview();
      const v = pick([
        () => ({ ...r, apiVersion: "admission.k8s.io/v1beta1" }),
        () => ({ ...r, kind: "AdmissionReviewList" }),
        () => ({ ...r, request: undefined }),
        () => [r],
        () => ({ ...r, request: { ...req(r), operation: "CREATE", object: null } }),
        () => ({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { uid: text(8) } }),
      ])();
      return { kind: "envelope", body: JSON.stringify(v) };
    },
    () => ({ kind: "content-type", body: JSON.stringify(validReview()), headers: { "content-type": pick(["text/plain", "application/x-www-form-urlencoded", "application/yaml", ""]) } }),
    () => ({ kind: "method", body: JSON.stringify(validReview()), method: pick(["PUT", "DELETE", "PATCH"]) }),
  ];
}

function oversized(rand: () => number, maxBody: number): FuzzCase {
  const body = Buffer.alloc(maxBody + 1 + Math.floor(rand() * 512 * 1024), 0x7b);
  return { kind: "oversized", body, chunked: rand() < 0.5 };
}

/** `total` cases from `seed`; every 100th is larger than `maxBody` (expect 413). */
export function buildFuzzCases(seed: number, total: number, maxBody: number): FuzzCase[] {
  const rand = seededRandom(seed);
  const gens = generators(rand);
  const cases: FuzzCase[] = [];
  for (let i = 0; i < total; i++) cases.push(i % 100 === 0 ? oversized(rand, maxBody) : gens[i % gens.length]!());
  return cases;
}

