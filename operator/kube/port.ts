// The one small port through which everything in FixOps talks to Kubernetes. Controllers and
// webhooks receive a KubePort; only the entry point builds the real client (./client.ts).
import { API_VERSION, GROUP, VERSION, type ObjectMeta } from "../../api/v1alpha1/index.js";

export interface ResourceType {
  group: string; // "" for the core group
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: unknown;
  [key: string]: unknown;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

/** A list+watch cache of one resource type, kept current by the API server's watch stream. */
export interface Informer<T extends KubeObject = KubeObject> {
  readonly res: ResourceType;
  /** Resolves once the initial list has been loaded into the cache. */
  readonly synced: Promise<void>;
  hasSynced(): boolean;
  get(namespace: string | undefined, name: string): T | undefined;
  list(namespace?: string): T[];
  onEvent(handler: (type: WatchEventType, obj: T) => void): void;
  stop(): void;
}

export interface KubePort {
  get<T extends KubeObject = KubeObject>(res: ResourceType, namespace: string | undefined, name: string): Promise<T | null>;
  list<T extends KubeObject = KubeObject>(res: ResourceType, namespace?: string, labelSelector?: string): Promise<T[]>;
  create<T extends KubeObject = KubeObject>(res: ResourceType, obj: KubeObject): Promise<T>;
  /** Full update guarded by obj.metadata.resourceVersion (409 → ConflictError). */
  replace<T extends KubeObject = KubeObject>(res: ResourceType, obj: KubeObject): Promise<T>;
  /** JSON merge patch of the main resource (metadata such as labels/annotations). */
  mergePatch<T extends KubeObject = KubeObject>(res: ResourceType, namespace: string | undefined, name: string, patch: unknown): Promise<T>;
  /**
   * Merge-patch the status subresource, guarded by resourceVersion (409 → ConflictError), with the
   * operator's field manager.
   */
  patchStatus<T extends KubeObject = KubeObject>(
    res: ResourceType,
    namespace: string,
    name: string,
    status: Record<string, unknown>,
    resourceVersion: string,
  ): Promise<T>;
  delete(res: ResourceType, namespace: string | undefined, name: string): Promise<void>;
  informer<T extends KubeObject = KubeObject>(res: ResourceType, namespace?: string): Informer<T>;
}

const crd = (kind: string, plural: string): ResourceType => ({ group: GROUP, version: VERSION, kind, plural, namespaced: true });

export const Resources = {
  Integration: crd("Integration", "integrations"),
  PolicyGate: crd("PolicyGate", "policygates"),
  ScanResult: crd("ScanResult", "scanresults"),
  RemediationTask: crd("RemediationTask", "remediationtasks"),
  RiskException: crd("RiskException", "riskexceptions"),
  Secret: { group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true },
  ConfigMap: { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true },
  Namespace: { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false },
  Event: { group: "", version: "v1", kind: "Event", plural: "events", namespaced: true },
  Pod: { group: "", version: "v1", kind: "Pod", plural: "pods", namespaced: true },
  Lease: { group: "coordination.k8s.io", version: "v1", kind: "Lease", plural: "leases", namespaced: true },
  Deployment: { group: "apps", version: "v1", kind: "Deployment", plural: "deployments", namespaced: true },
  StatefulSet: { group: "apps", version: "v1", kind: "StatefulSet", plural: "statefulsets", namespaced: true },
  DaemonSet: { group: "apps", version: "v1", kind: "DaemonSet", plural: "daemonsets", namespaced: true },
  ReplicaSet: { group: "apps", version: "v1", kind: "ReplicaSet", plural: "replicasets", namespaced: true },
  Job: { group: "batch", version: "v1", kind: "Job", plural: "jobs", namespaced: true },
  CronJob: { group: "batch", version: "v1beta1", kind: "CronJob", plural: "cronjobs", namespaced: true },
  ValidatingWebhookConfiguration: {
    group: "admissionregistration.k8s.io",
    version: "v1",
    kind: "ValidatingWebhookConfiguration",
    plural: "validatingwebhookconfigurations",
    namespaced: false,
  },
} satisfies Record<string, ResourceType>;

export { API_VERSION };

export function apiVersionOf(res: ResourceType): string {
  return res.group ? `${res.group}/${res.version}` : res.version;
}

export function objectKey(obj: { metadata: { namespace?: string; name: string } }): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
}

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const i = key.indexOf("/");
  return i < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
