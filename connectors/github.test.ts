import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { IntegrationSpec } from "../api/v1alpha1/integration.js";
import { GH_APP, GH_BOT, GH_REPO, GitHubStandIn } from "../test/alm/github.js";
import { aDraft, TEST_TIMEOUTS, ticketConnectorContract } from "../test/alm/ticket-contract.js";
import { AuthError, RateLimitedError, TerminalError } from "./errors.js";
import { createTicketConnector } from "./index.js";
import type { TicketConnector } from "./types.js";

function ghSpec(url: string, extra: Partial<IntegrationSpec> = {}): IntegrationSpec {
  return { type: "github", url, github: { owner: GH_REPO.owner, repo: GH_REPO.repo }, syncInterval: "10m", network: { allowPrivateAddresses: true, allowLinkLocal: false }, ...extra };
}

ticketConnectorContract("GitHub", async () => {
  const standIn = await new GitHubStandIn().start();
  return {
    standIn,
    spec: ghSpec(standIn.baseUrl),
    credentials: { token: GH_BOT.token },
    badCredentials: { token: "ghp_definitelywrong000" },
    account: GH_BOT.login,
    authMessageFragment: "Bad credentials",
    createRoute: "POST /repos/:owner/:repo/issues",
    getRoute: "GET /repos/:owner/:repo/issues/:number",
  };
});

describe("GitHub specifics", () => {
  let gh: GitHubStandIn;
  const opened: TicketConnector[] = [];
  const make = (spec: IntegrationSpec, token = GH_BOT.token, clock?: { now(): Date }) => {
    const c = createTicketConnector(spec, { token }, { timeouts: TEST_TIMEOUTS, ...(clock ? { clock } : {}) });
    opened.push(c);
    return c;
  };
  beforeAll(async () => {
    gh = await new GitHubStandIn().start();
  });
  afterAll(async () => {
    await Promise.all(opened.map((c) => c.close()));
    await gh.close();
  });

  it("sends the pinned API version, the GitHub media type, a User-Agent and a Bearer token", async () => {
    await make(ghSpec(gh.baseUrl)).checkCredentials();
    expect(gh.recent.at(-1)!.headers).toMatchObject({
      "x-github-api-version": "2022-11-28",
      accept: "application/vnd.github+json",
      "user-agent": "fixops-operator",
      authorization: `Bearer ${GH_BOT.token}`,
    });
  });

  it("closes with state_reason completed and reopens with reopened", async () => {
    const c = make(ghSpec(gh.baseUrl));
    const t = await c.create(aDraft());
    expect(await c.setState(t.ref, "done")).toMatchObject({ state: "closed/completed", category: "done" });
    expect(await c.setState(t.ref, "open")).toMatchObject({ state: "open/reopened", category: "open" });
  });

  it("treats closed as not planned as done unless stateMapping says otherwise", async () => {
    const c = make(ghSpec(gh.baseUrl));
    const t = await c.create(aDraft());
    const issue = gh.issues.get(Number(t.ref))!;
    issue.state = "closed";
    issue.state_reason = "not_planned";
    expect(await c.get(t.ref)).toMatchObject({ state: "closed/not_planned", category: "done" });
    const mapped = make(ghSpec(gh.baseUrl, { stateMapping: { "closed/not_planned": "OPEN" } }));
    expect(await mapped.get(t.ref)).toMatchObject({ category: "open" });
  });

  it("skips pull requests that carry the label", async () => {
    const c = make(ghSpec(gh.baseUrl));
    gh.addPullRequest(["fixops-pr-only"]);
    expect(await c.findByIdempotencyKey("pr-only")).toBeNull();
  });

  it("treats a deleted issue (410 Gone) as deleted", async () => {
    const c = make(ghSpec(gh.baseUrl));
    const t = await c.create(aDraft());
    gh.humanDelete(t.ref);
    expect(await c.get(t.ref)).toBeNull();
  });

  it("fails terminally when GitHub silently drops the idempotency label, and works once the label exists", async () => {
    const c = make(ghSpec(gh.baseUrl));
    gh.canCreateLabels = false;
    try {
      const draft = aDraft();
      const err = await c.create(draft).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TerminalError);
      expect((err as Error).message).toContain(`cannot apply label fixops-${draft.idempotencyKey}`);
      // The label was also tried separately (POST …/labels) before giving up.
      expect(gh.requests("POST /repos/:owner/:repo/issues/:number/labels")).toBe(1);

      const ok = aDraft();
      gh.repoLabels.add(`fixops-${ok.idempotencyKey}`);
      gh.repoLabels.add("fixops");
      const t = await c.create(ok);
      expect(await c.findByIdempotencyKey(ok.idempotencyKey)).toEqual(t);
    } finally {
      gh.canCreateLabels = true;
    }
  });

  it("reads a 403 with x-ratelimit-remaining: 0 as a primary rate limit until the reset", async () => {
    const now = new Date("2030-02-01T10:00:00Z");
    gh.faults.next(1, { kind: "status", status: 403, headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(now.getTime() / 1000 + 600) } });
    const err = await make(ghSpec(gh.baseUrl), GH_BOT.token, { now: () => now }).checkCredentials().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBe(600_000);
  });

  it("reads a 403 with retry-after as a secondary rate limit", async () => {
    gh.faults.next(1, { kind: "status", status: 403, headers: { "retry-after": "60" } });
    const err = await make(ghSpec(gh.baseUrl)).checkCredentials().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBe(60_000);
  });

  it("reads a plain 403 as AuthError", async () => {
    gh.faults.next(1, { kind: "status", status: 403, body: { message: "Resource not accessible by personal access token" } });
    const err = await make(ghSpec(gh.baseUrl)).checkCredentials().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toContain("Resource not accessible by personal access token");
  });

  it("accepts an installation token that may read the repo but not /user", async () => {
    await expect(make(ghSpec(gh.baseUrl), GH_APP.token).checkCredentials()).resolves.toEqual({ account: "installation token for acme/api" });
  });

  it("reports GitHub's validation errors in a TerminalError", async () => {
    const err = await make(ghSpec(gh.baseUrl)).create(aDraft({ title: "" })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TerminalError);
    expect((err as TerminalError).status).toBe(422);
    expect((err as Error).message).toContain("Validation Failed; missing_field");
  });
});
