// Builders for AdmissionReviews in tests (cert-manager style: small functions, deep-cloned output). Test-only; kept out of *.test.ts so jest does not run it as a suite.
import type { AdmissionOperation, AdmissionReviewRequest, GateImageVerdict } from "./types.js";

export interface ContainerSpec {
  name: string;
  image: string;
}

export function podSpec(containers: ContainerSpec[], extra: { initContainers?: ContainerSpec[]; ephemeralContainers?: ContainerSpec[] } = {}) {
  return { containers, ...extra };
}

const WORKLOADS: Record<string, { group: string; version: string; resource: string }> = {
  Pod: { group: "", version: "v1", resource: "pods" },
  Deployment: { group: "apps", version: "v1", resource: "deployments" },
  StatefulSet: { group: "apps", version: "v1", resource: "statefulsets" },
  DaemonSet: { group: "apps", version: "v1", resource: "daemonsets" },
  ReplicaSet: { group: "apps", version: "v1", resource: "replicasets" },
  Job: { group: "batch", version: "v1", resource: "jobs" },
  CronJob: { group: "batch", version: "v1beta1", resource: "cronjobs" },
};

/** The object of a workload kind with the given pod spec and pod-template labels. */
export function workloadObject(kind: string, name: string, spec: object, labels: Record<string, string> = { app: name }) {
  const template = { metadata: { labels }, spec };
  const apiVersion = WORKLOADS[kind]!.group ? `${WORKLOADS[kind]!.group}/${WORKLOADS[kind]!.version}` : "v1";
  const metadata = { name, namespace: "shop", uid: `uid-${name}` };
  switch (kind) {
    case "Pod":
      return { apiVersion, kind, metadata: { ...metadata, labels }, spec };
    case "CronJob":
      return { apiVersion, kind, metadata, spec: { schedule: "* * * * *", jobTemplate: { spec: { template } } } };
    default:
      return { apiVersion, kind, metadata, spec: { replicas: 2, selector: { matchLabels: labels }, template } };
  }
}

export function admissionReview(
  kind: string,
  object: unknown,
  opts: { operation?: AdmissionOperation; namespace?: string; oldObject?: unknown; subResource?: string; uid?: string; name?: string } = {},
): AdmissionReviewRequest {
  const gvr = WORKLOADS[kind] ?? { group: "fixops.io", version: "v1alpha1", resource: `${kind.toLowerCase()}s` };
  const review = {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: opts.uid ?? "0d6a1e3c-5f7a-4c1e-9a55-1b2c3d4e5f60",
      kind: { group: gvr.group, version: gvr.version, kind },
      resource: gvr,
      ...(opts.subResource ? { subResource: opts.subResource } : {}),
      name: opts.name ?? ((object as { metadata?: { name?: string } })?.metadata?.name ?? ""),
      namespace: opts.namespace ?? "shop",
      operation: opts.operation ?? "CREATE",
      userInfo: { username: "alice" },
      object,
      oldObject: opts.oldObject ?? null,
      dryRun: false,
    },
  };
  return structuredClone(review) as AdmissionReviewRequest;
}

export function verdict(over: Partial<GateImageVerdict> = {}): GateImageVerdict {
  return {
    gate: "shop/baseline",
    mode: "enforce",
    outcome: "ALLOW",
    needsReviewAction: "warn",
    reasons: [],
    topFindings: [],
    ...over,
  };
}
