import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { IntegrationSpec } from "../api/v1alpha1/integration.js";
import { JiraStandIn, JIRA_BOT, type JiraWorkflow } from "../test/alm/jira.js";
import { aDraft, TEST_TIMEOUTS, ticketConnectorContract } from "../test/alm/ticket-contract.js";
import { TerminalError, TransientError } from "./errors.js";
import { createTicketConnector } from "./index.js";
import type { TicketConnector } from "./types.js";

const LOOPBACK = { allowPrivateAddresses: true, allowLinkLocal: false };

function jiraSpec(url: string, flavor: "cloud" | "datacenter", extra: Partial<NonNullable<IntegrationSpec["jira"]>> = {}): IntegrationSpec {
  return {
    type: "jira",
    url,
    jira: { flavor, projectKey: "SEC", issueType: "Bug", ...extra },
    syncInterval: "10m",
    network: LOOPBACK,
  };
}

ticketConnectorContract("Jira Cloud", async () => {
  const standIn = await new JiraStandIn({ flavor: "cloud" }).start();
  return {
    standIn,
    spec: jiraSpec(standIn.baseUrl, "cloud"),
    credentials: { username: JIRA_BOT.email!, token: JIRA_BOT.token },
    badCredentials: { username: JIRA_BOT.email!, token: "wrong-token-value" },
    account: JIRA_BOT.accountId,
    authMessageFragment: "You are not authenticated",
    createRoute: "POST /rest/api/3/issue",
    getRoute: "GET /rest/api/3/issue/:key",
  };
});

ticketConnectorContract("Jira Data Center", async () => {
  const standIn = await new JiraStandIn({ flavor: "datacenter" }).start();
  return {
    standIn,
    spec: jiraSpec(standIn.baseUrl, "datacenter"),
    credentials: { token: JIRA_BOT.token },
    badCredentials: { token: "wrong-pat-value-123" },
    account: JIRA_BOT.name,
    authMessageFragment: "You are not authenticated",
    createRoute: "POST /rest/api/2/issue",
    getRoute: "GET /rest/api/2/issue/:key",
  };
});

