// Deliveries produced by the ALM stand-ins (signed the way each real system signs them) go through the
// same pipeline the webhook server will use: verify → parse → replay check → loop guard.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { IntegrationSpec } from "../../api/v1alpha1/integration.js";
import { createTicketConnector } from "../../connectors/index.js";
import type { Credentials, TicketConnector } from "../../connectors/types.js";
import { ADO_BOT, ADO_ORG, ADO_PROJECT, AzureDevOpsStandIn } from "../../test/alm/azuredevops.js";
import { GH_BOT, GH_REPO, GitHubStandIn } from "../../test/alm/github.js";
import { GL_BOT, GL_PROJECT, GitLabStandIn } from "../../test/alm/gitlab.js";
import { JIRA_BOT, JiraStandIn } from "../../test/alm/jira.js";
import { WebhookReceiver, type Received } from "../../test/alm/receiver.js";
import { ServiceNowStandIn, SN_BOT } from "../../test/alm/servicenow.js";
import type { StandIn, WebhookSubscription } from "../../test/alm/standin.js";
import { aDraft, TEST_TIMEOUTS } from "../../test/alm/ticket-contract.js";
import type { TicketStandIn } from "../../test/alm/ticket-standin.js";
import { acceptDelivery, inboundAuthFromSecret, ReplayCache, type DeliveryOutcome, type InboundAuth, type InboundProvider } from "./index.js";

const NET = { allowPrivateAddresses: true, allowLinkLocal: false };
const clock = { now: () => new Date() };

interface Case {
  name: string;
  provider: InboundProvider;
  start(): Promise<TicketStandIn & StandIn>;
  spec(url: string): IntegrationSpec;
  credentials: Credentials;
  subscription(url: string, secret: string): WebhookSubscription;
  auth(secret: string): InboundAuth;
}

const SECRET = "inbound-secret-0123456789";

const CASES: Case[] = [
  {
    name: "GitHub (X-Hub-Signature-256)",
    provider: "github",
    start: () => new GitHubStandIn().start(),
    spec: (url) => ({ type: "github", url, github: { owner: GH_REPO.owner, repo: GH_REPO.repo }, syncInterval: "10m", network: NET }),
    credentials: { token: GH_BOT.token },
    subscription: (url, secret) => ({ url, secret }),
    auth: (s) => inboundAuthFromSecret("github", s),
  },
  {
    name: "Jira Cloud (X-Hub-Signature sha256=)",
    provider: "jira",
    start: () => new JiraStandIn({ flavor: "cloud" }).start(),
    spec: (url) => ({ type: "jira", url, jira: { flavor: "cloud", projectKey: "SEC", issueType: "Bug" }, syncInterval: "10m", network: NET }),
    credentials: { username: JIRA_BOT.email!, token: JIRA_BOT.token },
    subscription: (url, secret) => ({ url, secret }),
    auth: (s) => inboundAuthFromSecret("jira", s),
  },
  {
    name: "Jira Data Center",
    provider: "jira",
    start: () => new JiraStandIn({ flavor: "datacenter" }).start(),
    spec: (url) => ({ type: "jira", url, jira: { flavor: "datacenter", projectKey: "SEC", issueType: "Bug" }, syncInterval: "10m", network: NET }),
    credentials: { token: JIRA_BOT.token },
    subscription: (url, secret) => ({ url, secret }),
    auth: (s) => inboundAuthFromSecret("jira", s),
  },
  {
    name: "GitLab (X-Gitlab-Token)",
    provider: "gitlab",
    start: () => new GitLabStandIn().start(),
    spec: (url) => ({ type: "gitlab", url, gitlab: { projectId: String(GL_PROJECT.id) }, syncInterval: "10m", network: NET }),
    credentials: { token: GL_BOT.token },
    subscription: (url, secret) => ({ url, secret }),
    auth: (s) => inboundAuthFromSecret("gitlab", s),
  },
  {
    name: "Azure DevOps (Basic)",
    provider: "azuredevops",
    start: () => new AzureDevOpsStandIn().start(),
    spec: (url) => ({ type: "azuredevops", url, azuredevops: { organization: ADO_ORG, project: ADO_PROJECT.name, workItemType: "Bug" }, syncInterval: "10m", network: NET }),
    credentials: { token: ADO_BOT.pat },
    subscription: (url, secret) => ({ url, basic: { username: "fixops", password: secret } }),
    auth: (s) => inboundAuthFromSecret("azuredevops", s),
  },
  {
    name: "ServiceNow (Basic)",
    provider: "servicenow",
    start: () => new ServiceNowStandIn().start(),
    spec: (url) => ({ type: "servicenow", url, servicenow: { table: "incident", closeCode: "Solved (Permanently)" }, syncInterval: "10m", network: NET }),
    credentials: { username: SN_BOT.username, password: SN_BOT.password },
    subscription: (url, secret) => ({ url, basic: { username: "servicenow", password: secret } }),
    auth: (s) => inboundAuthFromSecret("servicenow", s),
  },
  {
    name: "ServiceNow (shared-secret header)",
    provider: "servicenow",
    start: () => new ServiceNowStandIn().start(),
    spec: (url) => ({ type: "servicenow", url, servicenow: { table: "incident", closeCode: "Solved (Permanently)" }, syncInterval: "10m", network: NET }),
    credentials: { username: SN_BOT.username, password: SN_BOT.password },
    subscription: (url, secret) => ({ url, header: { name: "X-FixOps-Secret", value: secret } }),
    auth: (s) => inboundAuthFromSecret("servicenow", s),
  },
];

