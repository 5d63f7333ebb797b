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
  readonly outboxDeliveries: Counter<"operation" | "result">;
  readonly outboxDeliverySeconds: Histogram<"operation">;
  readonly outboxDeadLetters: Counter<"operation">;
  readonly remediationTransitions: Counter<"to">;
  readonly remediationSlaBreaches: Counter<"severity">;
  readonly remediationMttrSeconds: Histogram<"severity">;

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
    this.outboxDeliveries = new Counter({
      name: "fixops_outbox_deliveries_total",
      help: "Outbox delivery attempts by operation and result (delivered, retry, rate_limited, deferred, dead)",
      labelNames: ["operation", "result"],
      registers: [registry],
    });
    this.outboxDeliverySeconds = new Histogram({
      name: "fixops_outbox_delivery_latency_seconds",
      help: "Time from a row entering the outbox to its delivery to the ALM",
      labelNames: ["operation"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
      registers: [registry],
    });
    this.outboxDeadLetters = new Counter({
      name: "fixops_outbox_dead_letters_total",
      help: "Outbox rows dead-lettered (attempts exhausted or a permanent ALM error), by operation",
      labelNames: ["operation"],
      registers: [registry],
    });
    this.remediationTransitions = new Counter({
      name: "fixops_remediation_transitions_total",
      help: "RemediationTask state transitions, by target state",
      labelNames: ["to"],
      registers: [registry],
    });
    this.remediationSlaBreaches = new Counter({
      name: "fixops_remediation_sla_breaches_total",
      help: "RemediationTasks whose SLA was breached (counted once, at the due instant), by severity",
      labelNames: ["severity"],
      registers: [registry],
    });
    this.remediationMttrSeconds = new Histogram({
      name: "fixops_remediation_mttr_seconds",
      help: "Time from task creation to RESOLVED, by severity",
      labelNames: ["severity"],
      buckets: [3600, 86_400, 3 * 86_400, 7 * 86_400, 14 * 86_400, 30 * 86_400, 90 * 86_400, 180 * 86_400, 365 * 86_400],
      registers: [registry],
    });
  }
}
