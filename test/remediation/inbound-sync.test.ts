// Two-way sync on the real control plane + PostgreSQL, with the Jira stand-in sending signed webhooks to
// the operator's HTTPS webhook server: a ticket closed in Jira puts its task in VERIFICATION; a newer scan
// without the finding resolves it (the ticket stays closed), a newer scan with it reopens the ticket with
// a comment naming the ScanResult; the echo of FixOps' own reopen is recorded but not acted on; forged,
// replayed, oversized, malformed and misaddressed deliveries change nothing; and the Integration's sync
// (requested by annotation) reports and repairs drift the webhooks missed.
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Resources, type KubeObject } from "../../operator/kube/port.js";
import { JIRA_BOT, JiraStandIn } from "../alm/index.js";
import { readyCondition, suffix, waitForObject } from "../harness/env.js";
import { waitFor } from "../harness/ports.js";
import { gateAndTwoTasks, inboundDeliveryCount, ledger as ledgerOf, NETTY, postHook, rescan as rescanWith, SPRING, st, startInboundEnv, stopInboundEnv, taskState as taskStateIn, type InboundEnv, type TicketedTask } from "./inbound-support.js";

const HOOK_SECRET = "jira-hook-secret-5f0c";

let env: InboundEnv;
let jira: JiraStandIn;
let hookUrl: string;
let tasks: Record<"log4j" | "spring", TicketedTask>;

const post = (url: string, headers: Record<string, string>, body: Buffer | string) => postHook(env, url, headers, body);
const sign = (body: Buffer | string, secret = HOOK_SECRET) => "sha256=" + createHmac("sha256", secret).update(body).digest("hex");
const ledger = () => ledgerOf(env);
const rescan = (vulns: object[]) => rescanWith(env, vulns);
const taskState = (name: string, state: string, timeoutMs?: number) => taskStateIn(env, name, state, timeoutMs);

beforeAll(async () => {
  jira = await new JiraStandIn({ flavor: "cloud" }).start();
  env = await startInboundEnv("inbound");
  const { kube, ns } = env;
  hookUrl = env.hookUrl("jira");
  await kube.create(Resources.Secret, { metadata: { name: "jira-creds", namespace: ns }, stringData: { username: JIRA_BOT.email!, token: JIRA_BOT.token } });
  await kube.create(Resources.Secret, { metadata: { name: "jira-hook", namespace: ns }, stringData: { secret: HOOK_SECRET } });
  await kube.create(Resources.Integration, {
    metadata: { name: "jira", namespace: ns },
    spec: {
      type: "jira",
      url: jira.baseUrl,
      jira: { projectKey: "SEC" },
      credentialsSecretRef: { name: "jira-creds" },
      inbound: { secretRef: { name: "jira-hook", key: "secret" } },
      network: { allowPrivateAddresses: true },
      rateLimit: { requestsPerSecond: 50, burst: 50 },
    },
  });
  // The loop guard knows FixOps' own Jira account from the credential check.
  await waitForObject(env.kube, Resources.Integration, env.ns, "jira", (o) => (o.status as { account?: string } | undefined)?.account === JIRA_BOT.accountId);
  jira.subscriptions.push({ url: hookUrl, secret: HOOK_SECRET, ca: env.ca });
  tasks = await gateAndTwoTasks(env, "jira");
}, 120_000);

afterAll(async () => {
  await stopInboundEnv(env, jira);
});

