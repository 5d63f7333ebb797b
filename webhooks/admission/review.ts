// Envelope validation of an AdmissionReview v1. Only the API server should call the webhook, but the
// port is reachable in the cluster network: anything that is not a well-formed review is rejected
// with a MalformedReviewError (the server answers 400) and never reaches the decision code.
import {
  ADMISSION_API_VERSION,
  type AdmissionOperation,
  type AdmissionRequest,
  type AdmissionResponse,
  type AdmissionReviewRequest,
  type AdmissionReviewResponse,
  type AdmissionUserInfo,
} from "./types.js";

/** The request is not a usable AdmissionReview; the message says what is wrong (answered as 400). */
export class MalformedReviewError extends Error {
  override readonly name = "MalformedReviewError";
}

const OPERATIONS: ReadonlySet<string> = new Set(["CREATE", "UPDATE", "DELETE", "CONNECT"]);
// API-server uids are UUIDs; names and namespaces are DNS subdomains. Generous bounds that still keep
// a hostile body from echoing megabytes back.
const MAX_UID = 128;
const MAX_NAME = 253;
const MAX_GVK_PART = 253;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(obj: Record<string, unknown>, key: string, path: string, max: number, required: boolean): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) {
    if (required) throw new MalformedReviewError(`${path}.${key} is required`);
    return undefined;
  }
  if (typeof v !== "string") throw new MalformedReviewError(`${path}.${key} must be a string`);
  if (v.length > max) throw new MalformedReviewError(`${path}.${key} is longer than ${max} characters`);
  return v;
}

function objOrNull(obj: Record<string, unknown>, key: string, path: string): Record<string, unknown> | null | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return v as null | undefined;
  if (!isPlainObject(v)) throw new MalformedReviewError(`${path}.${key} must be an object`);
  return v;
}

function gvk(v: unknown, path: string): { group: string; version: string; kind: string } {
  if (!isPlainObject(v)) throw new MalformedReviewError(`${path} must be an object`);
  return {
    group: str(v, "group", path, MAX_GVK_PART, false) ?? "",
    version: str(v, "version", path, MAX_GVK_PART, true)!,
    kind: str(v, "kind", path, MAX_GVK_PART, true)!,
  };
}

function userInfo(v: unknown): AdmissionUserInfo | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isPlainObject(v)) throw new MalformedReviewError("request.userInfo must be an object");
  const out: AdmissionUserInfo = {};
  const username = str(v, "username", "request.userInfo", 1024, false);
  if (username !== undefined) out.username = username;
  const uid = str(v, "uid", "request.userInfo", 1024, false);
  if (uid !== undefined) out.uid = uid;
  return out;
}

/**
 * Checks the envelope and returns a typed review. The embedded objects stay `Record<string, unknown>`:
 * their shape is checked by the code that reads them (extract.ts, validate-fixops.ts).
 */
export function parseAdmissionReview(body: unknown): AdmissionReviewRequest {
  if (!isPlainObject(body)) throw new MalformedReviewError("body must be a JSON object (an AdmissionReview)");
  if (body.kind !== "AdmissionReview") throw new MalformedReviewError(`kind must be "AdmissionReview"`);
  if (body.apiVersion !== ADMISSION_API_VERSION) {
    throw new MalformedReviewError(`apiVersion must be "${ADMISSION_API_VERSION}" (register the webhook with admissionReviewVersions: [v1])`);
  }
  const r = body.request;
  if (!isPlainObject(r)) throw new MalformedReviewError("request must be an object");
  const uid = str(r, "uid", "request", MAX_UID, true)!;
  if (uid.length === 0) throw new MalformedReviewError("request.uid must not be empty");
  const operation = str(r, "operation", "request", 16, true)!;
  if (!OPERATIONS.has(operation)) throw new MalformedReviewError("request.operation must be CREATE, UPDATE, DELETE or CONNECT");

  const request: AdmissionRequest = { uid, kind: gvk(r.kind, "request.kind"), operation: operation as AdmissionOperation };
  if (r.resource !== undefined && r.resource !== null) {
    if (!isPlainObject(r.resource)) throw new MalformedReviewError("request.resource must be an object");
    request.resource = {
      group: str(r.resource, "group", "request.resource", MAX_GVK_PART, false) ?? "",
      version: str(r.resource, "version", "request.resource", MAX_GVK_PART, false) ?? "",
      resource: str(r.resource, "resource", "request.resource", MAX_GVK_PART, true)!,
    };
  }
  const subResource = str(r, "subResource", "request", MAX_GVK_PART, false);
  if (subResource) request.subResource = subResource;
  const name = str(r, "name", "request", MAX_NAME, false);
  if (name) request.name = name;
  const namespace = str(r, "namespace", "request", MAX_NAME, false);
  if (namespace) request.namespace = namespace;
  const ui = userInfo(r.userInfo);
  if (ui) request.userInfo = ui;
  const object = objOrNull(r, "object", "request");
  if (object !== undefined) request.object = object;
  const oldObject = objOrNull(r, "oldObject", "request");
  if (oldObject !== undefined) request.oldObject = oldObject;
  if (r.dryRun !== undefined && r.dryRun !== null) {
    if (typeof r.dryRun !== "boolean") throw new MalformedReviewError("request.dryRun must be a boolean");
    request.dryRun = r.dryRun;
  }
  if ((operation === "CREATE" || operation === "UPDATE") && !request.object) {
    throw new MalformedReviewError(`request.object is required for ${operation}`);
  }
  return { apiVersion: ADMISSION_API_VERSION, kind: "AdmissionReview", request };
}

export function reviewResponse(response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion: ADMISSION_API_VERSION, kind: "AdmissionReview", response };
}

export function allow(uid: string, extra: Omit<AdmissionResponse, "uid" | "allowed"> = {}): AdmissionReviewResponse {
  return reviewResponse({ uid, allowed: true, ...extra });
}

export function deny(uid: string, code: number, reason: string, message: string): AdmissionReviewResponse {
  return reviewResponse({ uid, allowed: false, status: { code, reason, message } });
}
