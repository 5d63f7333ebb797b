import { describe, expect, it } from "@jest/globals";
import { ReplayCache } from "./replay.js";

function fakeClock() {
  let t = 0;
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms) };
}

describe("ReplayCache", () => {
  it("accepts an id once per TTL and per scope", () => {
    const clock = fakeClock();
    const c = new ReplayCache({ ttlMs: 1_000, maxEntries: 10, clock });
    expect(c.checkAndRemember("ns/a", "d1")).toBe(true);
    expect(c.checkAndRemember("ns/a", "d1")).toBe(false);
    expect(c.checkAndRemember("ns/b", "d1")).toBe(true);
    clock.advance(999);
    expect(c.checkAndRemember("ns/a", "d1")).toBe(false);
    clock.advance(1);
    expect(c.checkAndRemember("ns/a", "d1")).toBe(true);
  });

  it("stays within maxEntries, forgetting the oldest first", () => {
    const clock = fakeClock();
    const c = new ReplayCache({ ttlMs: 60_000, maxEntries: 3, clock });
    for (const id of ["a", "b", "c", "d"]) expect(c.checkAndRemember("s", id)).toBe(true);
    expect(c.size).toBe(3);
    expect(c.checkAndRemember("s", "d")).toBe(false);
    expect(c.checkAndRemember("s", "a")).toBe(true); // evicted, so no longer recognised
  });

  it("drops expired entries as time passes", () => {
    const clock = fakeClock();
    const c = new ReplayCache({ ttlMs: 100, maxEntries: 100, clock });
    for (let i = 0; i < 50; i++) c.checkAndRemember("s", String(i));
    clock.advance(100);
    c.checkAndRemember("s", "new");
    expect(c.size).toBe(1);
  });

  it("keeps scope and id apart (no ambiguous concatenation)", () => {
    const c = new ReplayCache({ ttlMs: 1_000, maxEntries: 10, clock: fakeClock() });
    expect(c.checkAndRemember("a", "b:c")).toBe(true);
    expect(c.checkAndRemember("a:b", "c")).toBe(true);
  });
});
