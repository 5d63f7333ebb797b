// Chaos: 1,000 RemediationTasks against a Jira stand-in that fails 30% of requests (429 with
// Retry-After, 500, 503, hung requests the client must time out, connection resets, and responses lost
// after the ticket was created), while the operator — a real `fixops operator` child process — is
// SIGKILLed at seeded random moments 10 times. Afterwards every task has exactly one ticket, and none
// is lost: each task's status names it, and the ledger links it.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import pg from "pg";
import type { KubeClient } from "../../operator/kube/client.js";
import { Resources, type KubeObject } from "../../operator/kube/port.js";
import { idempotencyKeyFor } from "../../outbox/store.js";
import { JIRA_BOT, JiraStandIn, type Fault } from "../alm/index.js";
import { adminClient, createNamespace, harnessEnv, metricsText, metricValue } from "../harness/env.js";
import { spawnOperator, type OperatorProcess } from "../harness/operator.js";
import { waitFor } from "../harness/ports.js";
import { seededRandom } from "../support/seeded-random.js";

const TASKS = Number(process.env.FIXOPS_CHAOS_TASKS ?? 1000);
const KILLS = 10;
const SEED = 20261122;
const FAULTS: Fault[] = [
  { kind: "status", status: 429, headers: { "retry-after": "0.2" } },
  { kind: "status", status: 500 },
  { kind: "status", status: 503 },
  { kind: "hang" },
  { kind: "reset" },
  { kind: "lose-response" },
];
// Tight timeouts so hung requests cost seconds, not minutes; more attempts than the default so that a
// 30% failure rate cannot dead-letter a row by bad luck (0.3^20).
const OPERATOR_ENV = {
  FIXOPS_ALM_REQUEST_TIMEOUT_SECONDS: "1",
  FIXOPS_ALM_CIRCUIT_COOL_DOWN_SECONDS: "1",
  FIXOPS_OUTBOX_MAX_ATTEMPTS: "20",
  FIXOPS_OUTBOX_PER_INTEGRATION: "16",
  // Compressed time: a row never waits more than 5 s between attempts (production default: 5 min).
  FIXOPS_OUTBOX_BACKOFF_MAX_SECONDS: "5",
  FIXOPS_LOG_LEVEL: "warn",
};

let kube: KubeClient;
let ns: string;
let jira: JiraStandIn;
let db: pg.Pool;
let current: OperatorProcess | undefined;

beforeAll(async () => {
  jira = await new JiraStandIn({ flavor: "cloud" }).start();
  jira.faults.randomFailures({ rate: 0.3, seed: SEED, faults: FAULTS });
  kube = await adminClient();
  ns = await createNamespace(kube, "chaos");
  db = new pg.Pool({ connectionString: harnessEnv().databaseUrl, max: 2 });
  await kube.create(Resources.Secret, { metadata: { name: "jira-creds", namespace: ns }, stringData: { username: JIRA_BOT.email!, token: JIRA_BOT.token } });
  await kube.create(Resources.Integration, {
    metadata: { name: "jira", namespace: ns },
    spec: { type: "jira", url: jira.baseUrl, jira: { projectKey: "SEC" }, credentialsSecretRef: { name: "jira-creds" }, network: { allowPrivateAddresses: true }, rateLimit: { requestsPerSecond: 300, burst: 100 } },
  });
}, 60_000);
afterAll(async () => {
  await current?.kill("SIGKILL");
  await db?.end();
  await jira?.close();
  await kube.delete(Resources.Namespace, undefined, ns);
  kube.close();
});

const taskName = (i: number) => `chaos-${i.toString().padStart(4, "0")}`;
const linked = async () => Number((await db.query<{ n: string }>("SELECT count(*) AS n FROM ticket_links WHERE namespace = $1", [ns])).rows[0]!.n);

async function untilLeader(p: OperatorProcess): Promise<void> {
  await waitFor(`operator ${p.identity} leads`, async () => (metricValue(await metricsText(p.healthPort), "fixops_leader") === 1 ? true : undefined), 30_000, 100);
}

