import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { IntegrationSpec } from "../api/v1alpha1/integration.js";
import { GitLabStandIn, GL_BOT, GL_PROJECT } from "../test/alm/gitlab.js";
import { aDraft, TEST_TIMEOUTS, ticketConnectorContract } from "../test/alm/ticket-contract.js";
import { NotFoundError, RateLimitedError } from "./errors.js";
import { createTicketConnector } from "./index.js";
import type { TicketConnector } from "./types.js";

function glSpec(url: string, projectId = String(GL_PROJECT.id)): IntegrationSpec {
  return { type: "gitlab", url, gitlab: { projectId }, syncInterval: "10m", network: { allowPrivateAddresses: true, allowLinkLocal: false } };
}

ticketConnectorContract("GitLab", async () => {
  const standIn = await new GitLabStandIn().start();
  return {
    standIn,
    spec: glSpec(standIn.baseUrl),
    credentials: { token: GL_BOT.token },
    badCredentials: { token: "glpat-wrongwrongwrong" },
    account: GL_BOT.username,
    authMessageFragment: "401 Unauthorized",
    createRoute: "POST /api/v4/projects/:id/issues",
    getRoute: "GET /api/v4/projects/:id/issues/:iid",
  };
});

describe("GitLab specifics", () => {
  let gl: GitLabStandIn;
  const opened: TicketConnector[] = [];
  const make = (spec: IntegrationSpec) => {
    const c = createTicketConnector(spec, { token: GL_BOT.token }, { timeouts: TEST_TIMEOUTS });
    opened.push(c);
    return c;
  };
  beforeAll(async () => {
    gl = await new GitLabStandIn().start();
  });
  afterAll(async () => {
    await Promise.all(opened.map((c) => c.close()));
    await gl.close();
  });

  it("addresses a project by its path, URL-encoded as one segment", async () => {
    const c = make(glSpec(gl.baseUrl, "acme/api"));
    await expect(c.checkCredentials()).resolves.toEqual({ account: GL_BOT.username });
    const t = await c.create(aDraft());
    expect(t.key).toBe(`acme/api#${t.ref}`);
  });

  it("reports an unknown project as NotFoundError with GitLab's message", async () => {
    const err = await make(glSpec(gl.baseUrl, "999")).checkCredentials().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toContain("404 Project Not Found");
  });

  it("sends labels as a comma-separated string and Markdown description", async () => {
    const draft = aDraft({ labels: ["security", "team api"] });
    const t = await make(glSpec(gl.baseUrl)).create(draft);
    const issue = gl.issues.get(Number(t.ref))!;
    expect(issue.labels).toEqual(expect.arrayContaining(["fixops", `fixops-${draft.idempotencyKey}`, "security", "team-api"]));
    expect(issue.description).toContain("### Finding");
    expect(issue.due_date).toBe("2030-01-31");
  });

  it("falls back to RateLimit-Reset when a 429 has no Retry-After", async () => {
    const now = new Date("2030-05-01T00:00:00Z");
    gl.faults.next(1, { kind: "status", status: 429, headers: { "ratelimit-reset": String(now.getTime() / 1000 + 30) } });
    const c = createTicketConnector(glSpec(gl.baseUrl), { token: GL_BOT.token }, { timeouts: TEST_TIMEOUTS, clock: { now: () => now } });
    opened.push(c);
    const err = await c.findByIdempotencyKey("abc").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBe(30_000);
  });

  it("uses a default delay, marked unhinted, when a 429 carries no hint at all", async () => {
    gl.faults.next(1, { kind: "status", status: 429 });
    const c = createTicketConnector(glSpec(gl.baseUrl), { token: GL_BOT.token }, { timeouts: TEST_TIMEOUTS, defaultRetryAfterMs: 12_345 });
    opened.push(c);
    const err = (await c.findByIdempotencyKey("abc").catch((e: unknown) => e)) as RateLimitedError;
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err.retryAfterMs).toBe(12_345);
    expect(err.hinted).toBe(false);
  });
});
