// The OutboxWorker against real PostgreSQL and Jira stand-ins, without Kubernetes: a slow ALM does not
// stall a healthy one, Retry-After is honoured, attempts are capped into a dead letter that can be
// retried, and a response lost after the ticket was created does not create a second one.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import pg from "pg";
import { Registry } from "prom-client";
import type { IntegrationSpec } from "../../api/v1alpha1/index.js";
import { ticketDraft } from "../../controllers/remediationtask/decide.js";
import { ensureTask } from "../../remediation/ledger.js";
import { slaDue } from "../../remediation/lifecycle.js";
import { systemClock } from "../../operator/clock.js";
import { OperatorMetrics } from "../../operator/metrics.js";
import { idempotencyKeyFor, retryDead } from "../../outbox/store.js";
import { OutboxWorker, type OutboxWorkerOptions } from "../../outbox/worker.js";
import { migrate } from "../../store/migrate.js";
import { JIRA_BOT, JiraStandIn } from "../alm/index.js";
import { ROOT, harnessEnv, quietLog, suffix } from "../harness/env.js";
import { waitFor } from "../harness/ports.js";

const run = promisify(execFile);
let pool: pg.Pool;
const stands: JiraStandIn[] = [];
const workers: OutboxWorker[] = [];

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: harnessEnv().databaseUrl, max: 10 });
  await migrate(pool, quietLog());
});
afterAll(async () => {
  for (const w of workers) await w.stop();
  for (const s of stands) await s.close();
  await pool.end();
});

async function standIn(): Promise<JiraStandIn> {
  const s = await new JiraStandIn({ flavor: "cloud" }).start();
  stands.push(s);
  return s;
}

const specFor = (s: JiraStandIn, rateLimit = { requestsPerSecond: 500, burst: 500 }): IntegrationSpec => ({
  type: "jira",
  url: s.baseUrl,
  jira: { flavor: "cloud", projectKey: "SEC", issueType: "Bug" },
  credentialsSecretRef: { name: "jira" },
  rateLimit,
  syncInterval: "10m",
  network: { allowPrivateAddresses: true, allowLinkLocal: false },
});

function startWorker(namespace: string, integrations: Record<string, IntegrationSpec>, opts: Partial<OutboxWorkerOptions> = {}): OutboxWorker {
  const w = new OutboxWorker({
    pool,
    resolver: {
      resolve: async (ns, name) => {
        const spec = ns === namespace ? integrations[name] : undefined;
        if (!spec) throw new Error(`no integration ${ns}/${name}`);
        return { spec, credentials: { username: JIRA_BOT.email!, token: JIRA_BOT.token }, version: "1" };
      },
    },
    clock: systemClock,
    log: quietLog(),
    metrics: new OperatorMetrics(new Registry(), false),
    namespace,
    pollMs: 25,
    ...opts,
  });
  workers.push(w);
  w.start();
  return w;
}

async function queueTasks(namespace: string, integration: string, n: number, prefix = "t"): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = `${prefix}-${i}`;
    const sla = slaDue(new Date(), "HIGH");
    const spec = { title: `task ${name}`, artifact: { image: "ghcr.io/acme/api:1.0" }, clusterKey: `k|${name}`, findingKeys: [], vulnerabilityIds: [`CVE-2024-${1000 + i}`], severity: "HIGH" as const, integrationRefs: [{ name: integration }] };
    await ensureTask(pool, { namespace, name, clusterKey: spec.clusterKey, severity: "HIGH", sla }, [{ integration, work: { operation: "create", payload: ticketDraft(namespace, name, spec, sla) } }]);
    names.push(name);
  }
  return names;
}

const statusCount = async (namespace: string, integration: string, status: string) =>
  Number((await pool.query<{ n: string }>("SELECT count(*) AS n FROM outbox WHERE namespace = $1 AND integration = $2 AND status = $3", [namespace, integration, status])).rows[0]!.n);

