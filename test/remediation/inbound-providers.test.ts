// Two-way sync for GitHub, GitLab, Azure DevOps and ServiceNow on the real control plane + PostgreSQL, the
// stand-ins sending their webhooks to the operator's HTTPS server authenticated as the real systems do
// (GitHub X-Hub-Signature-256 with X-GitHub-Delivery; GitLab X-Gitlab-Token with Idempotency-Key /
// X-Gitlab-Event-UUID; Azure DevOps service hooks with Basic auth; ServiceNow's business rule with the
// shared-secret header): a ticket a person closes puts its task in VERIFICATION, reopening it puts the
// task back to work; a close the next scan contradicts is reopened by FixOps and the echo is not acted
// on; forged deliveries → 401, replays → 200 and not applied again, another project's events → ignored;
// nothing changed by any of them.
import { createHmac, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Resources, type KubeObject } from "../../operator/kube/port.js";
import { SERVICENOW_SECRET_HEADER } from "../../webhooks/inbound/verify.js";
import { ADO_BOT, ADO_HUMAN, ADO_ORG, ADO_PROJECT, AzureDevOpsStandIn } from "../alm/azuredevops.js";
import { GH_BOT, GH_HUMAN, GH_REPO, GitHubStandIn } from "../alm/github.js";
import { GL_BOT, GL_HUMAN, GL_PROJECT, GitLabStandIn } from "../alm/gitlab.js";
import { ServiceNowStandIn, SN_BOT, SN_HUMAN } from "../alm/servicenow.js";
import type { Delivery, StandIn, WebhookSubscription } from "../alm/standin.js";
import type { TicketStandIn } from "../alm/ticket-standin.js";
import { waitForObject } from "../harness/env.js";
import { waitFor } from "../harness/ports.js";
import { deliveryOutcomes, gateAndTwoTasks, inboundDeliveryCount, LOG4J, ledger, postHook, rescan, SPRING, st, startInboundEnv, stopInboundEnv, taskState, type InboundEnv, type TicketedTask } from "./inbound-support.js";

type Body = Record<string, unknown> & {
  action?: string;
  issue?: { number?: number };
  object_attributes?: { action?: string; iid?: number };
  eventType?: string;
  resource?: { workItemId?: number; fields?: Record<string, unknown> };
  operation?: string;
  sys_id?: string;
  state?: string;
};

interface Provider {
  name: "github" | "gitlab" | "azuredevops" | "servicenow";
  start(): Promise<StandIn & TicketStandIn>;
  spec(url: string): object;
  credentials: Record<string, string>;
  /** What the Integration's credential check reports (the loop guard's own account). */
  account: string;
  /** The person who closes and reopens tickets, as the ALM's webhooks name them. */
  human: string;
  subscription(url: string, secret: string, ca: string): WebhookSubscription;
  /** The ticket link's state after a person closes the ticket the ordinary way, and after a reopen. */
  closedState: string;
  reopenedState: string;
  /** Where FixOps' own reopen puts the ticket, and its category, when not reopenedState / open. */
  fixopsReopen?: { state: string; category: string };
  /** InboundEvent.eventType of a ticket's creation, close and reopen. */
  events: { open: string; close: string; reopen: string };
  /** Whether `body` is the delivery of a person closing ticket `ref`. */
  isClose(b: Body, ref: string): boolean;
  /** The headers a real delivery must carry, checked on what the stand-in sent. */
  deliveryHeaders: string[];
  /** Header sets that must not authenticate `body` (wrong secret, none, a near miss, a legacy scheme). */
  badAuth(body: string, secret: string): Record<string, string>[];
  /** Headers that authenticate `body` with `secret` and give it a new delivery id. */
  authenticate(body: string, secret: string): Record<string, string>;
  /** `body` as the same event about the same ticket number of another repository / project, a new delivery. */
  otherProject?(body: string): string;
}

const HOOK_SECRET = "inbound-hook-secret-9d2e";
const ghSig = (body: string, secret: string) => "sha256=" + createHmac("sha256", secret).update(body).digest("hex");
const basic = (user: string, password: string) => "Basic " + Buffer.from(`${user}:${password}`).toString("base64");