describe("inbound webhooks and verification", () => {
  it("Jira done → signed webhook → VERIFICATION; a newer scan without the finding → RESOLVED, the ticket stays closed", async () => {
    jira.humanSetState(tasks.log4j.key, "done");
    const v = await taskState(tasks.log4j.name, "VERIFICATION");
    expect(st(v).tickets?.[0]?.state).toBe("Done");
    await jira.flushWebhooks();
    expect(jira.deliveries.map((d) => d.status)).toEqual(jira.deliveries.map(() => 202));
    const row = await env.db.query("SELECT outcome, self_inflicted FROM inbound_deliveries WHERE namespace = $1 AND ticket_ref = $2 AND event->>'eventType' = 'jira:issue_updated'", [env.ns, tasks.log4j.key]);
    expect(row.rows).toEqual([{ outcome: "ASSIGNED → VERIFICATION", self_inflicted: false }]);

    await rescan([SPRING, NETTY]);
    const resolved = await taskState(tasks.log4j.name, "RESOLVED");
    expect((resolved.status as { transitions: { to: string; reason: string }[] }).transitions.at(-1)!.reason).toBe("ScanResult billing no longer has the finding");
    await waitFor("close delivered", async () => ((await env.db.query("SELECT 1 FROM outbox WHERE namespace = $1 AND task = $2 AND operation = 'set_state' AND status = 'delivered'", [env.ns, tasks.log4j.name])).rowCount ? true : undefined), 20_000, 200);
    expect(jira.stateOf(tasks.log4j.key)).toBe("Done");
    // The other task was not waiting for verification: untouched.
    expect(st(await env.kube.get<KubeObject>(Resources.RemediationTask, env.ns, tasks.spring.name) as KubeObject).state).toBe("ASSIGNED");
  }, 60_000);

  it("a newer scan that still has the finding reopens the ticket with a comment naming it; the echo of that reopen is not acted on", async () => {
    jira.humanSetState(tasks.spring.key, "done");
    await taskState(tasks.spring.name, "VERIFICATION");
    await rescan([SPRING]);
    const back = await taskState(tasks.spring.name, "IN_PROGRESS");
    expect((back.status as { transitions: { to: string; reason: string }[] }).transitions.at(-1)!.reason).toBe("ScanResult billing still has CVE-2022-22965");
    await waitFor("ticket reopened", async () => (jira.stateOf(tasks.spring.key) === "To Do" ? true : undefined), 20_000, 200);
    expect(jira.commentsOf(tasks.spring.key).join("\n")).toContain(`ScanResult ${env.ns}/billing`);
    // FixOps' reopen comes back from Jira as a webhook by FixOps' own account: recorded, nothing else.
    await jira.flushWebhooks();
    const echo = await waitFor("echo processed", async () => {
      const r = await env.db.query<{ outcome: string | null }>("SELECT outcome FROM inbound_deliveries WHERE namespace = $1 AND ticket_ref = $2 AND self_inflicted AND event->>'eventType' = 'jira:issue_updated'", [env.ns, tasks.spring.key]);
      return r.rows[0]?.outcome ? r.rows : undefined;
    }, 20_000, 200);
    expect(echo).toEqual([{ outcome: "own change (open) recorded, not acted on" }]);
    const before = await ledger();
    await new Promise((r) => setTimeout(r, 1500));
    expect(await ledger()).toEqual(before);
    expect(before.tasks.find((t) => t.name === tasks.spring.name)).toEqual({ name: tasks.spring.name, state: "IN_PROGRESS" });
  }, 60_000);

  it("forged, replayed, oversized, malformed and misaddressed deliveries are refused and change nothing", async () => {
    const before = await ledger();
    const deliveriesBefore = await inboundDeliveryCount(env);
    const body = JSON.stringify({
      webhookEvent: "jira:issue_updated",
      timestamp: Date.now(),
      user: { accountId: "someone" },
      issue: { id: "1", key: tasks.spring.key, fields: { status: { name: "Done", statusCategory: { key: "done" } }, labels: [], project: { key: "SEC" } } },
      changelog: { id: "c-1", items: [{ field: "status" }] },
    });
    const id = { "x-atlassian-webhook-identifier": `forged-${suffix()}` };
    expect((await post(hookUrl, { ...id, "x-hub-signature": sign(body, "wrong-secret") }, body)).status).toBe(401);
    expect((await post(hookUrl, id, body)).status).toBe(401);
    expect((await post(hookUrl, { ...id, "x-hub-signature": sign(body).replace("sha256", "sha1") }, body)).status).toBe(401);
    const big = Buffer.alloc(1024 * 1024 + 1, 0x20);
    expect((await post(hookUrl, { ...id, "x-hub-signature": sign(big) }, big)).status).toBe(413);
    const notJson = "{not json";
    const bad = await post(hookUrl, { ...id, "x-hub-signature": sign(notJson) }, notJson);
    expect(bad.status).toBe(400);
    expect(bad.body).toContain("not valid JSON");
    expect((await post(`${env.hookUrl("no-such-integration")}`, { ...id, "x-hub-signature": sign(body) }, body)).status).toBe(404);
    expect((await post(env.hookUrl("jira", "default"), { ...id, "x-hub-signature": sign(body) }, body)).status).toBe(404);
    // A real delivery sent again, byte for byte: answered, not applied again.
    const real = jira.deliveries.find((d) => d.status === 202)!;
    const replay = await post(real.url, real.headers, real.body);
    expect(replay.status).toBe(200);
    expect(JSON.parse(replay.body)).toMatchObject({ result: "replay" });
    await new Promise((r) => setTimeout(r, 1000));
    expect(await ledger()).toEqual(before);
    expect(await inboundDeliveryCount(env)).toBe(deliveriesBefore);
  }, 60_000);
});

describe("Integration sync", () => {
  it("reports drift the webhooks missed (closed while the finding is present, deleted) and reopens the closed ticket", async () => {
    jira.subscriptions.length = 0; // from here on, Jira's webhooks are lost
    jira.humanSetState(tasks.spring.key, "done");
    jira.humanDelete(tasks.log4j.key);
    await env.kube.mergePatch(Resources.Integration, env.ns, "jira", { metadata: { annotations: { "fixops.io/sync-requested": "first" } } });
    type Sync = { request?: string; result: string; itemsChecked: number; driftFound: number; repaired: number; drift?: { task: string; kind: string; detail: string }[]; driftByKind?: Record<string, number> };
    const synced = await waitForObject(env.kube, Resources.Integration, env.ns, "jira", (o) => (o.status as { lastSync?: Sync }).lastSync?.request === "first", 30_000);
    const s = (synced.status as { lastSync: Sync }).lastSync;
    expect(readyCondition(synced)?.status).toBe("True");
    expect(s).toMatchObject({ result: "Succeeded", itemsChecked: 2, driftFound: 2, repaired: 1, driftByKind: { closedWithFindingPresent: 1, ticketDeleted: 1, stateMismatch: 0 } });
    expect(s.drift!.map((d) => [d.task, d.kind]).sort()).toEqual([[tasks.log4j.name, "ticket-deleted"], [tasks.spring.name, "closed-with-finding-present"]].sort());
    expect(s.drift!.find((d) => d.kind === "closed-with-finding-present")!.detail).toContain("ScanResult billing still has CVE-2022-22965");
    await waitFor("ticket reopened by the sync", async () => (jira.stateOf(tasks.spring.key) === "To Do" ? true : undefined), 20_000, 200);
    expect(jira.commentsOf(tasks.spring.key).at(-1)).toContain("found by the Integration's sync");
    expect((await env.db.query("SELECT state FROM remediation_tasks WHERE namespace = $1 AND name = $2", [env.ns, tasks.spring.name])).rows[0]).toEqual({ state: "IN_PROGRESS" });
  }, 60_000);
});
