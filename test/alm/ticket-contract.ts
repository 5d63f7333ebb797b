// The behaviour every ticket connector must show against its stand-in: one table of cases, run by each
// connector's test file. Assertions read the stand-in's store (the resulting state), not call sequences.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { IntegrationSpec } from "../../api/v1alpha1/integration.js";
import { createTicketConnector } from "../../connectors/index.js";
import { AuthError, RateLimitedError, TerminalError, TransientError } from "../../connectors/errors.js";
import type { Clock, Credentials, TicketConnector, TicketDraft } from "../../connectors/types.js";
import type { TicketStandIn } from "./ticket-standin.js";

/** Short timeouts keep the suite fast; the hang case waits for exactly this. */
export const TEST_TIMEOUTS = { headersMs: 400, bodyMs: 400, connectMs: 1_000 };

let draftSeq = 0;
export function aDraft(overrides: Partial<TicketDraft> = {}): TicketDraft {
  draftSeq++;
  return {
    title: `CVE-2021-44228 in log4j-core 2.14.1 (ghcr.io/acme/api) #${draftSeq}`,
    description: [
      { kind: "heading", level: 2, text: "Finding" },
      { kind: "paragraph", content: ["Package ", { text: "log4j-core", code: true }, " is affected; see ", { text: "NVD", href: "https://nvd.nist.gov/vuln/detail/CVE-2021-44228" }] },
      { kind: "list", items: [["Image: ghcr.io/acme/api@sha256:abc"], ["Fixed in: 2.17.1"]] },
    ],
    severity: "CRITICAL",
    labels: ["security"],
    dueDate: "2030-01-31",
    idempotencyKey: `task-${draftSeq}`,
    ...overrides,
  };
}

export interface ContractEnv {
  standIn: TicketStandIn;
  spec: IntegrationSpec;
  credentials: Credentials;
  badCredentials: Credentials;
  /** The account checkCredentials must report. */
  account: string;
  /** A fragment of the ALM's own 401 message, which the AuthError must carry. */
  authMessageFragment: string;
  /** Route template of the create call in the stand-in (for targeted faults). */
  createRoute: string;
  /** Route template of a read the connector makes in `get`. */
  getRoute: string;
}

export function withSpec(base: IntegrationSpec, patch: Partial<IntegrationSpec>): IntegrationSpec {
  return { ...base, ...patch };
}