const PROVIDERS: Provider[] = [
  {
    name: "github",
    start: () => new GitHubStandIn().start(),
    spec: (url) => ({ type: "github", url, github: { owner: GH_REPO.owner, repo: GH_REPO.repo } }),
    credentials: { token: GH_BOT.token },
    account: GH_BOT.login,
    human: GH_HUMAN.login,
    subscription: (url, secret, ca) => ({ url, secret, ca }),
    closedState: "closed/completed",
    reopenedState: "open/reopened",
    events: { open: "issues.opened", close: "issues.closed", reopen: "issues.reopened" },
    isClose: (b, ref) => b.action === "closed" && String(b.issue?.number) === ref,
    deliveryHeaders: ["x-hub-signature-256", "x-github-delivery", "x-github-event"],
    authenticate: (body, secret) => ({ "x-github-event": "issues", "x-github-delivery": randomUUID(), "x-hub-signature-256": ghSig(body, secret) }),
    badAuth: (body, secret) => {
      const h = { "x-github-event": "issues", "x-github-delivery": randomUUID() };
      return [
        { ...h, "x-hub-signature-256": ghSig(body, "not-the-secret") },
        h,
        // The right secret over other bytes.
        { ...h, "x-hub-signature-256": ghSig(body + " ", secret) },
        // The legacy SHA-1 header alone is not accepted.
        { ...h, "x-hub-signature": "sha1=" + createHmac("sha1", secret).update(body).digest("hex") },
      ];
    },
    otherProject: (body) => {
      const b = JSON.parse(body) as { repository: { id: number; name: string; full_name: string } };
      b.repository = { id: 777, name: "other", full_name: `${GH_REPO.owner}/other` };
      return JSON.stringify(b);
    },
  },
  {
    name: "gitlab",
    start: () => new GitLabStandIn().start(),
    // The numeric project id, as most installations configure it.
    spec: (url) => ({ type: "gitlab", url, gitlab: { projectId: String(GL_PROJECT.id) } }),
    credentials: { token: GL_BOT.token },
    account: GL_BOT.username,
    human: GL_HUMAN.username,
    subscription: (url, secret, ca) => ({ url, secret, ca }),
    closedState: "closed",
    reopenedState: "opened",
    events: { open: "issue.open", close: "issue.close", reopen: "issue.reopen" },
    isClose: (b, ref) => b.object_attributes?.action === "close" && String(b.object_attributes.iid) === ref,
    deliveryHeaders: ["x-gitlab-token", "x-gitlab-event", "idempotency-key", "x-gitlab-event-uuid"],
    authenticate: (_body, secret) => {
      const uuid = randomUUID();
      return { "x-gitlab-event": "Issue Hook", "x-gitlab-token": secret, "x-gitlab-event-uuid": uuid, "idempotency-key": uuid };
    },
    badAuth: (_body, secret) => {
      const h = { "x-gitlab-event": "Issue Hook", "idempotency-key": randomUUID() };
      return [{ ...h, "x-gitlab-token": "not-the-secret" }, h, { ...h, "x-gitlab-token": secret.toUpperCase() }, { ...h, "x-gitlab-token": secret + "x" }];
    },
    // A group webhook (one token for every project of the group) sends other projects' issues too, with
    // the same small iids.
    otherProject: (body) => {
      const b = JSON.parse(body) as { project: Record<string, unknown> };
      b.project = { ...b.project, id: 313, name: "web", path_with_namespace: "acme/web" };
      return JSON.stringify(b);
    },
  },
  {
    name: "azuredevops",
    start: () => new AzureDevOpsStandIn().start(),
    spec: (url) => ({ type: "azuredevops", url, azuredevops: { organization: ADO_ORG, project: ADO_PROJECT.name, workItemType: "Bug" } }),
    credentials: { token: ADO_BOT.pat },
    // Service hooks report people by identity id; so does the credential check.
    account: ADO_BOT.id,
    human: ADO_HUMAN.id,
    subscription: (url, secret, ca) => ({ url, basic: { username: "fixops-hook", password: secret }, ca }),
    closedState: "Closed",
    reopenedState: "New",
    events: { open: "workitem.created", close: "workitem.updated", reopen: "workitem.updated" },
    isClose: (b, ref) => b.eventType === "workitem.updated" && String(b.resource?.workItemId) === ref && (b.resource?.fields?.["System.State"] as { newValue?: string } | undefined)?.newValue === "Closed",
    deliveryHeaders: ["authorization"],
    authenticate: (_body, secret) => ({ authorization: basic("fixops-hook", secret) }),
    badAuth: (_body, secret): Record<string, string>[] => [{ authorization: basic("fixops-hook", "not-the-secret") }, {}, { authorization: `Bearer ${secret}` }, { authorization: basic("fixops-hook", secret + "x") }],
    // The delivery id is the event id in the body: another event has another.
    otherProject: (body) => {
      const b = JSON.parse(body) as { id: string; resource: { revision: { fields: Record<string, unknown> } } };
      b.id = randomUUID();
      b.resource.revision.fields["System.TeamProject"] = "Other";
      return JSON.stringify(b);
    },
  },
  {
    name: "servicenow",
    start: () => new ServiceNowStandIn().start(),
    spec: (url) => ({ type: "servicenow", url, servicenow: { table: "incident" } }),
    credentials: { username: SN_BOT.username, password: SN_BOT.password },
    account: SN_BOT.username,
    human: SN_HUMAN,
    // The shared-secret header mode of the documented business rule.
    subscription: (url, secret, ca) => ({ url, header: { name: SERVICENOW_SECRET_HEADER, value: secret }, ca }),
    closedState: "Resolved",
    reopenedState: "New",
    // The connector reopens to In Progress, as ServiceNow's own Reopen action does.
    fixopsReopen: { state: "In Progress", category: "in_progress" },
    events: { open: "incident.insert", close: "incident.update", reopen: "incident.update" },
    isClose: (b, ref) => b.operation === "update" && b.sys_id === ref && b.state === "6",
    deliveryHeaders: [SERVICENOW_SECRET_HEADER],
    authenticate: (_body, secret) => ({ [SERVICENOW_SECRET_HEADER]: secret }),
    badAuth: (_body, secret): Record<string, string>[] => [{ [SERVICENOW_SECRET_HEADER]: "not-the-secret" }, {}, { authorization: basic("admin", "not-the-secret") }, { [SERVICENOW_SECRET_HEADER]: secret.slice(0, -1) }],
    // sys_ids are unique across tables and instances' tables are not scoped per project: no other project.
  },
];

