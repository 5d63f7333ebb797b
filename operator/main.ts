// `fixops operator`: the only place that builds real adapters. Informers run on every replica
// (readiness = caches synced); controllers' workers run only while this replica holds the Lease.
import type pg from "pg";
import { startAdmission, type RunningAdmission } from "./admission.js";
import { systemClock, type Clock } from "./clock.js";
import type { OperatorConfig } from "./config.js";
import type { Controller } from "./controller.js";
import { errorMessage } from "./errors.js";
import { KubeEventRecorder } from "./events.js";
import { HealthServer } from "./health.js";
import { KubeClient } from "./kube/client.js";
import { Resources, type KubeObject } from "./kube/port.js";
import { LeaderElector } from "./leader.js";
import { createLogger, type Logger } from "./logger.js";
import { OperatorMetrics } from "./metrics.js";
import { StatusWriter } from "./status.js";
import { createControllers } from "../controllers/index.js";
import { InformerIntegrationResolver } from "../controllers/shared/integration-credentials.js";
import { OutboxWorker } from "../outbox/worker.js";
import { InboundProcessor } from "../controllers/remediationtask/inbound.js";
import { InboundEndpoint } from "../webhooks/inbound/endpoint.js";
import { ledgerReports } from "../controllers/scanresult/report-source.js";
import type { ControllerDeps, Informers } from "../controllers/shared/deps.js";
import { FeedManager } from "../feeds/manager.js";
import { parseFeedSource } from "../feeds/source.js";
import { createPool } from "../store/pool.js";
import { migrate } from "../store/migrate.js";

export interface RunningOperator {
  healthPort: number;
  isLeader(): boolean;
  controllers: Controller[];
  informers: Informers;
  /** The admission webhook of this replica; absent unless config.webhookEnabled. */
  admission?: RunningAdmission;
  /** EPSS / KEV snapshots this replica decides with. */
  feeds: FeedManager;
  stop(): Promise<void>;
}

export interface OperatorOverrides {
  clock?: Clock;
  log?: Logger;
}