export function ticketConnectorContract(label: string, setup: () => Promise<ContractEnv>): void {
  describe(`${label}: ticket connector contract`, () => {
    let env: ContractEnv;
    const opened: TicketConnector[] = [];
    const connector = (o: { credentials?: Credentials; clock?: Clock; spec?: IntegrationSpec } = {}) => {
      const c = createTicketConnector(o.spec ?? env.spec, o.credentials ?? env.credentials, {
        timeouts: TEST_TIMEOUTS,
        ...(o.clock ? { clock: o.clock } : {}),
      });
      opened.push(c);
      return c;
    };

    beforeAll(async () => {
      env = await setup();
    });
    afterAll(async () => {
      await Promise.all(opened.map((c) => c.close()));
      await env?.standIn.close();
    });

    it("checks credentials with a real authenticated read", async () => {
      await expect(connector().checkCredentials()).resolves.toEqual({ account: env.account });
    });

    it("rejects bad credentials with AuthError carrying the ALM's message and no secret", async () => {
      const err = await connector({ credentials: env.badCredentials })
        .checkCredentials()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(AuthError);
      const e = err as AuthError;
      expect(e.status).toBe(401);
      expect(e.message).toContain(env.authMessageFragment);
      for (const v of Object.values(env.badCredentials)) if (v) expect(e.message).not.toContain(v);
      for (const v of Object.values(env.credentials)) if (v) expect(e.message).not.toContain(v);
    });

    it("creates, finds by idempotency key, reads, closes, reopens and comments", async () => {
      const c = connector();
      const draft = aDraft();
      expect(await c.findByIdempotencyKey(draft.idempotencyKey)).toBeNull();

      const created = await c.create(draft);
      expect(created.category).toBe("open");
      expect(created.idempotencyKey).toBe(draft.idempotencyKey);
      expect(env.standIn.ticketsWithKey(draft.idempotencyKey)).toBe(1);

      const found = await c.findByIdempotencyKey(draft.idempotencyKey);
      expect(found).toEqual(created);
      expect(await c.get(created.ref)).toEqual(created);

      const closed = await c.setState(created.ref, "done", "Fixed in scan sha256:feed");
      expect(closed.category).toBe("done");
      expect(env.standIn.stateOf(created.ref)).toBe(closed.state);
      expect((await c.get(created.ref))?.category).toBe("done");
      expect(env.standIn.commentsOf(created.ref).join("\n")).toContain("Fixed in scan sha256:feed");

      // Closing again is a no-op, not an error.
      expect((await c.setState(created.ref, "done")).category).toBe("done");

      const reopened = await c.setState(created.ref, "open", "Scan sha256:beef still has CVE-2021-44228");
      expect(reopened.category).not.toBe("done");
      expect((await c.get(created.ref))?.category).not.toBe("done");

      await c.comment(created.ref, "Still tracked by FixOps");
      const comments = env.standIn.commentsOf(created.ref).join("\n");
      expect(comments).toContain("Scan sha256:beef still has CVE-2021-44228");
      expect(comments).toContain("Still tracked by FixOps");
      expect(env.standIn.ticketsWithKey(draft.idempotencyKey)).toBe(1);
    });

    it("maps a state a person set, by category", async () => {
      const c = connector();
      const t = await c.create(aDraft());
      env.standIn.humanSetState(t.ref, "done");
      expect((await c.get(t.ref))?.category).toBe("done");
      env.standIn.humanSetState(t.ref, "open");
      expect((await c.get(t.ref))?.category).toBe("open");
    });

    it("returns null for a deleted ticket", async () => {
      const c = connector();
      const t = await c.create(aDraft());
      env.standIn.humanDelete(t.ref);
      expect(await c.get(t.ref)).toBeNull();
    });

    it("refuses an invalid idempotency key before sending anything", async () => {
      const c = connector();
      const before = env.standIn.requests();
      await expect(c.create(aDraft({ idempotencyKey: "has space" }))).rejects.toBeInstanceOf(TerminalError);
      await expect(c.findByIdempotencyKey("x".repeat(60))).rejects.toBeInstanceOf(TerminalError);
      expect(env.standIn.requests()).toBe(before);
    });

    it("turns 429 + Retry-After (seconds) into RateLimitedError with that delay", async () => {
      env.standIn.faults.rateLimit(1, "7", { route: env.createRoute });
      const err = await connector().create(aDraft()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RateLimitedError);
      expect((err as RateLimitedError).retryAfterMs).toBe(7_000);
      expect((err as RateLimitedError).hinted).toBe(true);
    });

    it("turns 429 + Retry-After (HTTP-date) into the remaining delay by the injected clock", async () => {
      const now = new Date("2030-03-01T12:00:00Z");
      const clock = { now: () => now };
      const t = await connector().create(aDraft());
      env.standIn.faults.rateLimit(1, new Date(now.getTime() + 90_000).toUTCString(), { route: env.getRoute });
      const c = connector({ clock });
      const err = await c.get(t.ref).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RateLimitedError);
      expect((err as RateLimitedError).retryAfterMs).toBe(90_000);
    });

    it("treats 503 with Retry-After as rate limiting and without it as transient", async () => {
      env.standIn.faults.next(1, { kind: "status", status: 503, headers: { "retry-after": "3" } }, { route: env.createRoute });
      const a = await connector().create(aDraft()).catch((e: unknown) => e);
      expect(a).toBeInstanceOf(RateLimitedError);
      expect((a as RateLimitedError).retryAfterMs).toBe(3_000);
      env.standIn.faults.next(1, { kind: "status", status: 503 }, { route: env.createRoute });
      const b = await connector().create(aDraft()).catch((e: unknown) => e);
      expect(b).toBeInstanceOf(TransientError);
    });

    it("turns 500 into TransientError", async () => {
      env.standIn.faults.next(1, { kind: "status", status: 500 }, { route: env.createRoute });
      const draft = aDraft();
      const err = await connector().create(draft).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransientError);
      expect((err as TransientError).status).toBe(500);
      expect(env.standIn.ticketsWithKey(draft.idempotencyKey)).toBe(0);
    });

    it("times out a hung request as TransientError", async () => {
      const c = connector();
      const t = await c.create(aDraft());
      env.standIn.faults.next(1, { kind: "hang" }, { route: env.getRoute });
      const err = await c.get(t.ref).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransientError);
      expect((err as TransientError).code).toBe("UND_ERR_HEADERS_TIMEOUT");
      // The connector is still usable afterwards.
      expect((await c.get(t.ref))?.ref).toBe(t.ref);
    });

    it("turns a connection reset into TransientError", async () => {
      env.standIn.faults.next(1, { kind: "reset" }, { route: env.createRoute });
      const draft = aDraft();
      const err = await connector().create(draft).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransientError);
      expect(env.standIn.ticketsWithKey(draft.idempotencyKey)).toBe(0);
    });

    it("finds the ticket after a create whose response was lost, so a retry creates nothing", async () => {
      env.standIn.faults.next(1, { kind: "lose-response" }, { route: env.createRoute });
      const c = connector();
      const draft = aDraft();
      const err = await c.create(draft).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransientError);
      expect(env.standIn.ticketsWithKey(draft.idempotencyKey)).toBe(1);

      // What the outbox worker does on its next attempt: look up by key before creating.
      const retry = async () => (await c.findByIdempotencyKey(draft.idempotencyKey)) ?? (await c.create(draft));
      const first = await retry();
      const second = await retry();
      expect(second.ref).toBe(first.ref);
      expect(first.idempotencyKey).toBe(draft.idempotencyKey);
      expect(env.standIn.ticketsWithKey(draft.idempotencyKey)).toBe(1);
    });
  });
}
