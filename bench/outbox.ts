// npm run bench:outbox — 5,000 RemediationTasks delivered to the Jira Cloud stand-in through the real
// ledger (task row + outbox row in one transaction), the real OutboxWorker (SKIP LOCKED claims, token
// bucket, circuit breaker, lookup by idempotency key before create) and a real PostgreSQL (DATABASE_URL,
// or a throwaway cluster like the tests'). The stand-in runs in a child process so it does not share the
// worker's event loop. Two phases: a backlog (all tasks queued, then the worker drains them) and a steady
// stream (tasks queued at a fixed rate while the worker runs), whose end-to-end latency is enqueue →
// ticket recorded. Prints figures; asserts nothing.
import { fork } from "node:child_process";
import { cpus } from "node:os";
import { Registry } from "prom-client";
import type { IntegrationSpec } from "../api/v1alpha1/index.js";
import { ticketDraft } from "../controllers/remediationtask/decide.js";
import { ensureTask } from "../remediation/ledger.js";
import { slaDue } from "../remediation/lifecycle.js";
import { createLogger } from "../operator/logger.js";
import { OperatorMetrics } from "../operator/metrics.js";
import { systemClock } from "../operator/clock.js";
import { idempotencyKeyFor } from "../outbox/store.js";
import { OutboxWorker } from "../outbox/worker.js";
import { migrate } from "../store/migrate.js";
import { createPool } from "../store/pool.js";
import { JIRA_BOT, JiraStandIn } from "../test/alm/jira.js";
import { startPostgres } from "../test/harness/postgres.js";

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}
const TASKS = Number(flag("tasks") ?? 5000);
const STREAM_RATE = Number(flag("rate") ?? 250);
const CONCURRENCY = Number(flag("concurrency") ?? 32);
const TARGET_PER_S = 200;

type ChildMsg = { ready: string } | { counts: { issues: number; duplicates: number; missing: number } };

// ---- child: the Jira stand-in ----------------------------------------------------------------------
if (process.argv.includes("--standin")) {
  const jira = await new JiraStandIn({ flavor: "cloud" }).start();
  process.on("message", (msg: { keys: string[] }) => {
    let duplicates = 0;
    let missing = 0;
    // One pass over the issues (ticketsWithKey per key would be quadratic).
    const perKey = new Map<string, number>();
    for (const i of jira.issues.values()) for (const l of i.labels) if (l.startsWith("fixops-t-")) perKey.set(l.slice(7), (perKey.get(l.slice(7)) ?? 0) + 1);
    for (const k of msg.keys) {
      const n = perKey.get(k) ?? 0;
      if (n === 0) missing++;
      if (n > 1) duplicates += n - 1;
    }
    process.send!({ counts: { issues: jira.issues.size, duplicates, missing } } satisfies ChildMsg);
  });
  process.send!({ ready: jira.baseUrl } satisfies ChildMsg);
  await new Promise(() => {});
}

// ---- parent: ledger + worker -------------------------------------------------------------------------
const child = fork(process.argv[1]!, ["--standin"], { execArgv: process.execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
const next = () => new Promise<ChildMsg>((resolve) => child.once("message", (m) => resolve(m as ChildMsg)));
const ready = await next();
if (!("ready" in ready)) throw new Error("stand-in did not start");
const baseUrl = ready.ready;

const pg = await startPostgres();
const log = createLogger("warn", process.stderr);
const pool = createPool(pg.url, 20, log, "fixops-bench-outbox");
await migrate(pool, log);
const NS = `bench-${Date.now().toString(36)}`;

const spec: IntegrationSpec = {
  type: "jira",
  url: baseUrl,
  jira: { flavor: "cloud", projectKey: "SEC", issueType: "Bug" },
  credentialsSecretRef: { name: "jira" },
  rateLimit: { requestsPerSecond: 1000, burst: 1000 },
  syncInterval: "10m",
  network: { allowPrivateAddresses: true, allowLinkLocal: false },
};
const metrics = new OperatorMetrics(new Registry(), false);

async function enqueue(i: number): Promise<string> {
  const name = `rt-bench-${i.toString().padStart(6, "0")}`;
  const sla = slaDue(new Date(), "HIGH");
  const taskSpec = {
    title: `CVE-2024-${10000 + i} in libfoo 1.${i} (ghcr.io/acme/api:1.0)`,
    artifact: { image: "ghcr.io/acme/api:1.0" },
    clusterKey: `bench|${i}`,
    findingKeys: [`bench|${i}`],
    vulnerabilityIds: [`CVE-2024-${10000 + i}`],
    severity: "HIGH" as const,
    integrationRefs: [{ name: "jira" }],
  };
  await ensureTask(pool, { namespace: NS, name, clusterKey: taskSpec.clusterKey, severity: "HIGH", sla }, [{ integration: "jira", work: { operation: "create", payload: ticketDraft(NS, name, taskSpec, sla) } }]);
  return name;
}

function worker(): OutboxWorker {
  return new OutboxWorker({
    pool,
    resolver: { resolve: async () => ({ spec, credentials: { username: JIRA_BOT.email!, token: JIRA_BOT.token }, version: "1" }) },
    clock: systemClock,
    log,
    metrics,
    namespace: NS,
    concurrency: CONCURRENCY,
    perIntegration: CONCURRENCY,
    pollMs: 20,
  });
}

async function waitDelivered(names: number): Promise<void> {
  for (;;) {
    const r = await pool.query<{ n: string }>("SELECT count(*) AS n FROM outbox WHERE namespace = $1 AND status = 'delivered'", [NS]);
    if (Number(r.rows[0]!.n) >= names) return;
    await new Promise((res) => setTimeout(res, 20));
  }
}

async function latencies(from: number, to: number): Promise<{ p50: number; p99: number; max: number }> {
  const r = await pool.query<{ ms: number }>(
    `SELECT EXTRACT(EPOCH FROM (delivered_at - created_at)) * 1000 AS ms FROM outbox WHERE namespace = $1 AND status = 'delivered' AND task >= $2 AND task < $3 ORDER BY 1`,
    [NS, `rt-bench-${from.toString().padStart(6, "0")}`, `rt-bench-${to.toString().padStart(6, "0")}`],
  );
  const ms = r.rows.map((x) => Number(x.ms));
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))] ?? NaN;
  return { p50: q(0.5), p99: q(0.99), max: ms[ms.length - 1] ?? NaN };
}