export async function startOperator(config: OperatorConfig, overrides: OperatorOverrides = {}): Promise<RunningOperator> {
  const log = overrides.log ?? createLogger(config.logLevel);
  const clock = overrides.clock ?? systemClock;
  const metrics = new OperatorMetrics();
  const pool: pg.Pool = createPool(config.databaseUrl, config.databasePoolSize, log);
  if (config.migrateOnStart) {
    const r = await migrate(pool, log);
    log.info({ applied: r.applied, schemaVersion: r.current }, "database schema is current");
  }
  const kube = await KubeClient.create({ kubeconfigPath: config.kubeconfig, fieldManager: config.fieldManager, log });
  // The Lease and the webhook certificate Secret live here: make sure it exists before either is written.
  await ensureNamespaceExists(kube, config.namespace, log);
  const ns = config.watchNamespace;
  const informers: Informers = {
    integrations: kube.informer(Resources.Integration, ns),
    policyGates: kube.informer(Resources.PolicyGate, ns),
    scanResults: kube.informer(Resources.ScanResult, ns),
    remediationTasks: kube.informer(Resources.RemediationTask, ns),
    riskExceptions: kube.informer(Resources.RiskException, ns),
  };
  const allInformers = Object.values(informers) as { hasSynced(): boolean; synced: Promise<void> }[];
  const feeds = new FeedManager({
    pool,
    kube,
    log: log.child({ component: "feeds" }),
    clock,
    sources: { epss: parseFeedSource("epss", config.epssSource), kev: parseFeedSource("kev", config.kevSource) },
    refreshMs: config.feedRefreshSeconds * 1000,
    pollMs: config.feedPollSeconds * 1000,
    registry: metrics.registry,
  });
  // Decide with the stored feeds from the first reconcile on; fetching new ones is the leader's job.
  await feeds.load().catch((err: unknown) => log.warn({ err: errorMessage(err) }, "could not load stored feeds; deciding without them for now"));
  const deps: ControllerDeps = {
    kube,
    informers,
    status: new StatusWriter(kube, metrics),
    recorder: new KubeEventRecorder(kube, clock, log),
    clock,
    log,
    metrics,
    pool,
    feeds,
  };
  const controllers = createControllers(deps, config.workers, { whatIfRefreshMs: config.whatIfRefreshSeconds * 1000, ...(config.watchNamespace ? { watchNamespace: config.watchNamespace } : {}) });
  // Delivers outbox rows to the ALMs on the leader; each delivery re-runs its task to project the result.
  const taskController = controllers.find((c) => c.kind === "RemediationTask");
  const outbox = new OutboxWorker({
    pool,
    resolver: new InformerIntegrationResolver(kube, informers.integrations, clock),
    clock,
    log: log.child({ component: "outbox" }),
    metrics,
    ...(ns ? { namespace: ns } : {}),
    concurrency: config.outboxConcurrency,
    perIntegration: config.outboxPerIntegration,
    maxAttempts: config.outboxMaxAttempts,
    backoff: { baseMs: 500, maxMs: Math.max(500, config.outboxBackoffMaxSeconds * 1000) },
    timeouts: { headersMs: config.almRequestTimeoutSeconds * 1000, bodyMs: config.almRequestTimeoutSeconds * 1000 },
    circuit: { coolDownMs: config.almCircuitCoolDownSeconds * 1000 },
    // A delivery is at most a handful of ALM requests, each bounded by the timeout.
    leaseMs: config.almRequestTimeoutSeconds * 1000 * 2 * 5 + 10_000,
    onChange: (namespace, task) => taskController?.queue.add(`${namespace}/${task}`),
  });
  // Ledger changes from ALM webhooks, verification and sync re-run the task to project them.
  deps.taskChanged = (namespace, task) => taskController?.queue.add(`${namespace}/${task}`);
  // Inbound ALM webhooks: every replica's endpoint queues them in PostgreSQL; the leader applies them.
  const inbound = new InboundProcessor({ pool, log: log.child({ component: "inbound" }), taskChanged: deps.taskChanged, ...(ns ? { namespace: ns } : {}) });

  // Admission runs on every replica, from the same informers; no leader needed.
  let admission: RunningAdmission | undefined;
  if (config.webhookEnabled) {
    try {
      admission = await startAdmission(config, { kube, informers, clock, log, registry: metrics.registry, recorder: deps.recorder, feeds, storedReports: ledgerReports(pool) });
    } catch (err) {
      kube.close();
      await pool.end();
      throw err;
    }
  }

  const health = new HealthServer(
    metrics.registry,
    [
      { name: "informers-synced", check: () => allInformers.every((i) => i.hasSynced()) },
      ...(admission ? [{ name: "admission-index", check: () => admission.ready() }] : []),
      {
        name: "database",
        check: async () => {
          await pool.query("SELECT 1");
          return true;
        },
      },
    ],
    [{ name: "process", check: () => true }],
  );
  if (admission) {
    admission.server.mount(new InboundEndpoint({ integrations: informers.integrations, kube, pool, clock, log: log.child({ component: "inbound" }), onQueued: () => inbound.nudge() }).route());
  }
  const healthPort = await health.listen(config.healthPort, config.healthAddr);

  const elector = new LeaderElector(
    kube,
    clock,
    log,
    {
      namespace: config.namespace,
      name: config.leaseName,
      identity: config.identity,
      leaseDurationMs: config.leaseDurationSeconds * 1000,
      renewDeadlineMs: config.renewDeadlineSeconds * 1000,
      retryPeriodMs: config.retryPeriodSeconds * 1000,
    },
    {
      onStartedLeading: () => {
        metrics.isLeader.set(1);
        feeds.nudge();
        // Work only from synced caches: a leader acting on a half-listed cache would miss objects.
        void Promise.all(allInformers.map((i) => i.synced)).then(() => {
          if (elector.isLeader()) {
            for (const c of controllers) c.start();
            outbox.start();
            inbound.start();
          }
        });
      },
      onStoppedLeading: () => {
        metrics.isLeader.set(0);
        for (const c of controllers) void c.stop();
        void outbox.stop();
        void inbound.stop();
      },
      onNewLeader: (id) => log.info({ leader: id }, "observed leader"),
    },
  );
  elector.start();
  feeds.start(() => elector.isLeader());
  log.info({ identity: config.identity, healthPort, namespace: config.namespace }, "operator started");

  let stopping: Promise<void> | undefined;
  return {
    healthPort,
    isLeader: () => elector.isLeader(),
    controllers,
    informers,
    feeds,
    ...(admission ? { admission } : {}),
    stop: () =>
      (stopping ??= (async () => {
        log.info("shutting down");
        await feeds.stop();
        await elector.stop();
        await Promise.all(controllers.map((c) => c.stop()));
        await outbox.stop();
        await inbound.stop();
        for (const c of controllers) c.shutDown();
        await admission?.stop();
        kube.close();
        await health.close();
        await pool.end();
        log.info("stopped");
      })()),
  };
}

async function ensureNamespaceExists(kube: KubeClient, namespace: string, log: Logger): Promise<void> {
  try {
    const existing = await kube.get<KubeObject>(Resources.Namespace, undefined, namespace);
    if (!existing) await kube.create(Resources.Namespace, { metadata: { name: namespace } });
  } catch (err) {
    // Without rights to create namespaces the Lease create reports the real problem.
    log.warn({ namespace, err: errorMessage(err) }, "could not ensure the operator namespace exists");
  }
}