describe.each(PROVIDERS)("$name inbound webhooks", (p) => {
  let env: InboundEnv;
  let alm: StandIn & TicketStandIn;
  let hookUrl: string;
  let tasks: Record<"log4j" | "spring", TicketedTask>;
  const post = (headers: Record<string, string>, body: string, url = hookUrl) => postHook(env, url, headers, body);
  const delivered = (d: Delivery) => d.status === 202;
  const transitions = (o: KubeObject) => st(o).transitions ?? [];
  /** The (first) delivery of a person closing the log4j ticket. */
  const closeDelivery = () => alm.deliveries.find((d) => delivered(d) && p.isClose(JSON.parse(d.body) as Body, tasks.log4j.ref));

  beforeAll(async () => {
    alm = await p.start();
    env = await startInboundEnv(`inbound-${p.name}`);
    const { kube, ns } = env;
    hookUrl = env.hookUrl(p.name);
    await kube.create(Resources.Secret, { metadata: { name: "alm-creds", namespace: ns }, stringData: p.credentials });
    await kube.create(Resources.Secret, { metadata: { name: "alm-hook", namespace: ns }, stringData: { secret: HOOK_SECRET } });
    await kube.create(Resources.Integration, {
      metadata: { name: p.name, namespace: ns },
      spec: {
        ...p.spec(alm.baseUrl),
        credentialsSecretRef: { name: "alm-creds" },
        inbound: { secretRef: { name: "alm-hook", key: "secret" } },
        network: { allowPrivateAddresses: true },
        rateLimit: { requestsPerSecond: 50, burst: 50 },
      },
    });
    await waitForObject(kube, Resources.Integration, ns, p.name, (o) => (o.status as { account?: string } | undefined)?.account === p.account);
    alm.subscribe(p.subscription(hookUrl, HOOK_SECRET, env.ca));
    tasks = await gateAndTwoTasks(env, p.name);
    // FixOps opened the issues itself: those "opened" deliveries are its own changes, recorded and not acted on.
    await alm.flushWebhooks();
  }, 120_000);

  afterAll(async () => {
    await stopInboundEnv(env, alm);
  });

  it("a person closes the ticket → an authenticated delivery → the task enters VERIFICATION", async () => {
    const before = alm.deliveries.length;
    alm.humanSetState(tasks.log4j.ref, "done");
    const v = await taskState(env, tasks.log4j.name, "VERIFICATION");
    expect(transitions(v).at(-1)).toMatchObject({ to: "VERIFICATION", reason: "ALM reports the ticket done" });
    expect(st(v).tickets?.find((t) => t.integration === p.name)?.state).toBe(p.closedState);
    await alm.flushWebhooks();
    const sent = alm.deliveries.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent.map((d) => d.status)).toEqual([202]);
    for (const h of p.deliveryHeaders) expect(sent[0]!.headers[h]).toBeTruthy();
    expect(await deliveryOutcomes(env, p.name, tasks.log4j.ref, "NOT self_inflicted")).toEqual([{ outcome: "ASSIGNED → VERIFICATION", self_inflicted: false, event_type: p.events.close }]);
    // The deliveries of FixOps' own ticket creation were recorded as its own changes.
    expect((await deliveryOutcomes(env, p.name, tasks.spring.ref)).map((r) => r.self_inflicted)).toEqual([true]);
  }, 60_000);

  it("the person reopens it → the task is back to work", async () => {
    alm.humanSetState(tasks.log4j.ref, "open");
    const back = await taskState(env, tasks.log4j.name, "IN_PROGRESS");
    expect(transitions(back).at(-1)).toMatchObject({ to: "IN_PROGRESS", reason: "ALM reports the ticket reopened" });
    expect(st(back).tickets?.find((t) => t.integration === p.name)?.state).toBe(p.reopenedState);
    const rows = await deliveryOutcomes(env, p.name, tasks.log4j.ref, "NOT self_inflicted");
    expect(rows.map((r) => [r.event_type, r.outcome])).toEqual([
      [p.events.close, "ASSIGNED → VERIFICATION"],
      [p.events.reopen, "VERIFICATION → IN_PROGRESS"],
    ]);
    // The audit trail names the person, as the ALM names them.
    const audit = await env.db.query("SELECT actor, details->>'to' AS to FROM audit_events WHERE namespace = $1 AND name = $2 AND action = 'transition' ORDER BY id DESC LIMIT 2", [env.ns, tasks.log4j.name]);
    expect(audit.rows).toEqual([
      { actor: `${p.name}:${p.human}`, to: "IN_PROGRESS" },
      { actor: `${p.name}:${p.human}`, to: "VERIFICATION" },
    ]);
  }, 60_000);

  it("the close delivered again, byte for byte → 200 replay, not applied a second time", async () => {
    await alm.flushWebhooks();
    const close = closeDelivery()!;
    expect(close).toBeDefined();
    const before = await ledger(env);
    const count = await inboundDeliveryCount(env);
    const replay = await post(close.headers, close.body, close.url);
    expect(replay.status).toBe(200);
    expect(JSON.parse(replay.body)).toMatchObject({ result: "replay" });
    // Applied again, it would put the reopened task back in VERIFICATION.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await ledger(env)).toEqual(before);
    expect(await inboundDeliveryCount(env)).toBe(count);
    expect(before.tasks.find((t) => t.name === tasks.log4j.name)).toEqual({ name: tasks.log4j.name, state: "IN_PROGRESS" });
  }, 60_000);

  it("forged or unauthenticated deliveries → 401; another project's events → ignored; nothing changes", async () => {
    await alm.flushWebhooks();
    const close = closeDelivery()!;
    expect(close).toBeDefined();
    const before = await ledger(env);
    const count = await inboundDeliveryCount(env);
    const body = close.body;
    const refused = [];
    for (const headers of p.badAuth(body, HOOK_SECRET)) refused.push((await post(headers, body)).status);
    expect(refused).toEqual([401, 401, 401, 401]);
    let ignoredCount = 0;
    if (p.otherProject) {
      // Authentic, about the same ticket number, but of another repository / project: accepted and ignored.
      const other = p.otherProject(body);
      const ignored = await post(p.authenticate(other, HOOK_SECRET), other);
      expect(ignored.status).toBe(202);
      expect(JSON.parse(ignored.body)).toMatchObject({ result: "ignored", reason: expect.stringContaining("not of this Integration's project") });
      ignoredCount = 1;
    }
    await new Promise((r) => setTimeout(r, 1000));
    expect(await ledger(env)).toEqual(before);
    // Only the ignored delivery was recorded (against replays), already processed.
    expect(await inboundDeliveryCount(env)).toBe(count + ignoredCount);
    expect((await env.db.query("SELECT count(*)::int AS n FROM inbound_deliveries WHERE namespace = $1 AND processed_at IS NULL", [env.ns])).rows[0].n).toBe(0);
  }, 60_000);

  it("a close the next scan contradicts → FixOps reopens the ticket with a comment; the echo of its reopen is not acted on", async () => {
    // GitHub: "Close as not planned" is a close like any other (category done, raw state kept): only a
    // newer scan decides, and declining to fix is a RiskException, not a ticket state.
    if (alm instanceof GitHubStandIn) alm.humanClose(tasks.spring.ref, "not_planned");
    else alm.humanSetState(tasks.spring.ref, "done");
    const v = await taskState(env, tasks.spring.name, "VERIFICATION");
    expect(st(v).tickets?.find((t) => t.integration === p.name)?.state).toBe(p.name === "github" ? "closed/not_planned" : p.closedState);
    // A newer scan (NETTY fixed) that still has the finding.
    await rescan(env, [LOG4J, SPRING]);
    const back = await taskState(env, tasks.spring.name, "IN_PROGRESS");
    expect(transitions(back).at(-1)!.reason).toBe("ScanResult billing still has CVE-2022-22965");
    await waitFor("ticket reopened by FixOps", async () => (alm.stateOf(tasks.spring.ref) === (p.fixopsReopen?.state ?? p.reopenedState) ? true : undefined), 20_000, 200);
    expect(alm.commentsOf(tasks.spring.ref).join("\n")).toContain(`ScanResult ${env.ns}/billing`);
    await alm.flushWebhooks();
    const rows = await deliveryOutcomes(env, p.name, tasks.spring.ref);
    // The creation's own webhook can arrive before the worker has recorded the ticket link: then no task
    // has the ticket yet. Either way it is FixOps' own change and nothing is acted on.
    expect(rows[0]?.outcome).toMatch(new RegExp(`^(own change \\(open\\) recorded, not acted on|no RemediationTask has ticket \\S+ in ${p.name})$`));
    expect([rows[0]?.event_type, rows[0]?.self_inflicted]).toEqual([p.events.open, true]);
    expect(rows.slice(1).map((r) => [r.event_type, r.self_inflicted, r.outcome])).toEqual([
      [p.events.close, false, "ASSIGNED → VERIFICATION"],
      [p.events.reopen, true, `own change (${p.fixopsReopen?.category ?? "open"}) recorded, not acted on`],
    ]);
    const before = await ledger(env);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await ledger(env)).toEqual(before);
    // The other task (reopened by a person earlier) was not touched by the rescan.
    expect(before.tasks.find((t) => t.name === tasks.log4j.name)).toEqual({ name: tasks.log4j.name, state: "IN_PROGRESS" });
  }, 60_000);

  if (p.name === "github") {
    it("GitHub's ping on hook creation is answered 202 and recorded as ignored", async () => {
      const gh = alm as GitHubStandIn;
      const before = await ledger(env);
      const n = gh.deliveries.length;
      gh.ping();
      await gh.flushWebhooks();
      expect(gh.deliveries.slice(n).map((d) => [d.headers["x-github-event"], d.status])).toEqual([["ping", 202]]);
      const id = gh.deliveries[n]!.headers["x-github-delivery"];
      const row = await env.db.query("SELECT outcome FROM inbound_deliveries WHERE namespace = $1 AND delivery_id = $2", [env.ns, id]);
      expect(row.rows).toEqual([{ outcome: "ignored: event ping is not an issue event" }]);
      expect(await ledger(env)).toEqual(before);
    }, 30_000);
  }
});
