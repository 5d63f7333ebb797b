import { describe, expect, it } from "@jest/globals";
import { InboundPayloadError, MAX_INBOUND_BODY_BYTES, parseInbound, type ParseResult } from "./parse.js";
import type { InboundProvider } from "./verify.js";

const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const PROVIDERS: InboundProvider[] = ["github", "jira", "gitlab", "azuredevops", "servicenow", "webhook"];
const HEADERS: Record<InboundProvider, Record<string, string>> = {
  github: { "x-github-event": "issues", "x-github-delivery": "d-1" },
  jira: { "x-atlassian-webhook-identifier": "j-1" },
  gitlab: { "x-gitlab-event": "Issue Hook", "idempotency-key": "g-1" },
  azuredevops: {},
  servicenow: {},
  webhook: { "x-fixops-delivery": "w-1" },
};

function event(r: ParseResult) {
  if (r.kind !== "event") throw new Error(`expected an event, got ignored: ${r.reason}`);
  return r.event;
}

describe("malformed bodies", () => {
  const junk: unknown[] = [null, 42, "text", [], {}, { issue: null }, { action: "closed", issue: { number: "7" } }, { webhookEvent: "jira:issue_updated", issue: { id: 1 } }, { eventType: "workitem.updated", id: "x", resource: { workItemId: 1 } }, { sys_id: "", state: "6" }];

  it.each(PROVIDERS)("%s: every malformed body is an InboundPayloadError, never another throw", (provider) => {
    for (const body of [...junk.map(json), Buffer.from("{not json"), Buffer.from([0xff, 0xfe, 0x00])]) {
      try {
        parseInbound(provider, HEADERS[provider], body);
      } catch (err) {
        expect(err).toBeInstanceOf(InboundPayloadError);
        expect((err as Error).message).toMatch(new RegExp(`^${provider} webhook: `));
      }
    }
  });

  it("names the offending field", () => {
    expect(() => parseInbound("github", HEADERS.github, json({ action: "closed", issue: { number: "7", state: "closed" }, sender: { login: "a" } }))).toThrow("github webhook: issue.number:");
    expect(() => parseInbound("jira", HEADERS.jira, Buffer.from("{"))).toThrow("jira webhook: body is not valid JSON");
    expect(() => parseInbound("azuredevops", {}, json({ id: "e1", eventType: "workitem.updated", resource: { workItemId: 3 } }))).toThrow("azuredevops webhook: resource.revision:");
  });

  it("refuses oversized bodies", () => {
    expect(() => parseInbound("jira", HEADERS.jira, Buffer.alloc(MAX_INBOUND_BODY_BYTES + 1, 32))).toThrow("larger than");
  });
});

