// Types shared by the admission side: the AdmissionReview v1 wire format (only what FixOps reads and
// writes) and the seam between the webhook and the decision engine (AdmissionDecider).
import type { Outcome, Severity } from "../../api/v1alpha1/index.js";

export const ADMISSION_API_VERSION = "admission.k8s.io/v1";

export type AdmissionOperation = "CREATE" | "UPDATE" | "DELETE" | "CONNECT";

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

export interface AdmissionUserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
}

/** `request` of an AdmissionReview v1, after envelope validation (see review.ts). */
export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource?: GroupVersionResource;
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: AdmissionOperation;
  userInfo?: AdmissionUserInfo;
  /** The object as admitted (null for DELETE / CONNECT). Untrusted shape: read through extract.ts. */
  object?: Record<string, unknown> | null;
  oldObject?: Record<string, unknown> | null;
  dryRun?: boolean;
}

export interface AdmissionReviewRequest {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: "AdmissionReview";
  request: AdmissionRequest;
}

export interface AdmissionStatus {
  code: number;
  reason?: string;
  message: string;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: AdmissionStatus;
  warnings?: string[];
  /** Keys are prefixed by the API server with the webhook name; they must not contain "/". */
  auditAnnotations?: Record<string, string>;
}

export interface AdmissionReviewResponse {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: "AdmissionReview";
  response: AdmissionResponse;
}

// ---- The decision seam -------------------------------------------------------------------------

export type GateMode = "enforce" | "warn" | "audit";
export type NeedsReviewAction = "warn" | "deny";

export interface TopFindingRef {
  id: string;
  severity: Severity;
  kev?: boolean;
}

/** One gate's verdict on one image (for one workload: gates may select by workload labels). */
export interface GateImageVerdict {
  /** Gate name as people should see it, e.g. `shop/prod-baseline` or `prod-baseline`. */
  gate: string;
  mode: GateMode;
  outcome: Outcome;
  needsReviewAction: NeedsReviewAction;
  reasons: string[];
  /** Most relevant findings first; the deny message shows a few. */
  topFindings: TopFindingRef[];
  /** `namespace/name` of the ScanResult that decided it (absent when the scan is missing). */
  scanResult?: string;
  /** `namespace/name` of the RemediationTask (or ticket key) a person should follow. */
  remediationTask?: string;
  /** Why, when it is not the findings themselves (e.g. an SLA escalation); shown in the message. */
  note?: string;
}

export interface ImageVerdict {
  /** One entry per gate that selects this image and workload; empty = no gate applies. */
  gates: GateImageVerdict[];
}

export interface DecisionInput {
  namespace: string;
  /** The image exactly as written in the container spec. */
  image: string;
  /** Pod-template labels of the workload (null-prototype object). */
  workloadLabels: Readonly<Record<string, string>>;
  now: Date;
}

/**
 * What the webhook needs from the decision engine. `decide` runs on the request path: it must be
 * synchronous, read only memory (the ImageDecisionIndex and cached gates/exceptions) and be pure
 * given its input. A throw fails the review with HTTP 500, so the webhook's failurePolicy applies.
 */
export interface AdmissionDecider {
  decide(input: DecisionInput): ImageVerdict;
  /** True once the index (ScanResults, PolicyGates, RiskExceptions) has synced. */
  ready(): boolean;
}
