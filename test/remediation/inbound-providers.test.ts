// Two-way sync for GitHub and GitLab on the real control plane + PostgreSQL, the stand-ins sending their
// webhooks to the operator's HTTPS server signed as the real systems sign them (GitHub X-Hub-Signature-256
// with X-GitHub-Delivery; GitLab X-Gitlab-Token with Idempotency-Key / X-Gitlab-Event-UUID): an issue a
// person closes puts its task in VERIFICATION, reopening it puts the task back to work; a close the
// next scan contradicts is reopened by FixOps and the echo is not acted on; forged deliveries → 401,
// replays → 200 and not applied again, another project's events → ignored; nothing changed by any of them.
import { createHmac, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Resources, type KubeObject } from "../../operator/kube/port.js";
import { GH_BOT, GH_HUMAN, GH_REPO, GitHubStandIn } from "../alm/github.js";
import { GL_BOT, GL_HUMAN, GL_PROJECT, GitLabStandIn } from "../alm/gitlab.js";
import type { Delivery, StandIn } from "../alm/standin.js";
import type { TicketStandIn } from "../alm/ticket-standin.js";
import { waitForObject } from "../harness/env.js";
import { waitFor } from "../harness/ports.js";
import { deliveryOutcomes, gateAndTwoTasks, inboundDeliveryCount, LOG4J, ledger, postHook, rescan, SPRING, st, startInboundEnv, stopInboundEnv, taskState, type InboundEnv, type TicketedTask } from "./inbound-support.js";

interface Provider {
  name: "github" | "gitlab";
  start(): Promise<StandIn & TicketStandIn>;
  spec(url: string): object;
  credentials: Record<string, string>;
  /** What the Integration's credential check reports (the loop guard's own account). */
  account: string;
  human: string;
  /** The ticket link's state after a person closes the issue the ordinary way. */
  closedState: string;
  reopenedState: string;
  /** The closes and reopens the stand-in emits, as InboundEvent.eventType. */
  events: { close: string; reopen: string };
  /** Headers that authenticate `body` with `secret` the way this provider does, and a new delivery id. */
  authenticate(body: string, secret: string): Record<string, string>;
  /** The headers a real delivery must carry, checked on what the stand-in sent. */
  deliveryHeaders: RegExp[];
  /** `body` as the same event about ticket `ref` of another repository / project. */
  otherProject(body: string): string;
}

const HOOK_SECRET = "inbound-hook-secret-9d2e";
const ghSig = (body: string, secret: string) => "sha256=" + createHmac("sha256", secret).update(body).digest("hex");