describe("provider payloads", () => {
  it("GitHub: maps closed/not_planned by state, takes the idempotency label, ignores pings and PRs", () => {
    const e = event(
      parseInbound("github", HEADERS.github, json({ action: "closed", issue: { number: 7, state: "closed", state_reason: "not_planned", labels: [{ name: "fixops" }, { name: "fixops-task-1" }] }, repository: { full_name: "acme/api" }, sender: { login: "alice" } })),
    );
    expect(e).toMatchObject({ provider: "github", deliveryId: "d-1", ticketKey: "7", scope: "acme/api", idempotencyKey: "task-1", category: "done", rawState: "closed/not_planned", actor: "alice", stateChanged: true });
    expect(parseInbound("github", { "x-github-event": "ping", "x-github-delivery": "p" }, json({ zen: "Keep it simple" }))).toMatchObject({ kind: "ignored", deliveryId: "p" });
    expect(parseInbound("github", HEADERS.github, json({ action: "closed", issue: { number: 8, state: "closed", pull_request: {} }, sender: { login: "a" } }))).toMatchObject({ kind: "ignored" });
    expect(() => parseInbound("github", {}, json({}))).toThrow("x-github-event header missing");
  });

  it("Jira: statusCategory decides, not the status name or resolution; non-status updates are flagged", () => {
    const base = { webhookEvent: "jira:issue_updated", user: { accountId: "acc-1" }, issue: { id: "10001", key: "SEC-1", fields: { status: { name: "Resolved", statusCategory: { key: "new" } }, labels: ["fixops-k1"], resolution: { name: "Done" } } } };
    const e = event(parseInbound("jira", HEADERS.jira, json({ ...base, changelog: { id: "1", items: [{ field: "labels" }] } })));
    expect(e).toMatchObject({ ticketKey: "SEC-1", category: "open", rawState: "Resolved", actor: "acc-1", idempotencyKey: "k1", stateChanged: false });
    expect(event(parseInbound("jira", HEADERS.jira, json({ ...base, changelog: { items: [{ field: "status" }] } }))).stateChanged).toBe(true);
    expect(event(parseInbound("jira", HEADERS.jira, json({ ...base, webhookEvent: "jira:issue_deleted" }))).category).toBe("deleted");
    expect(parseInbound("jira", HEADERS.jira, json({ webhookEvent: "comment_created", comment: {} }))).toMatchObject({ kind: "ignored" });
    // Without the identifier header (Data Center), the delivery id falls back to issue + changelog.
    expect(event(parseInbound("jira", {}, json({ ...base, changelog: { id: "55", items: [] } })))).toMatchObject({ deliveryId: "10001:55", deliveryIdSource: "body" });
  });

  it("GitLab: state opened|closed, the project's path and numeric id, Idempotency-Key before X-Gitlab-Event-UUID", () => {
    const body = { object_kind: "issue", user: { username: "alice" }, project: { id: 278964, path_with_namespace: "acme/api" }, object_attributes: { iid: 3, state: "closed", action: "close", labels: [{ title: "fixops-k2" }] } };
    expect(event(parseInbound("gitlab", { ...HEADERS.gitlab, "x-gitlab-event-uuid": "u-1" }, json(body)))).toMatchObject({ deliveryId: "g-1", ticketKey: "3", scope: "acme/api", scopeId: "278964", category: "done", rawState: "closed", actor: "alice", idempotencyKey: "k2", stateChanged: true, eventType: "issue.close" });
    expect(event(parseInbound("gitlab", { "x-gitlab-event": "Issue Hook", "x-gitlab-event-uuid": "u-1" }, json(body))).deliveryId).toBe("u-1");
    const { project: _p, ...noProject } = body;
    expect(event(parseInbound("gitlab", HEADERS.gitlab, json({ ...noProject, object_attributes: { ...body.object_attributes, project_id: 9 } })))).toMatchObject({ scopeId: "9" });
    expect(parseInbound("gitlab", { "x-gitlab-event": "Note Hook" }, json({}))).toMatchObject({ kind: "ignored" });
  });

  it("Azure DevOps: uses stateCategories when given, else well-known names; stateMapping wins", () => {
    const body = {
      id: "evt-1",
      eventType: "workitem.updated",
      resource: {
        workItemId: 12,
        revisedBy: { id: "user-guid" },
        fields: { "System.State": { oldValue: "New", newValue: "Ready" } },
        revision: { fields: { "System.State": "Ready", "System.Tags": "fixops; fixops-abc", "System.TeamProject": "Platform" } },
      },
    };
    expect(event(parseInbound("azuredevops", {}, json(body)))).toMatchObject({ deliveryId: "evt-1", ticketKey: "12", category: "open", actor: "user-guid", idempotencyKey: "abc", scope: "Platform" });
    expect(event(parseInbound("azuredevops", {}, json(body), { adoStateCategories: { Ready: "Completed" } })).category).toBe("done");
    expect(event(parseInbound("azuredevops", {}, json(body), { stateMapping: { Ready: "IN_PROGRESS" } })).category).toBe("in_progress");
    expect(parseInbound("azuredevops", {}, json({ id: "e", eventType: "workitem.commented", resource: {} }))).toMatchObject({ kind: "ignored" });
  });

  it("ServiceNow: state codes map by category; sys_id:sys_mod_count identifies the change", () => {
    const e = event(parseInbound("servicenow", {}, json({ table: "incident", operation: "update", sys_id: "abc", state: "7", correlation_id: "k9", sys_updated_by: "beth", sys_mod_count: 4 })));
    expect(e).toMatchObject({ ticketKey: "abc", category: "done", rawState: "Closed", idempotencyKey: "k9", actor: "beth", deliveryId: "abc:4:update" });
  });

  it("generic: needs a category or a stateMapping entry", () => {
    expect(event(parseInbound("webhook", HEADERS.webhook, json({ ticketKey: "T-1", state: "shipped", category: "done" })))).toMatchObject({ category: "done", deliveryId: "w-1" });
    expect(event(parseInbound("webhook", HEADERS.webhook, json({ ticketKey: "T-1", state: "shipped" }), { stateMapping: { shipped: "RESOLVED" } })).category).toBe("done");
    expect(() => parseInbound("webhook", HEADERS.webhook, json({ ticketKey: "T-1", state: "shipped" }))).toThrow('state "shipped" has no category');
  });
});
