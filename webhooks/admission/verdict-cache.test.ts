import { describe, expect, it } from "@jest/globals";
import type { GateImageVerdict } from "./types.js";
import { ImageVerdictCache, cachedImageVerdict, verdictForWorkload } from "./verdict-cache.js";

const verdict = (gate: string): GateImageVerdict => ({ gate, mode: "enforce", outcome: "ALLOW", needsReviewAction: "warn", reasons: [], topFindings: [] });

describe("ImageVerdictCache", () => {
  it("answers only for the same version and before validUntil", () => {
    const cache = new ImageVerdictCache();
    const c = cachedImageVerdict(3, 1_000, [{ verdict: verdict("a") }]);
    cache.set("shop", "img:1", c);
    expect(cache.get("shop", "img:1", 3, 999)).toBe(c);
    expect(cache.get("shop", "img:1", 3, 1_000)).toBeUndefined();
    expect(cache.get("shop", "img:1", 4, 0)).toBeUndefined();
    expect(cache.get("other", "img:1", 3, 0)).toBeUndefined();
  });

  it("stays within its bound by starting over", () => {
    const cache = new ImageVerdictCache(3);
    for (let i = 0; i < 3; i++) cache.set("shop", `img:${i}`, cachedImageVerdict(1, Infinity, []));
    expect(cache.entries).toBe(3);
    cache.set("shop", "img:0", cachedImageVerdict(1, Infinity, []));
    expect(cache.entries).toBe(3);
    cache.set("other", "img:9", cachedImageVerdict(1, Infinity, []));
    expect(cache.entries).toBe(1);
    expect(cache.get("shop", "img:0", 1, 0)).toBeUndefined();
    expect(cache.get("other", "img:9", 1, 0)).toBeDefined();
  });

  it("filters by workload labels only when a gate selects by them", () => {
    const open = cachedImageVerdict(1, Infinity, [{ verdict: verdict("a") }, { verdict: verdict("b") }]);
    expect(verdictForWorkload(open, {}).gates.map((g) => g.gate)).toEqual(["a", "b"]);
    const scoped = cachedImageVerdict(1, Infinity, [{ verdict: verdict("a") }, { workloads: { matchLabels: { tier: "web" } }, verdict: verdict("b") }]);
    expect(verdictForWorkload(scoped, {}).gates.map((g) => g.gate)).toEqual(["a"]);
    expect(verdictForWorkload(scoped, { tier: "web" }).gates.map((g) => g.gate)).toEqual(["a", "b"]);
  });
});