const PROVIDERS: Provider[] = [
  {
    name: "github",
    start: () => new GitHubStandIn().start(),
    spec: (url) => ({ type: "github", url, github: { owner: GH_REPO.owner, repo: GH_REPO.repo } }),
    credentials: { token: GH_BOT.token },
    account: GH_BOT.login,
    human: GH_HUMAN.login,
    closedState: "closed/completed",
    reopenedState: "open/reopened",
    events: { close: "issues.closed", reopen: "issues.reopened" },
    authenticate: (body, secret) => ({ "x-github-event": "issues", "x-github-delivery": randomUUID(), "x-hub-signature-256": ghSig(body, secret) }),
    deliveryHeaders: [/^x-hub-signature-256$/, /^x-github-delivery$/, /^x-github-event$/],
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
    closedState: "closed",
    reopenedState: "opened",
    events: { close: "issue.close", reopen: "issue.reopen" },
    authenticate: (_body, secret) => {
      const uuid = randomUUID();
      return { "x-gitlab-event": "Issue Hook", "x-gitlab-token": secret, "x-gitlab-event-uuid": uuid, "idempotency-key": uuid };
    },
    deliveryHeaders: [/^x-gitlab-token$/, /^x-gitlab-event$/, /^idempotency-key$/, /^x-gitlab-event-uuid$/],
    // A group webhook (one token for every project of the group) sends other projects' issues too, with
    // the same small iids.
    otherProject: (body) => {
      const b = JSON.parse(body) as { project: Record<string, unknown> };
      b.project = { ...b.project, id: 313, name: "web", path_with_namespace: "acme/web" };
      return JSON.stringify(b);
    },
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
  /** The (first) delivery of a person closing the log4j issue. */
  const closeDelivery = () =>
    alm.deliveries.find((d) => {
      const b = JSON.parse(d.body) as { action?: string; issue?: { number?: number }; object_attributes?: { action?: string; iid?: number } };
      return delivered(d) && (p.name === "github" ? b.action === "closed" && String(b.issue?.number) === tasks.log4j.ref : b.object_attributes?.action === "close" && String(b.object_attributes.iid) === tasks.log4j.ref);
    });

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
    alm.subscribe({ url: hookUrl, secret: HOOK_SECRET, ca: env.ca });
    tasks = await gateAndTwoTasks(env, p.name);
    // FixOps opened the issues itself: those "opened" deliveries are its own changes, recorded and not acted on.
    await alm.flushWebhooks();
  }, 120_000);

  afterAll(async () => {
    await stopInboundEnv(env, alm);
  });

  it("a person closes the issue → a signed delivery → the task enters VERIFICATION", async () => {
    const before = alm.deliveries.length;
    alm.humanSetState(tasks.log4j.ref, "done");
    const v = await taskState(env, tasks.log4j.name, "VERIFICATION");
    expect(transitions(v).at(-1)).toMatchObject({ to: "VERIFICATION", reason: "ALM reports the ticket done" });
    expect(st(v).tickets?.find((t) => t.integration === p.name)?.state).toBe(p.closedState);
    await alm.flushWebhooks();
    const sent = alm.deliveries.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent.map((d) => d.status)).toEqual([202]);
    for (const h of p.deliveryHeaders) expect(Object.keys(sent[0]!.headers).some((k) => h.test(k))).toBe(true);
    expect(await deliveryOutcomes(env, p.name, tasks.log4j.ref, "NOT self_inflicted")).toEqual([{ outcome: "ASSIGNED → VERIFICATION", self_inflicted: false, event_type: p.events.close }]);
    // The "opened" deliveries of FixOps' own issue creation were recorded as its own changes.
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
    const forged = p.authenticate(body, "not-the-secret");
    expect((await post(forged, body)).status).toBe(401);
    const unsigned = Object.fromEntries(Object.entries(p.authenticate(body, HOOK_SECRET)).filter(([k]) => k !== "x-hub-signature-256" && k !== "x-gitlab-token"));
    expect((await post(unsigned, body)).status).toBe(401);
    // The right secret over other bytes (GitHub), or a token differing in case / with a suffix (GitLab).
    if (p.name === "github") {
      expect((await post({ ...p.authenticate(body, HOOK_SECRET), "x-hub-signature-256": ghSig(body + " ", HOOK_SECRET) }, body)).status).toBe(401);
      // The legacy SHA-1 header alone is not accepted.
      expect((await post({ ...unsigned, "x-hub-signature": "sha1=" + createHmac("sha1", HOOK_SECRET).update(body).digest("hex") }, body)).status).toBe(401);
    } else {
      expect((await post(p.authenticate(body, HOOK_SECRET.toUpperCase()), body)).status).toBe(401);
      expect((await post(p.authenticate(body, HOOK_SECRET + "x"), body)).status).toBe(401);
    }
    // Authentic, about the same ticket number, but of another repository / project: accepted and ignored.
    const other = p.otherProject(body);
    const ignored = await post(p.authenticate(other, HOOK_SECRET), other);
    expect(ignored.status).toBe(202);
    expect(JSON.parse(ignored.body)).toMatchObject({ result: "ignored" });
    await new Promise((r) => setTimeout(r, 1000));
    expect(await ledger(env)).toEqual(before);
    // Only the ignored delivery was recorded (against replays), already processed.
    expect(await inboundDeliveryCount(env)).toBe(count + 1);
    expect((await env.db.query("SELECT count(*)::int AS n FROM inbound_deliveries WHERE namespace = $1 AND processed_at IS NULL", [env.ns])).rows[0].n).toBe(0);
  }, 60_000);

  it("a close the next scan contradicts → FixOps reopens the issue with a comment; the echo of its reopen is not acted on", async () => {
    // GitHub: "Close as not planned" is a close like any other (category done, raw state kept): only a
    // newer scan decides, and declining to fix is a RiskException, not a ticket state.
    if (alm instanceof GitHubStandIn) alm.humanClose(tasks.spring.ref, "not_planned");
    else alm.humanSetState(tasks.spring.ref, "done");
    const v = await taskState(env, tasks.spring.name, "VERIFICATION");
    expect(st(v).tickets?.find((t) => t.integration === p.name)?.state).toBe(p.name === "github" ? "closed/not_planned" : "closed");
    // A newer scan (NETTY fixed) that still has the finding.
    await rescan(env, [LOG4J, SPRING]);
    const back = await taskState(env, tasks.spring.name, "IN_PROGRESS");
    expect(transitions(back).at(-1)!.reason).toBe("ScanResult billing still has CVE-2022-22965");
    await waitFor("issue reopened by FixOps", async () => (alm.stateOf(tasks.spring.ref) === p.reopenedState ? true : undefined), 20_000, 200);
    expect(alm.commentsOf(tasks.spring.ref).join("\n")).toContain(`ScanResult ${env.ns}/billing`);
    await alm.flushWebhooks();
    const rows = await deliveryOutcomes(env, p.name, tasks.spring.ref);
    expect(rows.map((r) => [r.event_type, r.self_inflicted, r.outcome])).toEqual([
      [p.name === "github" ? "issues.opened" : "issue.open", true, "own change (open) recorded, not acted on"],
      [p.events.close, false, "ASSIGNED → VERIFICATION"],
      [p.events.reopen, true, "own change (open) recorded, not acted on"],
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
