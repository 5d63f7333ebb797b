// The one dependencies object every controller factory receives. Only the entry point
// (operator/main.ts) builds real adapters; tests build their own.
import type pg from "pg";
import type {
  IntegrationResource,
  PolicyGateResource,
  RemediationTaskResource,
  RiskExceptionResource,
  ScanResultResource,
} from "../../api/v1alpha1/index.js";
import type { FeedView } from "../../feeds/manager.js";
import type { Clock } from "../../operator/clock.js";
import type { EventRecorder } from "../../operator/events.js";
import type { Informer, KubeObject, KubePort } from "../../operator/kube/port.js";
import type { Logger } from "../../operator/logger.js";
import type { OperatorMetrics } from "../../operator/metrics.js";
import type { StatusWriter } from "../../operator/status.js";

export interface Informers {
  integrations: Informer<IntegrationResource & KubeObject>;
  policyGates: Informer<PolicyGateResource & KubeObject>;
  scanResults: Informer<ScanResultResource & KubeObject>;
  remediationTasks: Informer<RemediationTaskResource & KubeObject>;
  riskExceptions: Informer<RiskExceptionResource & KubeObject>;
}

export interface ControllerDeps {
  kube: KubePort;
  informers: Informers;
  status: StatusWriter;
  recorder: EventRecorder;
  clock: Clock;
  log: Logger;
  metrics: OperatorMetrics;
  pool: pg.Pool;
  /** EPSS / KEV snapshots in use (the same ones the admission index decides with). */
  feeds: FeedView;
  /** A task's ledger changed outside its own reconcile (ALM webhook, verification, sync): project it again. */
  taskChanged?: (namespace: string, name: string) => void;
}
