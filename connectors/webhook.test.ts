import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { IntegrationSpec } from "../api/v1alpha1/integration.js";
import { WebhookReceiver, type Received } from "../test/alm/receiver.js";
import { TEST_TIMEOUTS } from "../test/alm/ticket-contract.js";
import { AuthError } from "./errors.js";
import { createConnector, isNoticeConnector } from "./index.js";
import type { NoticeConnector } from "./types.js";

const SECRET = "whsec-0123456789abcdef";

/** An independent check of the documented scheme: sha256=HMAC(secret, "<ts>.<raw body>"). */
function validSignature(r: Received, secret: string): boolean {
  const ts = String(r.headers["x-fixops-timestamp"]);
  const expected = "sha256=" + createHmac("sha256", secret).update(`${ts}.`).update(r.rawBody).digest("hex");
  return r.headers["x-fixops-signature"] === expected;
}

describe("signed webhook notifier", () => {
  let receiver: WebhookReceiver;
  const opened: NoticeConnector[] = [];
  const now = new Date("2030-04-01T08:00:00Z");
  const make = (secret: string) => {
    const spec: IntegrationSpec = { type: "webhook", url: receiver.url + "?tenant=a", syncInterval: "10m", network: { allowPrivateAddresses: true, allowLinkLocal: false } };
    const c = createConnector(spec, { secret }, { timeouts: TEST_TIMEOUTS, clock: { now: () => now } });
    if (!isNoticeConnector(c)) throw new Error("expected a notice connector");
    opened.push(c);
    return c;
  };

  beforeAll(async () => {
    receiver = await new WebhookReceiver((r) => (validSignature(r, SECRET) ? 204 : 401)).start();
  });
  afterAll(async () => {
    await Promise.all(opened.map((c) => c.close()));
    await receiver.close();
  });

  it("signs timestamp + raw body with HMAC-SHA256 and sends a delivery id", async () => {
    await make(SECRET).send({ title: "Task resolved", text: "CVE-2021-44228 fixed", idempotencyKey: "task-42-resolved" });
    const r = receiver.received.at(-1)!;
    expect(r.path).toBe("/hooks?tenant=a");
    expect(validSignature(r, SECRET)).toBe(true);
    expect(r.headers["x-fixops-timestamp"]).toBe(String(now.getTime() / 1000));
    expect(r.headers["x-fixops-delivery"]).toBe("task-42-resolved");
    expect(JSON.parse(r.rawBody.toString())).toMatchObject({ type: "fixops.notice", id: "task-42-resolved", notice: { title: "Task resolved" } });
  });

  it("checks credentials with a signed ping the receiver must accept", async () => {
    await expect(make(SECRET).checkCredentials()).resolves.toEqual({ account: `webhook:${new URL(receiver.url).host}` });
    const err = await make("some-other-secret").checkCredentials().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).not.toContain("some-other-secret");
  });
});
