import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { IntegrationSpec } from "../api/v1alpha1/integration.js";
import { ServiceNowStandIn, SN_BOT, SN_GROUPS } from "../test/alm/servicenow.js";
import { aDraft, TEST_TIMEOUTS, ticketConnectorContract } from "../test/alm/ticket-contract.js";
import { AuthError, RateLimitedError, TerminalError } from "./errors.js";
import { createTicketConnector } from "./index.js";
import type { TicketConnector } from "./types.js";

function snSpec(url: string, extra: Partial<NonNullable<IntegrationSpec["servicenow"]>> = {}): IntegrationSpec {
  return {
    type: "servicenow",
    url,
    servicenow: { table: "incident", closeCode: "Solved (Permanently)", ...extra },
    syncInterval: "10m",
    network: { allowPrivateAddresses: true, allowLinkLocal: false },
  };
}

ticketConnectorContract("ServiceNow", async () => {
  const standIn = await new ServiceNowStandIn().start();
  return {
    standIn,
    spec: snSpec(standIn.baseUrl),
    credentials: { username: SN_BOT.username, password: SN_BOT.password },
    badCredentials: { username: SN_BOT.username, password: "not-the-password" },
    account: SN_BOT.username,
    authMessageFragment: "User Not Authenticated",
    createRoute: "POST /api/now/v2/table/:table",
    getRoute: "GET /api/now/v2/table/:table/:sys_id",
  };
});

describe("ServiceNow specifics", () => {
  let sn: ServiceNowStandIn;
  const opened: TicketConnector[] = [];
  const make = (spec: IntegrationSpec, creds = { username: SN_BOT.username, password: SN_BOT.password }) => {
    const c = createTicketConnector(spec, creds, { timeouts: TEST_TIMEOUTS, clock: { now: () => new Date("2030-01-01T00:00:00Z") } });
    opened.push(c);
    return c;
  };
  beforeAll(async () => {
    sn = await new ServiceNowStandIn().start();
  });
  afterAll(async () => {
    await Promise.all(opened.map((c) => c.close()));
    await sn.close();
  });

  it("writes correlation_id, impact/urgency from severity, and the group sys_id looked up by name", async () => {
    const draft = aDraft({ severity: "HIGH" });
    const t = await make(snSpec(sn.baseUrl, { assignmentGroup: "Security Operations" })).create(draft);
    const row = sn.tables.get("incident")!.rows.get(t.ref)!;
    expect(row).toMatchObject({ correlation_id: draft.idempotencyKey, impact: "1", urgency: "2", assignment_group: SN_GROUPS[0]!.sys_id });
    expect(t.key).toMatch(/^INC\d{7}$/);
    expect(row.description).toContain("Remediation due: 2030-01-31");
  });

  it("fails clearly when the assignment group does not exist", async () => {
    const err = await make(snSpec(sn.baseUrl, { assignmentGroup: "Nobody" }))
      .create(aDraft())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TerminalError);
    expect((err as Error).message).toContain('assignment group "Nobody" does not exist');
  });

  it("resolves with close_code and close_notes, reopening to In Progress", async () => {
    const c = make(snSpec(sn.baseUrl, { closeCode: "Workaround provided" }));
    const t = await c.create(aDraft());
    const done = await c.setState(t.ref, "done");
    expect(done).toMatchObject({ state: "Resolved", category: "done" });
    expect(sn.tables.get("incident")!.rows.get(t.ref)).toMatchObject({ state: "6", close_code: "Workaround provided" });
    expect(await c.setState(t.ref, "open")).toMatchObject({ state: "In Progress", category: "in_progress" });
  });

  it("uses ServiceNow's rate-limit reset time when Retry-After is missing", async () => {
    const reset = Math.floor(new Date("2030-01-01T00:02:00Z").getTime() / 1000);
    sn.faults.next(1, { kind: "status", status: 429, headers: { "x-ratelimit-reset": String(reset) } });
    const err = await make(snSpec(sn.baseUrl)).findByIdempotencyKey("k1").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBe(120_000);
    expect((err as RateLimitedError).message).toContain("Rate limit exceeded");
  });

  it("classifies 403 (ACL) as AuthError with ServiceNow's message", async () => {
    sn.faults.next(1, { kind: "status", status: 403, body: { error: { message: "Insufficient rights to query records", detail: "Fields present in the query do not have permission to be read" }, status: "failure" } });
    const err = await make(snSpec(sn.baseUrl)).checkCredentials().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toContain("Insufficient rights to query records");
  });
});
