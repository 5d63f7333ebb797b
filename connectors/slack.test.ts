import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { IntegrationSpec } from "../api/v1alpha1/integration.js";
import { SlackStandIn, SLACK_TEAM } from "../test/alm/slack.js";
import { TEST_TIMEOUTS } from "../test/alm/ticket-contract.js";
import { AuthError, NotFoundError, RateLimitedError, TerminalError, TransientError } from "./errors.js";
import { createConnector, isNoticeConnector } from "./index.js";
import type { NoticeConnector } from "./types.js";

describe("Slack incoming webhook", () => {
  let slack: SlackStandIn;
  let hookUrl: string;
  const opened: NoticeConnector[] = [];
  const spec = (): IntegrationSpec => ({ type: "slack", url: "https://hooks.slack.com", syncInterval: "10m", network: { allowPrivateAddresses: true, allowLinkLocal: false } });
  const make = (url = hookUrl) => {
    const c = createConnector(spec(), { url }, { timeouts: TEST_TIMEOUTS });
    if (!isNoticeConnector(c)) throw new Error("expected a notice connector");
    opened.push(c);
    return c;
  };
  const notice = { title: "SLA breached", text: "CVE-2021-44228 in <api> & friends", severity: "CRITICAL" as const, url: "https://fixops.example/tasks/1", fields: [{ label: "Image", value: "ghcr.io/acme/api" }] };

  beforeAll(async () => {
    slack = await new SlackStandIn().start();
    hookUrl = slack.createWebhook("liveSecret0123456789");
  });
  afterAll(async () => {
    await Promise.all(opened.map((c) => c.close()));
    await slack.close();
  });

  it("checks a live webhook without posting a message", async () => {
    await expect(make().checkCredentials()).resolves.toEqual({ account: `incoming-webhook:${SLACK_TEAM}` });
    expect(slack.messages).toHaveLength(0);
  });

  it("reports a removed webhook as NotFoundError and a revoked one as AuthError, never echoing the URL", async () => {
    const gone = await make(hookUrl.replace("liveSecret0123456789", "unknownSecret999")).checkCredentials().catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(NotFoundError);
    expect((gone as Error).message).toContain("no_service");
    expect((gone as Error).message).not.toContain("unknownSecret999");
    slack.hooks.set("revokedSecret777", "revoked");
    const revoked = await make(hookUrl.replace("liveSecret0123456789", "revokedSecret777")).send(notice).catch((e: unknown) => e);
    expect(revoked).toBeInstanceOf(AuthError);
    expect((revoked as Error).message).toContain("invalid_token");
    expect((revoked as Error).message).not.toContain("revokedSecret777");
  });

  it("sends text plus Block Kit blocks with mrkdwn escaped", async () => {
    await make().send(notice);
    const msg = slack.messages.at(-1)!;
    expect(msg.text).toContain("SLA breached");
    const blocks = JSON.stringify(msg.blocks);
    expect(blocks).toContain("&lt;api&gt; &amp; friends");
    expect(blocks).toContain("<https://fixops.example/tasks/1|Open in FixOps>");
  });

  it("treats an archived channel as terminal, 429 as rate limited, 500 as transient", async () => {
    slack.hooks.set("archivedSecret555", "archived");
    const archived = await make(hookUrl.replace("liveSecret0123456789", "archivedSecret555")).send(notice).catch((e: unknown) => e);
    expect(archived).toBeInstanceOf(TerminalError);
    expect((archived as Error).message).toContain("channel_is_archived");
    slack.faults.rateLimit(1, "1");
    const limited = await make().send(notice).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect((limited as RateLimitedError).retryAfterMs).toBe(1_000);
    slack.faults.next(1, { kind: "status", status: 500 });
    expect(await make().send(notice).catch((e: unknown) => e)).toBeInstanceOf(TransientError);
  });
});