describe("OutboxWorker", () => {
  it("a hanging ALM holds at most its own slots; a healthy one is served meanwhile", async () => {
    const ns = `ow-slow-${suffix()}`;
    const slow = await standIn();
    slow.faults.next(10_000, { kind: "hang" });
    const fast = await standIn();
    await queueTasks(ns, "slow", 20, "s");
    await queueTasks(ns, "fast", 40, "f");
    startWorker(ns, { slow: specFor(slow), fast: specFor(fast) }, { concurrency: 8, perIntegration: 4, timeouts: { headersMs: 4000, bodyMs: 4000 } });
    await waitFor("fast integration delivered", async () => ((await statusCount(ns, "fast", "delivered")) === 40 ? true : undefined), 3500, 50);
    // All of that happened while the slow ALM's first requests were still hanging (4 s timeout).
    expect(await statusCount(ns, "slow", "delivered")).toBe(0);
    expect(slow.requests()).toBeLessThanOrEqual(4);
    expect(fast.issues.size).toBe(40);
  }, 30_000);

  it("honours Retry-After: nothing goes to that ALM until it has passed", async () => {
    const ns = `ow-429-${suffix()}`;
    const jira = await standIn();
    jira.faults.rateLimit(1, "2");
    await queueTasks(ns, "jira", 1);
    startWorker(ns, { jira: specFor(jira) });
    await waitFor("the 429", async () => (jira.faults.injected.status === 1 ? true : undefined), 5000, 10);
    const at = Date.now();
    while (Date.now() - at < 1700) {
      expect(jira.requests()).toBe(1);
      await new Promise((r) => setTimeout(r, 50));
    }
    await waitFor("delivered", async () => ((await statusCount(ns, "jira", "delivered")) === 1 ? true : undefined), 5000, 25);
    expect(Date.now() - at).toBeGreaterThanOrEqual(1900);
    expect(jira.issues.size).toBe(1);
  }, 20_000);

  it("caps attempts into a dead letter with the ALM's error; a retry with a fresh budget delivers it once", async () => {
    const ns = `ow-dead-${suffix()}`;
    const jira = await standIn();
    jira.faults.next(1000, { kind: "status", status: 500 });
    const [name] = await queueTasks(ns, "jira", 1);
    startWorker(ns, { jira: specFor(jira) }, { maxAttempts: 3, backoff: { baseMs: 20, maxMs: 50 }, circuit: { failureThreshold: 100 } });
    await waitFor("dead letter", async () => ((await statusCount(ns, "jira", "dead")) === 1 ? true : undefined), 10_000, 25);
    const row = (await pool.query<{ attempts: number; last_error: string }>("SELECT attempts, last_error FROM outbox WHERE namespace = $1", [ns])).rows[0]!;
    expect(row.attempts).toBe(3);
    expect(row.last_error).toMatch(/^jira .*HTTP 500/);
    const requests = jira.requests();
    await new Promise((r) => setTimeout(r, 300));
    expect(jira.requests()).toBe(requests);

    // `fixops outbox dead` lists it; `fixops outbox retry` puts it back with a fresh budget.
    const fixops = (...args: string[]) =>
      run(process.execPath, ["--import", "tsx", join(ROOT, "cli", "main.ts"), "outbox", ...args, "--database-url", harnessEnv().databaseUrl], { cwd: ROOT });
    const listed = await fixops("dead", "-n", ns);
    expect(listed.stdout).toMatch(new RegExp(`^${name}\tjira\tcreate\tattempts=3\tjira .*HTTP 500`));
    jira.faults.clear();
    expect((await fixops("retry", "-n", ns, "-t", name!)).stdout).toBe(`requeued 1 dead letter in namespace ${ns} for task ${name}\n`);
    expect(await retryDead(pool, ns, name)).toBe(0);
    await waitFor("delivered after retry", async () => ((await statusCount(ns, "jira", "delivered")) === 1 ? true : undefined), 5000, 25);
    expect(jira.ticketsWithKey(idempotencyKeyFor(ns, name!, "jira"))).toBe(1);
  }, 20_000);

  it("losing and regaining leadership in quick succession (stop, start before the stop finished) keeps one claim loop and delivers each row once", async () => {
    const ns = `ow-flap-${suffix()}`;
    const jira = await standIn();
    const names = await queueTasks(ns, "jira", 60);
    const w = startWorker(ns, { jira: specFor(jira) }, { concurrency: 4, perIntegration: 4 });
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 30));
      void w.stop();
      w.start();
    }
    await waitFor("delivered", async () => ((await statusCount(ns, "jira", "delivered")) === 60 ? true : undefined), 15_000, 25);
    for (const n of names) expect(jira.ticketsWithKey(idempotencyKeyFor(ns, n, "jira"))).toBe(1);
    expect(jira.requests("POST /rest/api/3/issue")).toBe(60);
    await w.stop();
    expect(w.busy).toBe(0);
  }, 30_000);

  it("a response lost after the ALM created the ticket: the retry finds it by its key instead of creating another", async () => {
    const ns = `ow-lost-${suffix()}`;
    const jira = await standIn();
    jira.faults.next(3, { kind: "lose-response" }, { route: "POST /rest/api/3/issue" });
    const names = await queueTasks(ns, "jira", 3);
    startWorker(ns, { jira: specFor(jira) }, { backoff: { baseMs: 20, maxMs: 50 } });
    await waitFor("delivered", async () => ((await statusCount(ns, "jira", "delivered")) === 3 ? true : undefined), 10_000, 25);
    expect(jira.faults.injected["lose-response"]).toBe(3);
    expect(jira.requests("POST /rest/api/3/issue")).toBe(3);
    for (const n of names) expect(jira.ticketsWithKey(idempotencyKeyFor(ns, n, "jira"))).toBe(1);
    const links = await pool.query<{ ticket_key: string }>("SELECT ticket_key FROM ticket_links WHERE namespace = $1 ORDER BY ticket_key", [ns]);
    expect(links.rows.map((r) => r.ticket_key).sort()).toEqual([...jira.issues.values()].map((i) => i.key).sort());
  }, 20_000);
});
