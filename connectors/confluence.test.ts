import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { IntegrationSpec } from "../api/v1alpha1/integration.js";
import { CONF_BOT, CONF_SPACE, ConfluenceStandIn } from "../test/alm/confluence.js";
import { TEST_TIMEOUTS } from "../test/alm/ticket-contract.js";
import { AuthError, NotFoundError } from "./errors.js";
import { createConnector, isPageConnector } from "./index.js";
import type { PageConnector } from "./types.js";

describe("Confluence summaries", () => {
  let conf: ConfluenceStandIn;
  const opened: PageConnector[] = [];
  const spec = (url: string, spaceKey = CONF_SPACE.key): IntegrationSpec => ({
    type: "confluence",
    url,
    confluence: { spaceKey, parentPageId: "4242" },
    syncInterval: "10m",
    network: { allowPrivateAddresses: true, allowLinkLocal: false },
  });
  const make = (s: IntegrationSpec, token = CONF_BOT.token) => {
    const c = createConnector(s, { username: CONF_BOT.email, token }, { timeouts: TEST_TIMEOUTS });
    if (!isPageConnector(c)) throw new Error("expected a page connector");
    opened.push(c);
    return c;
  };
  const summary = (title: string, text: string) => ({ title, body: [{ kind: "heading" as const, level: 1 as const, text: "Weekly" }, { kind: "paragraph" as const, content: [text] }] });

  beforeAll(async () => {
    conf = await new ConfluenceStandIn().start();
  });
  afterAll(async () => {
    await Promise.all(opened.map((c) => c.close()));
    await conf.close();
  });

  it("checks credentials via the space and the current user", async () => {
    await expect(make(spec(conf.baseUrl)).checkCredentials()).resolves.toEqual({ account: CONF_BOT.accountId });
    const bad = await make(spec(conf.baseUrl), "wrong-token").checkCredentials().catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(AuthError);
    expect((bad as Error).message).toContain("Current user not permitted to use Confluence");
    const noSpace = await make(spec(conf.baseUrl, "NOPE")).checkCredentials().catch((e: unknown) => e);
    expect(noSpace).toBeInstanceOf(NotFoundError);
  });

  it("creates one page per summary title and updates it with version + 1", async () => {
    const c = make(spec(`${conf.baseUrl}/wiki`));
    const first = await c.publish(summary("FixOps summary 2030-W05", "12 tasks open; R&D <owners> notified"));
    expect(first).toMatchObject({ version: 1, created: true });
    expect(first.url).toBe(`${conf.baseUrl}/wiki/spaces/SEC/pages/${first.id}`);
    expect(conf.pages.get(first.id)!.body).toContain("R&amp;D &lt;owners&gt;");
    expect(conf.pages.get(first.id)!.ancestors).toEqual(["4242"]);

    const second = await c.publish(summary("FixOps summary 2030-W05", "9 tasks open"));
    expect(second).toMatchObject({ id: first.id, version: 2, created: false });
    expect([...conf.pages.values()].filter((p) => p.title === "FixOps summary 2030-W05")).toHaveLength(1);
  });

  it("re-reads and retries once when someone saved a version in between (409)", async () => {
    const c = make(spec(conf.baseUrl));
    const p = await c.publish(summary("FixOps summary 2030-W06", "a"));
    // The person's edit lands between our read and our write: make the first PUT stale.
    conf.humanEdit(p.id);
    const realVersion = conf.pages.get(p.id)!.version;
    conf.faults.next(1, { kind: "status", status: 409, body: { statusCode: 409, message: "Version must be incremented on update. Current version is: 2" } }, { route: "PUT /wiki/rest/api/content/:id" });
    const updated = await c.publish(summary("FixOps summary 2030-W06", "b"));
    expect(updated.version).toBe(realVersion + 1);
    expect(conf.pages.get(p.id)!.body).toContain("<p>b</p>");
  });
});
