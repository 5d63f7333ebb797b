import { describe, expect, it } from "@jest/globals";
import { MalformedReviewError, parseAdmissionReview } from "./review.js";
import { admissionReview, podSpec, workloadObject } from "./test-builders.js";

const valid = () => JSON.parse(JSON.stringify(admissionReview("Pod", workloadObject("Pod", "p", podSpec([{ name: "a", image: "a:1" }]))))) as Record<string, unknown>;
const withRequest = (patch: Record<string, unknown>) => {
  const v = valid();
  v.request = { ...(v.request as object), ...patch };
  return v;
};

describe("parseAdmissionReview", () => {
  it("accepts a review as the API server sends it and keeps what decisions read", () => {
    const r = parseAdmissionReview(valid());
    expect(r.request).toMatchObject({ uid: "0d6a1e3c-5f7a-4c1e-9a55-1b2c3d4e5f60", operation: "CREATE", namespace: "shop", kind: { group: "", version: "v1", kind: "Pod" } });
    expect(r.request.object).toMatchObject({ kind: "Pod" });
    expect(r.request.oldObject).toBeNull();
  });

  it.each([
    ["null", null, "body must be a JSON object"],
    ["an array", [1, 2], "body must be a JSON object"],
    ["a string", "AdmissionReview", "body must be a JSON object"],
    ["the wrong kind", { ...valid(), kind: "Pod" }, 'kind must be "AdmissionReview"'],
    ["v1beta1", { ...valid(), apiVersion: "admission.k8s.io/v1beta1" }, "apiVersion must be"],
    ["no request", { ...valid(), request: undefined }, "request must be an object"],
    ["a request list", { ...valid(), request: [] }, "request must be an object"],
    ["no uid", withRequest({ uid: undefined }), "request.uid is required"],
    ["an empty uid", withRequest({ uid: "" }), "request.uid must not be empty"],
    ["a numeric uid", withRequest({ uid: 42 }), "request.uid must be a string"],
    ["a huge uid", withRequest({ uid: "u".repeat(10_000) }), "request.uid is longer than 128"],
    ["an unknown operation", withRequest({ operation: "PATCH" }), "request.operation must be"],
    ["kind as a string", withRequest({ kind: "Pod" }), "request.kind must be an object"],
    ["kind without a name", withRequest({ kind: { group: "", version: "v1" } }), "request.kind.kind is required"],
    ["an object that is a list", withRequest({ object: [] }), "request.object must be an object"],
    ["CREATE without an object", withRequest({ object: null }), "request.object is required for CREATE"],
    ["a numeric namespace", withRequest({ namespace: 7 }), "request.namespace must be a string"],
    ["a string userInfo", withRequest({ userInfo: "alice" }), "request.userInfo must be an object"],
    ["dryRun as a string", withRequest({ dryRun: "yes" }), "request.dryRun must be a boolean"],
    ["resource without a name", withRequest({ resource: { group: "", version: "v1" } }), "request.resource.resource is required"],
  ])("rejects %s", (_why, body, message) => {
    expect(() => parseAdmissionReview(body)).toThrow(MalformedReviewError);
    expect(() => parseAdmissionReview(body)).toThrow(message);
  });

  it("accepts a DELETE without an object", () => {
    expect(parseAdmissionReview(withRequest({ operation: "DELETE", object: null })).request.operation).toBe("DELETE");
  });
});
