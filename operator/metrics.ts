import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The operator's own metrics, on a registry created per process (no module-level singletons). */
export class OperatorMetrics {
  readonly registry: Registry;
  readonly reconcileTotal: Counter<"kind" | "result">;
  readonly reconcileErrors: Counter<"kind" | "reason">;
  readonly reconcileDuration: Histogram<"kind">;
  readonly queueDepth: Gauge<"kind">;
  readonly isLeader: Gauge;
  readonly statusWrites: Counter<"kind">;

  constructor(registry = new Registry(), withDefaults = true) {
    this.registry = registry;
    if (withDefaults) collectDefaultMetrics({ register: registry, prefix: "fixops_process_" });
    this.reconcileTotal = new Counter({
      name: "fixops_reconcile_total",
      help: "Reconciles run, by kind and result (success, error, requeue)",
      labelNames: ["kind", "result"],
      registers: [registry],
    });
    this.reconcileErrors = new Counter({
      name: "fixops_reconcile_errors_total",
      help: "Reconcile errors by kind and error class",
      labelNames: ["kind", "reason"],
      registers: [registry],
    });
    this.reconcileDuration = new Histogram({
      name: "fixops_reconcile_duration_seconds",
      help: "Reconcile duration by kind",
      labelNames: ["kind"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.queueDepth = new Gauge({
      name: "fixops_workqueue_depth",
      help: "Keys waiting in the work queue, by kind",
      labelNames: ["kind"],
      registers: [registry],
    });
    this.isLeader = new Gauge({
      name: "fixops_leader",
      help: "1 when this replica holds the leader Lease",
      registers: [registry],
    });
    this.statusWrites = new Counter({
      name: "fixops_status_writes_total",
      help: "Status subresource writes by kind (unchanged statuses are not written)",
      labelNames: ["kind"],
      registers: [registry],
    });
  }
}
