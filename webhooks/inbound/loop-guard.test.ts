import { describe, expect, it } from "@jest/globals";
import { EchoSuppressor, hasOriginMarker, isCausedByFixOps, isOwnAccount } from "./loop-guard.js";
import type { InboundEvent } from "./parse.js";

const event = (over: Partial<InboundEvent> = {}): InboundEvent => ({
  provider: "github",
  deliveryId: "d",
  deliveryIdSource: "header",
  ticketKey: "7",
  category: "done",
  rawState: "closed/completed",
  actor: "alice",
  stateChanged: true,
  eventType: "issues.closed",
  ...over,
});

function fakeClock() {
  let t = 0;
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms) };
}

describe("loop guard", () => {
  it("recognises our own account, case-insensitively, and never an empty actor", () => {
    expect(isOwnAccount(event({ actor: "FixOps-Bot" }), ["fixops-bot"])).toBe(true);
    expect(isOwnAccount(event({ actor: "alice" }), ["fixops-bot"])).toBe(false);
    expect(isOwnAccount(event({ actor: "" }), [""])).toBe(false);
  });

  it("recognises the echo of a change we made, once, within the window", () => {
    const clock = fakeClock();
    const echoes = new EchoSuppressor(clock, 10_000);
    echoes.expect("github", "7", "done");
    expect(echoes.isEcho(event({ category: "open" }))).toBe(false);
    expect(echoes.isEcho(event({ ticketKey: "8" }))).toBe(false);
    expect(echoes.isEcho(event())).toBe(true);
    expect(echoes.isEcho(event())).toBe(false); // consumed: a person closing it again later is not an echo
    echoes.expect("github", "7", "done");
    clock.advance(10_000);
    expect(echoes.isEcho(event())).toBe(false);
  });

  it("combines both signals", () => {
    const echoes = new EchoSuppressor(fakeClock());
    expect(isCausedByFixOps(event({ actor: "fixops[bot]" }), { ownAccounts: ["fixops[bot]"] })).toBe(true);
    echoes.expect("github", "7", "done");
    expect(isCausedByFixOps(event({ actor: "installation" }), { ownAccounts: ["fixops-bot"], echoes })).toBe(true);
    expect(isCausedByFixOps(event(), { ownAccounts: ["fixops-bot"], echoes })).toBe(false);
  });

  it("finds the origin marker connectors append to comments", () => {
    expect(hasOriginMarker("Reopened: still present\n\n— FixOps (fixops:origin)")).toBe(true);
    expect(hasOriginMarker("looks fixed to me")).toBe(false);
  });
});
