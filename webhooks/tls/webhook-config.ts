// The operator's own ValidatingWebhookConfiguration (admissionregistration.k8s.io/v1), built purely
// from options. Valid on Kubernetes 1.20: no matchConditions. Namespaces on 1.20 carry no
// `kubernetes.io/metadata.name` label, so scoping relies on a label the operator manages on the
// namespaces of its gates; the name label is added as well so newer clusters exclude kube-system and
// the operator's namespace even if someone labels them.
import { FIXOPS_PATH, WORKLOADS_PATH } from "../server/paths.js";

export const FAILURE_POLICY_LABEL = "admission.fixops.io/failure-policy";
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

export type FailurePolicy = "Fail" | "Ignore";

export type WebhookClient =
  | { service: { name: string; namespace: string; port?: number } }
  /** Base URL without path, e.g. `https://127.0.0.1:9443` (out of cluster, tests). */
  | { url: string };

export interface WebhookConfigurationOptions {
  /** metadata.name; default `fixops-admission`. */
  name?: string;
  operatorNamespace: string;
  client: WebhookClient;
  /** PEM CA bundle (CertificateBundle.caCrt); base64-encoded into clientConfig.caBundle. */
  caBundlePem: string;
  /** Default 3 (the API server allows 1–30). */
  timeoutSeconds?: number;
  /** Failure policy of the webhook for FixOps' own kinds; default Ignore so GitOps syncs survive an operator outage. */
  fixopsFailurePolicy?: FailurePolicy;
  labels?: Record<string, string>;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: string[];
}

export interface RuleWithOperations {
  apiGroups: string[];
  apiVersions: string[];
  operations: string[];
  resources: string[];
  scope: "Namespaced" | "Cluster" | "*";
}

export interface ValidatingWebhook {
  name: string;
  admissionReviewVersions: string[];
  sideEffects: "None";
  failurePolicy: FailurePolicy;
  matchPolicy: "Equivalent";
  timeoutSeconds: number;
  clientConfig: { service?: { name: string; namespace: string; path: string; port: number }; url?: string; caBundle: string };
  rules: RuleWithOperations[];
  namespaceSelector?: { matchExpressions: LabelSelectorRequirement[] };
}

export interface ValidatingWebhookConfiguration {
  apiVersion: "admissionregistration.k8s.io/v1";
  kind: "ValidatingWebhookConfiguration";
  metadata: { name: string; labels?: Record<string, string> };
  webhooks: ValidatingWebhook[];
}

const CREATE_UPDATE = ["CREATE", "UPDATE"];

/** Pods and the six pod-template kinds; never leases, configmaps or anything else. */
export const WORKLOAD_RULES: readonly RuleWithOperations[] = [
  // pods/ephemeralcontainers: adding a debug container runs a new image.
  { apiGroups: [""], apiVersions: ["v1"], operations: CREATE_UPDATE, resources: ["pods", "pods/ephemeralcontainers"], scope: "Namespaced" },
  { apiGroups: ["apps"], apiVersions: ["v1"], operations: CREATE_UPDATE, resources: ["deployments", "statefulsets", "daemonsets", "replicasets"], scope: "Namespaced" },
  // CronJob is batch/v1beta1 on 1.20 and batch/v1 from 1.21: any version.
  { apiGroups: ["batch"], apiVersions: ["*"], operations: CREATE_UPDATE, resources: ["jobs", "cronjobs"], scope: "Namespaced" },
];

export const FIXOPS_RULES: readonly RuleWithOperations[] = [
  { apiGroups: ["fixops.io"], apiVersions: ["v1alpha1"], operations: CREATE_UPDATE, resources: ["riskexceptions", "policygates", "scanresults", "integrations", "remediationtasks"], scope: "Namespaced" },
];

export function buildValidatingWebhookConfiguration(o: WebhookConfigurationOptions): ValidatingWebhookConfiguration {
  const timeoutSeconds = o.timeoutSeconds ?? 3;
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 30) throw new Error("timeoutSeconds must be an integer from 1 to 30");
  if (!o.caBundlePem.includes("-----BEGIN CERTIFICATE-----")) throw new Error("caBundlePem must hold at least one PEM certificate");
  const caBundle = Buffer.from(o.caBundlePem).toString("base64");
  const clientConfig = (path: string): ValidatingWebhook["clientConfig"] => {
    if ("service" in o.client) {
      const s = o.client.service;
      return { service: { name: s.name, namespace: s.namespace, path, port: s.port ?? 443 }, caBundle };
    }
    const base = o.client.url.replace(/\/+$/, "");
    if (!base.startsWith("https://")) throw new Error("webhook URL must use https");
    return { url: `${base}${path}`, caBundle };
  };
  const exempt: LabelSelectorRequirement = { key: NAMESPACE_NAME_LABEL, operator: "NotIn", values: [...new Set(["kube-system", o.operatorNamespace])] };
  const workloads = (policy: FailurePolicy): ValidatingWebhook => ({
    name: `workloads-${policy.toLowerCase()}.admission.fixops.io`,
    admissionReviewVersions: ["v1"],
    sideEffects: "None",
    failurePolicy: policy,
    matchPolicy: "Equivalent",
    timeoutSeconds,
    clientConfig: clientConfig(WORKLOADS_PATH),
    rules: WORKLOAD_RULES.map((r) => ({ ...r, apiGroups: [...r.apiGroups], apiVersions: [...r.apiVersions], operations: [...r.operations], resources: [...r.resources] })),
    namespaceSelector: { matchExpressions: [{ key: FAILURE_POLICY_LABEL, operator: "In", values: [policy] }, exempt] },
  });
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata: { name: o.name ?? "fixops-admission", ...(o.labels ? { labels: { ...o.labels } } : {}) },
    webhooks: [
      workloads("Fail"),
      workloads("Ignore"),
      {
        name: "resources.admission.fixops.io",
        admissionReviewVersions: ["v1"],
        sideEffects: "None",
        failurePolicy: o.fixopsFailurePolicy ?? "Ignore",
        matchPolicy: "Equivalent",
        timeoutSeconds,
        clientConfig: clientConfig(FIXOPS_PATH),
        rules: FIXOPS_RULES.map((r) => ({ ...r, apiGroups: [...r.apiGroups], apiVersions: [...r.apiVersions], operations: [...r.operations], resources: [...r.resources] })),
      },
    ],
  };
}

/**
 * The failure-policy label a namespace should carry, from the failurePolicy of its PolicyGates:
 * Fail if any gate asks for it, Ignore if it has gates, none (remove the label) without gates.
 * Never label kube-system or the operator's namespace.
 */
export function namespaceFailurePolicy(namespace: string, operatorNamespace: string, gates: readonly { failurePolicy: FailurePolicy }[]): FailurePolicy | null {
  if (namespace === "kube-system" || namespace === operatorNamespace || gates.length === 0) return null;
  return gates.some((g) => g.failurePolicy === "Fail") ? "Fail" : "Ignore";
}
