// Exactly-once ticket creation under a seeded 30% failure rate (429, 500, resets, lost responses),
// driven the way the outbox worker drives a connector: look up by idempotency key before creating.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { GH_BOT, GH_REPO, GitHubStandIn } from "../test/alm/github.js";
import { JIRA_BOT, JiraStandIn } from "../test/alm/jira.js";
import type { Fault } from "../test/alm/standin.js";
import { aDraft, TEST_TIMEOUTS } from "../test/alm/ticket-contract.js";
import type { TicketStandIn } from "../test/alm/ticket-standin.js";
import { ConnectorError } from "./errors.js";
import { createTicketConnector } from "./index.js";
import type { Ticket, TicketConnector } from "./types.js";

const FAULTS: Fault[] = [
  { kind: "status", status: 429, headers: { "retry-after": "0" } },
  { kind: "status", status: 500 },
  { kind: "status", status: 503 },
  { kind: "reset" },
  { kind: "lose-response" },
];

async function deliver(c: TicketConnector, draft: ReturnType<typeof aDraft>): Promise<{ ticket: Ticket; attempts: number }> {
  for (let attempt = 1; attempt <= 50; attempt++) {
    try {
      const ticket = (await c.findByIdempotencyKey(draft.idempotencyKey)) ?? (await c.create(draft));
      return { ticket, attempts: attempt };
    } catch (err) {
      if (!(err instanceof ConnectorError) || !err.retryable) throw err;
    }
  }
  throw new Error("gave up");
}

describe.each([
  {
    name: "Jira Cloud",
    start: () => new JiraStandIn({ flavor: "cloud" }).start(),
    connect: (url: string) =>
      createTicketConnector(
        { type: "jira", url, jira: { flavor: "cloud", projectKey: "SEC", issueType: "Bug" }, syncInterval: "10m", network: { allowPrivateAddresses: true, allowLinkLocal: false } },
        { username: JIRA_BOT.email!, token: JIRA_BOT.token },
        { timeouts: TEST_TIMEOUTS },
      ),
  },
  {
    name: "GitHub",
    start: () => new GitHubStandIn().start(),
    connect: (url: string) =>
      createTicketConnector(
        { type: "github", url, github: { owner: GH_REPO.owner, repo: GH_REPO.repo }, syncInterval: "10m", network: { allowPrivateAddresses: true, allowLinkLocal: false } },
        { token: GH_BOT.token },
        { timeouts: TEST_TIMEOUTS },
      ),
  },
])("$name under random failures", ({ start, connect }) => {
  let standIn: TicketStandIn;
  let connector: TicketConnector;
  beforeAll(async () => {
    standIn = await start();
    connector = connect(standIn.baseUrl);
  });
  afterAll(async () => {
    await connector.close();
    await standIn.close();
  });

  it("creates exactly one ticket per task", async () => {
    standIn.faults.randomFailures({ rate: 0.3, seed: 20300101, faults: FAULTS });
    const drafts = Array.from({ length: 40 }, () => aDraft());
    const results = await Promise.all(drafts.map((d) => deliver(connector, d)));
    standIn.faults.clear();

    for (const d of drafts) expect(standIn.ticketsWithKey(d.idempotencyKey)).toBe(1);
    expect(new Set(results.map((r) => r.ticket.ref)).size).toBe(drafts.length);
    // The run really exercised the failure modes, including lost create responses.
    expect(standIn.faults.injected["lose-response"]).toBeGreaterThan(0);
    expect(standIn.faults.injected.status).toBeGreaterThan(0);
    expect(results.some((r) => r.attempts > 1)).toBe(true);
  });
});