const half = Math.floor(TASKS / 2);
process.stdout.write(`outbox bench: ${TASKS} tasks, Jira Cloud stand-in in a child process, worker concurrency ${CONCURRENCY}, ${cpus().length} CPUs\n`);

// Phase 1: backlog.
let t0 = performance.now();
for (let i = 0; i < half; i += 50) await Promise.all(Array.from({ length: Math.min(50, half - i) }, (_, k) => enqueue(i + k)));
const enqueueS = (performance.now() - t0) / 1000;
const w1 = worker();
t0 = performance.now();
w1.start();
await waitDelivered(half);
const backlogS = (performance.now() - t0) / 1000;
await w1.stop();

// Phase 2: a steady stream at STREAM_RATE tasks/s while the worker runs.
const w2 = worker();
w2.start();
t0 = performance.now();
const streamStart = performance.now();
let queued = half;
while (queued < TASKS) {
  const due = Math.min(TASKS, half + Math.floor(((performance.now() - streamStart) / 1000) * STREAM_RATE));
  const batch: Promise<string>[] = [];
  for (; queued < due; queued++) batch.push(enqueue(queued));
  await Promise.all(batch);
  await new Promise((res) => setTimeout(res, 10));
}
await waitDelivered(TASKS);
const streamS = (performance.now() - t0) / 1000;
await w2.stop();

const backlogLat = await latencies(0, half);
const streamLat = await latencies(half, TASKS);
const keys = Array.from({ length: TASKS }, (_, i) => idempotencyKeyFor(NS, `rt-bench-${i.toString().padStart(6, "0")}`, "jira"));
child.send({ keys });
const counts = await next();
if (!("counts" in counts)) throw new Error("no counts from the stand-in");
const dbDup = await pool.query<{ n: string }>("SELECT count(*) AS n FROM (SELECT task FROM ticket_links WHERE namespace = $1 GROUP BY task HAVING count(*) > 1) x", [NS]);

const f = (x: number) => x.toFixed(1);
process.stdout.write(
  [
    `enqueue (task row + outbox row per transaction): ${half} tasks in ${f(enqueueS)} s = ${f(half / enqueueS)} tasks/s`,
    `backlog drain: ${half} tasks delivered in ${f(backlogS)} s = ${f(half / backlogS)} tasks/s (target >= ${TARGET_PER_S})`,
    `  latency enqueue→delivered (includes waiting in the backlog): p50 ${f(backlogLat.p50)} ms, p99 ${f(backlogLat.p99)} ms`,
    `steady stream at ${STREAM_RATE} tasks/s: ${TASKS - half} tasks delivered in ${f(streamS)} s = ${f((TASKS - half) / streamS)} tasks/s`,
    `  delivery latency enqueue→delivered: p50 ${f(streamLat.p50)} ms, p99 ${f(streamLat.p99)} ms, max ${f(streamLat.max)} ms`,
    `overall: ${TASKS} tasks, ${f(TASKS / (backlogS + streamS))} tasks/s over both phases`,
    `tickets in Jira: ${counts.counts.issues}; duplicates: ${counts.counts.duplicates}; missing: ${counts.counts.missing}; tasks with two links: ${dbDup.rows[0]!.n}`,
    "",
  ].join("\n"),
);

await pool.query("DELETE FROM outbox WHERE namespace = $1", [NS]);
await pool.query("DELETE FROM ticket_links WHERE namespace = $1", [NS]);
await pool.query("DELETE FROM remediation_tasks WHERE namespace = $1", [NS]);
await pool.query("DELETE FROM audit_events WHERE namespace = $1", [NS]);
await pool.end();
await pg.stop();
child.kill();