describe("outbox under chaos", () => {
  it(`${TASKS} tasks, 30% ALM failures, ${KILLS} SIGKILLs → exactly one ticket per task, none lost`, async () => {
    const rng = seededRandom(SEED);
    const started = Date.now();
    for (let i = 0; i < TASKS; i += 25) {
      await Promise.all(
        Array.from({ length: Math.min(25, TASKS - i) }, (_, k) =>
          kube.create(Resources.RemediationTask, {
            metadata: { name: taskName(i + k), namespace: ns },
            spec: { title: `chaos ${i + k}`, artifact: { image: "ghcr.io/acme/api:1.0" }, clusterKey: `chaos|${i + k}`, vulnerabilityIds: [`CVE-2025-${10000 + i + k}`], severity: "HIGH", integrationRefs: [{ name: "jira" }] },
          }),
        ),
      );
    }

    const progress: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      current = await spawnOperator({ watchNamespace: ns, identity: `chaos-${k}`, extraEnv: OPERATOR_ENV });
      await untilLeader(current);
      await new Promise((r) => setTimeout(r, 500 + Math.floor(rng() * 3500)));
      await current.kill("SIGKILL");
      current = undefined;
      progress.push(await linked());
    }
    // Work happened between kills, and was not finished before the last one.
    expect(progress[KILLS - 1]).toBeGreaterThan(0);

    const killsDone = Date.now();
    current = await spawnOperator({ watchNamespace: ns, identity: "chaos-final", extraEnv: OPERATOR_ENV });
    await waitFor("every task linked to a ticket", async () => ((await linked()) >= TASKS ? true : undefined), 10 * 60_000, 1000);
    const tasks = await waitFor(
      "every task's status names its ticket",
      async () => {
        const list = await kube.list<KubeObject & { status?: { state?: string; tickets?: { key?: string }[] } }>(Resources.RemediationTask, ns);
        return list.length === TASKS && list.every((t) => t.status?.tickets?.[0]?.key && t.status.state === "ASSIGNED") ? list : undefined;
      },
      5 * 60_000,
      2000,
    );
    const drained = Date.now();
    await current.kill("SIGTERM");
    current = undefined;

    // Exactly one ticket per task in the ALM, and the one the ledger and the status name.
    const links = new Map(
      (await db.query<{ task: string; ticket_key: string }>("SELECT task, ticket_key FROM ticket_links WHERE namespace = $1", [ns])).rows.map((r) => [r.task, r.ticket_key]),
    );
    let duplicates = 0;
    let missing = 0;
    for (let i = 0; i < TASKS; i++) {
      const n = jira.ticketsWithKey(idempotencyKeyFor(ns, taskName(i), "jira"));
      if (n > 1) duplicates += n - 1;
      if (n === 0) missing++;
    }
    expect({ duplicates, missing }).toEqual({ duplicates: 0, missing: 0 });
    expect([...jira.issues.values()].filter((i) => !i.deleted)).toHaveLength(TASKS);
    for (const t of tasks) expect(t.status!.tickets![0]!.key).toBe(links.get(t.metadata.name));
    const dead = await db.query("SELECT 1 FROM outbox WHERE namespace = $1 AND status = 'dead'", [ns]);
    expect(dead.rowCount).toBe(0);
    // The faults really happened, of every kind.
    for (const kind of ["status", "hang", "reset", "lose-response"] as const) expect(jira.faults.injected[kind]).toBeGreaterThan(0);
    process.stdout.write(
      `chaos: ${TASKS} tasks, faults injected ${JSON.stringify(jira.faults.injected)}, links after each kill ${progress.join(",")}; ` +
        `create+kills ${((killsDone - started) / 1000).toFixed(0)} s, final drain ${((drained - killsDone) / 1000).toFixed(0)} s\n`,
    );
  }, 15 * 60_000);
});
