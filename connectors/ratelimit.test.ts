import { describe, expect, it } from "@jest/globals";
import { TokenBucket } from "./ratelimit.js";

function fakeClock(start = 1_000_000) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms) };
}

describe("TokenBucket", () => {
  it("allows a burst, then one request per 1/rate", () => {
    const clock = fakeClock();
    const b = new TokenBucket(2, 3, clock);
    expect([b.tryTake(), b.tryTake(), b.tryTake()]).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(b.tryTake()).toEqual({ ok: false, waitMs: 500 });
    clock.advance(250);
    expect(b.tryTake()).toEqual({ ok: false, waitMs: 250 });
    clock.advance(250);
    expect(b.tryTake()).toEqual({ ok: true });
    expect(b.tryTake().ok).toBe(false);
  });

  it("never saves up more than the burst", () => {
    const clock = fakeClock();
    const b = new TokenBucket(10, 4, clock);
    clock.advance(60_000);
    expect(b.available()).toBe(4);
    for (let i = 0; i < 4; i++) expect(b.tryTake().ok).toBe(true);
    expect(b.tryTake().ok).toBe(false);
  });

  it("pauses for a Retry-After, then lets exactly one request through and resumes the rate", () => {
    const clock = fakeClock();
    const b = new TokenBucket(1, 5, clock);
    b.pauseFor(5_000);
    expect(b.tryTake()).toEqual({ ok: false, waitMs: 5_000 });
    clock.advance(4_000);
    expect(b.tryTake()).toEqual({ ok: false, waitMs: 1_000 });
    clock.advance(1_000);
    expect(b.tryTake()).toEqual({ ok: true });
    expect(b.tryTake()).toEqual({ ok: false, waitMs: 1_000 });
    // Tokens accrue only from the end of the pause, not during it.
    clock.advance(2_000);
    expect(b.available()).toBe(2);
  });

  it("a shorter pause does not cut a longer one short", () => {
    const clock = fakeClock();
    const b = new TokenBucket(1, 1, clock);
    b.pauseFor(10_000);
    b.pauseFor(1_000);
    expect(b.tryTake()).toEqual({ ok: false, waitMs: 10_000 });
  });

  it("builds from IntegrationSpec.rateLimit with the documented defaults", () => {
    const clock = fakeClock();
    const d = TokenBucket.fromSpec(undefined, clock);
    expect(d.available()).toBe(10);
    const s = TokenBucket.fromSpec({ requestsPerSecond: 0.5, burst: 1 }, clock);
    expect(s.tryTake().ok).toBe(true);
    expect(s.tryTake()).toEqual({ ok: false, waitMs: 2_000 });
    expect(() => new TokenBucket(0, 1, clock)).toThrow(RangeError);
  });
});
