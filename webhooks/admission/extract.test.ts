import { describe, expect, it } from "@jest/globals";
import { extractPodSpecs, sameAdmissionInputs, type PodSpecs } from "./extract.js";
import { MalformedReviewError, parseAdmissionReview } from "./review.js";
import { admissionReview, podSpec, workloadObject } from "./test-builders.js";

const spec = podSpec([{ name: "app", image: "ghcr.io/acme/app:1" }], {
  initContainers: [{ name: "init", image: "busybox:1.36" }],
  ephemeralContainers: [{ name: "debug", image: "ghcr.io/acme/debug:1" }],
});

describe("extractPodSpecs", () => {
  it.each(["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"])("%s: all container types and pod-template labels", (kind) => {
    const review = admissionReview(kind, workloadObject(kind, "app", spec, { app: "app", tier: "web" }));
    const got = extractPodSpecs(review)!;
    expect(got.kind).toBe(kind);
    expect(got.containers).toEqual([
      { name: "init", image: "busybox:1.36", type: "initContainer" },
      { name: "app", image: "ghcr.io/acme/app:1", type: "container" },
      { name: "debug", image: "ghcr.io/acme/debug:1", type: "ephemeralContainer" },
    ]);
    expect({ ...got.labels }).toEqual({ app: "app", tier: "web" });
  });

  it("reads the 1.20 pods/ephemeralcontainers subresource object", () => {
    const obj = { apiVersion: "v1", kind: "EphemeralContainers", metadata: { name: "p", labels: { app: "p" } }, ephemeralContainers: [{ name: "dbg", image: "busybox" }] };
    const review = admissionReview("Pod", obj, { operation: "UPDATE", subResource: "ephemeralcontainers", oldObject: { ...obj, ephemeralContainers: [] } });
    review.request.kind.kind = "EphemeralContainers";
    const got = extractPodSpecs(review)!;
    expect(got.containers).toEqual([{ name: "dbg", image: "busybox", type: "ephemeralContainer" }]);
    expect(extractPodSpecs(review, "oldObject")!.containers).toEqual([]);
  });

  it("returns null for kinds it does not gate and for an absent object", () => {
    expect(extractPodSpecs(admissionReview("ConfigMap", { metadata: { name: "c" } }))).toBeNull();
    expect(extractPodSpecs(admissionReview("Deployment", workloadObject("Deployment", "a", spec)), "oldObject")).toBeNull();
  });

  it("skips containers without an image (nothing to run, nothing to evaluate)", () => {
    const got = extractPodSpecs(admissionReview("Pod", workloadObject("Pod", "a", { containers: [{ name: "x" }, { name: "y", image: "" }, { name: "z", image: "z:1" }] })));
    expect(got!.containers.map((c) => c.name)).toEqual(["z"]);
  });

  it.each([
    ["spec.template is missing", "Deployment", { metadata: { name: "a" }, spec: {} }, "request.object.spec.template must be an object"],
    ["containers is a string", "Pod", { metadata: {}, spec: { containers: "nginx" } }, "request.object.spec.containers must be a list"],
    ["a container is a number", "Pod", { spec: { containers: [1] } }, "request.object.spec.containers[0] must be an object"],
    ["image is a number", "Pod", { spec: { containers: [{ name: "a", image: 5 }] } }, "request.object.spec.containers[0].image must be a string"],
    ["name is an object", "Pod", { spec: { containers: [{ name: {}, image: "a" }] } }, "request.object.spec.containers[0].name must be a string"],
    ["labels is a list", "Pod", { metadata: { labels: ["a"] }, spec: { containers: [] } }, "request.object.metadata.labels must be an object"],
    ["a label value is a number", "Pod", { metadata: { labels: { a: 1 } }, spec: { containers: [] } }, "request.object.metadata.labels.a must be a string"],
    ["jobTemplate is null", "CronJob", { spec: { jobTemplate: null } }, "request.object.spec.jobTemplate must be an object"],
    ["too many containers", "Pod", { spec: { containers: Array.from({ length: 1001 }, () => ({ name: "a", image: "a" })) } }, "more than 1000"],
  ])("rejects a malformed object: %s", (_why, kind, obj, message) => {
    const review = admissionReview(kind, obj);
    expect(() => extractPodSpecs(review)).toThrow(MalformedReviewError);
    expect(() => extractPodSpecs(review)).toThrow(message);
  });

  it("keeps a __proto__ label as plain data (no prototype pollution)", () => {
    const body = JSON.parse(
      JSON.stringify(admissionReview("Pod", workloadObject("Pod", "p", spec))).replace('"labels":{"app":"p"}', '"labels":{"__proto__":{"polluted":"yes"},"app":"p"}'),
    ) as unknown;
    const review = parseAdmissionReview(body);
    expect(() => extractPodSpecs(review)).toThrow("labels.__proto__ must be a string");
    const body2 = JSON.parse(
      JSON.stringify(admissionReview("Pod", workloadObject("Pod", "p", spec))).replace('"labels":{"app":"p"}', '"labels":{"__proto__":"x","constructor":"y"}'),
    ) as unknown;
    const labels = extractPodSpecs(parseAdmissionReview(body2))!.labels;
    expect(Object.getPrototypeOf(labels)).toBeNull();
    expect(Object.keys(labels).sort()).toEqual(["__proto__", "constructor"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("sameAdmissionInputs", () => {
  const specs = (images: string[], labels: Record<string, string> = { app: "a" }): PodSpecs => ({
    kind: "Deployment",
    containers: images.map((image, i) => ({ name: `c${i}`, image, type: "container" })),
    labels: Object.assign(Object.create(null) as Record<string, string>, labels),
  });
  it.each([
    ["same images (scale via spec.replicas)", specs(["a:1", "b:1"]), specs(["a:1", "b:1"]), true],
    ["a container removed", specs(["a:1"]), specs(["a:1", "b:1"]), true],
    ["containers reordered", specs(["b:1", "a:1"]), specs(["a:1", "b:1"]), true],
    ["an image changed", specs(["a:2", "b:1"]), specs(["a:1", "b:1"]), false],
    ["a container added", specs(["a:1", "c:1"]), specs(["a:1"]), false],
    ["a pod-template label changed", specs(["a:1"], { app: "a", tier: "prod" }), specs(["a:1"], { app: "a", tier: "test" }), false],
    ["a pod-template label added", specs(["a:1"], { app: "a", tier: "prod" }), specs(["a:1"]), false],
  ])("%s → %s", (_why, next, prev, same) => {
    expect(sameAdmissionInputs(next, prev)).toBe(same);
  });
});