describe.each(CASES)("$name deliveries", (c) => {
  let standIn: TicketStandIn & StandIn;
  let receiver: WebhookReceiver;
  let connector: TicketConnector;
  let account: string;
  let ref: string;
  let key: string;
  const replay = new ReplayCache({ ttlMs: 60_000, maxEntries: 1_000, clock });
  const accept = (r: Received, auth = c.auth(SECRET)): DeliveryOutcome =>
    acceptDelivery({ scope: "ns/integration", auth, headers: r.headers, rawBody: r.rawBody, replay, clock, loopGuard: { ownAccounts: [account] } });

  beforeAll(async () => {
    standIn = await c.start();
    receiver = await new WebhookReceiver().start();
    standIn.subscribe(c.subscription(receiver.url, SECRET));
    connector = createTicketConnector(c.spec(standIn.baseUrl), c.credentials, { timeouts: TEST_TIMEOUTS });
    account = (await connector.checkCredentials()).account;
    const draft = aDraft();
    key = draft.idempotencyKey;
    ref = (await connector.create(draft)).ref; // FixOps' own change
    standIn.humanSetState(ref, "done"); // a person closes it in the ALM
    await standIn.flushWebhooks();
    await receiver.waitFor(2);
  });
  afterAll(async () => {
    await connector.close();
    await standIn.close();
    await receiver.close();
  });

  it("accepts the person's close as a done event for our ticket, not caused by FixOps", () => {
    const outcomes = receiver.received.map((r) => accept(r));
    const human = outcomes.find((o) => o.kind === "accepted" && o.event.category === "done");
    expect(human).toBeDefined();
    if (human?.kind !== "accepted") throw new Error("unreachable");
    expect(human.event).toMatchObject({ provider: c.provider, ticketKey: ref, idempotencyKey: key, stateChanged: true });
    expect(human.selfInflicted).toBe(false);
    // The creation was made by our own account: the loop guard marks it.
    const ours = outcomes.find((o) => o.kind === "accepted" && o.event.category !== "done");
    expect(ours).toMatchObject({ kind: "accepted", selfInflicted: true });
  });

  it("rejects the same delivery when replayed", () => {
    const fresh = new ReplayCache({ ttlMs: 60_000, maxEntries: 10, clock });
    const once = (r: Received) => acceptDelivery({ scope: "ns/integration", auth: c.auth(SECRET), headers: r.headers, rawBody: r.rawBody, replay: fresh, clock });
    const r = receiver.received.at(-1)!;
    expect(once(r).kind).toBe("accepted");
    expect(once(r)).toMatchObject({ kind: "replay" });
    // A different delivery of the same ALM is still accepted.
    expect(once(receiver.received[0]!).kind).toBe("accepted");
  });

  it("rejects a tampered body or a wrong secret, and a missing credential", () => {
    const r = receiver.received.at(-1)!;
    const tampered = Buffer.from(r.rawBody.toString().replace(/"done"|"closed"|"Closed"|"6"/, '"open"'));
    const tamperedOutcome = accept({ ...r, rawBody: tampered });
    // Body-signing schemes catch the change; token/Basic schemes do not sign the body at all.
    if (c.provider === "github" || c.provider === "jira") expect(tamperedOutcome).toMatchObject({ kind: "unauthorized", reason: "mismatch" });
    expect(accept(r, c.auth("some-other-secret"))).toMatchObject({ kind: "unauthorized", reason: "mismatch" });
    const stripped = Object.fromEntries(Object.entries(r.headers).filter(([k]) => !["x-hub-signature-256", "x-hub-signature", "x-gitlab-token", "authorization", "x-fixops-secret"].includes(k)));
    expect(accept({ ...r, headers: stripped })).toMatchObject({ kind: "unauthorized", reason: "missing" });
  });
});
