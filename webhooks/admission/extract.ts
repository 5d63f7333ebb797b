// Which containers (and images) an admission request would run, for Pods and the six pod-template
// kinds. The object comes from the API server after schema validation, so a wrong shape means the
// body did not come from the API server: it is reported as malformed (400), never guessed around.
import { MalformedReviewError, isPlainObject } from "./review.js";
import type { AdmissionReviewRequest } from "./types.js";

export type ContainerType = "container" | "initContainer" | "ephemeralContainer";

export interface ContainerImage {
  name: string;
  image: string;
  type: ContainerType;
}

export interface PodSpecs {
  /** Kind as in the request, e.g. Deployment, CronJob, Pod. */
  kind: string;
  containers: ContainerImage[];
  /** Pod-template labels (a Pod's own labels), as a null-prototype object. */
  labels: Record<string, string>;
}

/** Where the pod template sits, per `group/Kind` (version-independent: CronJob is batch/v1beta1 on 1.20). */
const TEMPLATE_PATHS: ReadonlyMap<string, readonly string[]> = new Map([
  ["/Pod", []],
  ["apps/Deployment", ["spec", "template"]],
  ["apps/StatefulSet", ["spec", "template"]],
  ["apps/DaemonSet", ["spec", "template"]],
  ["apps/ReplicaSet", ["spec", "template"]],
  ["batch/Job", ["spec", "template"]],
  ["batch/CronJob", ["spec", "jobTemplate", "spec", "template"]],
]);

const MAX_CONTAINERS = 1000;
const MAX_LABELS = 1000;

/** True when the request's kind is one the workload webhook gates. */
export function isGatedKind(review: AdmissionReviewRequest): boolean {
  const { group, kind } = review.request.kind;
  return TEMPLATE_PATHS.has(`${group}/${kind}`) || isEphemeralContainersRequest(review);
}

/** 1.20 sends the `pods/ephemeralcontainers` subresource as an `EphemeralContainers` object (1.22+: a Pod). */
function isEphemeralContainersRequest(review: AdmissionReviewRequest): boolean {
  const r = review.request;
  return r.kind.group === "" && r.kind.kind === "EphemeralContainers" && r.subResource === "ephemeralcontainers";
}

/**
 * Containers with their images and the pod-template labels of `request.object` (or `oldObject`);
 * null when the kind is not gated or the object is absent. Throws MalformedReviewError on a wrong shape.
 */
export function extractPodSpecs(review: AdmissionReviewRequest, which: "object" | "oldObject" = "object"): PodSpecs | null {
  const r = review.request;
  const obj = r[which];
  if (!obj) return null;
  const path = `request.${which}`;

  if (isEphemeralContainersRequest(review)) {
    const containers: ContainerImage[] = [];
    readContainers(obj, "ephemeralContainers", "ephemeralContainer", path, containers);
    return { kind: r.kind.kind, containers, labels: readLabels(obj.metadata, `${path}.metadata`) };
  }

  const templatePath = TEMPLATE_PATHS.get(`${r.kind.group}/${r.kind.kind}`);
  if (!templatePath) return null;
  let template: Record<string, unknown> = obj;
  let at = path;
  for (const seg of templatePath) {
    at = `${at}.${seg}`;
    const next = template[seg];
    if (!isPlainObject(next)) throw new MalformedReviewError(`${at} must be an object`);
    template = next;
  }
  const spec = template.spec;
  if (!isPlainObject(spec)) throw new MalformedReviewError(`${at}.spec must be an object`);
  const containers: ContainerImage[] = [];
  readContainers(spec, "initContainers", "initContainer", `${at}.spec`, containers);
  readContainers(spec, "containers", "container", `${at}.spec`, containers);
  readContainers(spec, "ephemeralContainers", "ephemeralContainer", `${at}.spec`, containers);
  return { kind: r.kind.kind, containers, labels: readLabels(template.metadata, `${at}.metadata`) };
}

function readContainers(spec: Record<string, unknown>, field: string, type: ContainerType, path: string, out: ContainerImage[]): void {
  const list = spec[field];
  if (list === undefined || list === null) return;
  if (!Array.isArray(list)) throw new MalformedReviewError(`${path}.${field} must be a list`);
  if (list.length > MAX_CONTAINERS) throw new MalformedReviewError(`${path}.${field} has more than ${MAX_CONTAINERS} entries`);
  for (let i = 0; i < list.length; i++) {
    const c: unknown = list[i];
    if (!isPlainObject(c)) throw new MalformedReviewError(`${path}.${field}[${i}] must be an object`);
    const name = c.name ?? "";
    if (typeof name !== "string") throw new MalformedReviewError(`${path}.${field}[${i}].name must be a string`);
    const image = c.image;
    // An absent image cannot run (the API server rejects it); there is nothing to evaluate.
    if (image === undefined || image === null || image === "") continue;
    if (typeof image !== "string") throw new MalformedReviewError(`${path}.${field}[${i}].image must be a string`);
    out.push({ name, image, type });
  }
}

function readLabels(meta: unknown, path: string): Record<string, string> {
  const labels: Record<string, string> = Object.create(null) as Record<string, string>;
  if (meta === undefined || meta === null) return labels;
  if (!isPlainObject(meta)) throw new MalformedReviewError(`${path} must be an object`);
  const raw = meta.labels;
  if (raw === undefined || raw === null) return labels;
  if (!isPlainObject(raw)) throw new MalformedReviewError(`${path}.labels must be an object`);
  const keys = Object.keys(raw);
  if (keys.length > MAX_LABELS) throw new MalformedReviewError(`${path}.labels has more than ${MAX_LABELS} entries`);
  for (const k of keys) {
    const v = raw[k];
    if (typeof v !== "string") throw new MalformedReviewError(`${path}.labels.${k.slice(0, 63)} must be a string`);
    // A null-prototype target: a "__proto__" label from a hostile body stays an ordinary key.
    labels[k] = v;
  }
  return labels;
}

/**
 * True when an UPDATE changes nothing admission cares about: every image of the new object already
 * ran in the old one and the pod-template labels (which gate selectors read) are unchanged.
 */
export function sameAdmissionInputs(next: PodSpecs, prev: PodSpecs): boolean {
  const before = new Set(prev.containers.map((c) => c.image));
  for (const c of next.containers) if (!before.has(c.image)) return false;
  const a = Object.keys(next.labels);
  const b = Object.keys(prev.labels);
  if (a.length !== b.length) return false;
  for (const k of a) if (prev.labels[k] !== next.labels[k]) return false;
  return true;
}