describe("Jira specifics", () => {
  let cloud: JiraStandIn;
  let dc: JiraStandIn;
  const opened: TicketConnector[] = [];
  const make = (spec: IntegrationSpec, creds = { username: JIRA_BOT.email!, token: JIRA_BOT.token }) => {
    const c = createTicketConnector(spec, creds, { timeouts: TEST_TIMEOUTS });
    opened.push(c);
    return c;
  };

  beforeAll(async () => {
    cloud = await new JiraStandIn({ flavor: "cloud" }).start();
    dc = await new JiraStandIn({ flavor: "datacenter" }).start();
  });
  afterAll(async () => {
    await Promise.all(opened.map((c) => c.close()));
    await cloud.close();
    await dc.close();
  });

  it("writes an ADF description on Cloud and wiki markup on Data Center", async () => {
    const a = await make(jiraSpec(cloud.baseUrl, "cloud")).create(aDraft());
    const adf = cloud.issues.get(a.ref)!.description as { type: string; version: number; content: { type: string }[] };
    expect(adf.type).toBe("doc");
    expect(adf.version).toBe(1);
    expect(adf.content.map((n) => n.type)).toEqual(["heading", "paragraph", "bulletList"]);

    const b = await make(jiraSpec(dc.baseUrl, "datacenter"), { token: JIRA_BOT.token } as never).create(aDraft());
    const wiki = dc.issues.get(b.ref)!.description as string;
    expect(wiki).toContain("h2. Finding");
    expect(wiki).toContain("{{log4j-core}}");
    expect(wiki).toContain("[NVD|https://nvd.nist.gov/vuln/detail/CVE-2021-44228]");
  });

  it("labels the ticket with the marker, the idempotency label and the configured labels", async () => {
    const draft = aDraft();
    const t = await make(jiraSpec(cloud.baseUrl, "cloud", { labels: ["team-api"] })).create(draft);
    expect(cloud.issues.get(t.ref)!.labels).toEqual(expect.arrayContaining(["fixops", `fixops-${draft.idempotencyKey}`, "team-api", "security"]));
  });

  it("surfaces Jira's field errors in a TerminalError", async () => {
    const err = await make(jiraSpec(cloud.baseUrl, "cloud", { projectKey: "NOPE" }))
      .create(aDraft())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TerminalError);
    expect((err as TerminalError).status).toBe(400);
    expect((err as TerminalError).message).toContain("project: valid project is required");
  });

  it("picks transitions by target status category, whatever the names", async () => {
    // A workflow where "Verified" is the only done status and nothing is called Done or Closed.
    const workflow: JiraWorkflow = {
      statuses: [
        { id: "1", name: "Backlog", category: "new" },
        { id: "2", name: "Fixing", category: "indeterminate" },
        { id: "3", name: "Verified", category: "done" },
      ],
      transitions: [
        { id: "101", name: "Begin", from: ["1"], to: "2" },
        { id: "102", name: "Ship it", from: ["2"], to: "3", resolutionRequired: true },
        { id: "103", name: "Back to backlog", from: [], to: "1" },
      ],
      initial: "2",
    };
    const custom = await new JiraStandIn({ flavor: "cloud", workflow }).start();
    try {
      const c = make(jiraSpec(custom.baseUrl, "cloud"));
      const t = await c.create(aDraft());
      expect(t).toMatchObject({ state: "Fixing", category: "in_progress" });
      const done = await c.setState(t.ref, "done");
      expect(done).toMatchObject({ state: "Verified", category: "done" });
      expect(custom.issues.get(t.ref)!.resolution).toBe("Done");
      const back = await c.setState(t.ref, "open");
      expect(back).toMatchObject({ state: "Backlog", category: "open" });
    } finally {
      await custom.close();
    }
  });

  it("refuses with a clear TerminalError when no transition reaches the category", async () => {
    const workflow: JiraWorkflow = {
      statuses: [
        { id: "1", name: "Open", category: "new" },
        { id: "2", name: "Closed", category: "done" },
      ],
      transitions: [],
      initial: "1",
    };
    const custom = await new JiraStandIn({ flavor: "cloud", workflow }).start();
    try {
      const c = make(jiraSpec(custom.baseUrl, "cloud"));
      const t = await c.create(aDraft());
      const err = await c.setState(t.ref, "done").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TerminalError);
      expect((err as Error).message).toContain('no transition from "Open" to a status in category done');
    } finally {
      await custom.close();
    }
  });

  it("lets stateMapping override the built-in category", async () => {
    const spec = { ...jiraSpec(cloud.baseUrl, "cloud"), stateMapping: { "In Progress": "VERIFICATION" as const } };
    const c = make(spec);
    const t = await c.create(aDraft());
    cloud.humanSetState(t.ref, "in_progress");
    expect(await c.get(t.ref)).toMatchObject({ state: "In Progress", category: "done" });
  });

  it("times out a response whose body stalls after the headers (body timeout)", async () => {
    const c = make(jiraSpec(cloud.baseUrl, "cloud"));
    const t = await c.create(aDraft());
    cloud.faults.next(1, { kind: "stall-body" }, { route: "GET /rest/api/3/issue/:key" });
    const err = await c.get(t.ref).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).code).toBe("UND_ERR_BODY_TIMEOUT");
  });

  it("uses the enhanced JQL search on Cloud (the legacy endpoint is gone)", async () => {
    const c = make(jiraSpec(cloud.baseUrl, "cloud"));
    const draft = aDraft();
    await c.create(draft);
    const before = cloud.requests("POST /rest/api/3/search/jql");
    expect((await c.findByIdempotencyKey(draft.idempotencyKey))?.idempotencyKey).toBe(draft.idempotencyKey);
    expect(cloud.requests("POST /rest/api/3/search/jql")).toBe(before + 1);
    expect(cloud.requests("POST /rest/api/3/search")).toBe(0);
  });
});
