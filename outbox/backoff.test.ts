import { describe, expect, it } from "@jest/globals";
import { backoffMs, retryDelayMs } from "./backoff.js";

const policy = { baseMs: 100, maxMs: 10_000 };

describe("backoffMs", () => {
  it("doubles per attempt between half and all of the ceiling", () => {
    expect(backoffMs(1, policy, () => 0)).toBe(50);
    expect(backoffMs(1, policy, () => 0.999999)).toBe(100);
    expect(backoffMs(2, policy, () => 0)).toBe(100);
    expect(backoffMs(4, policy, () => 0.5)).toBe(600);
  });
  it("is capped at maxMs however many attempts", () => {
    expect(backoffMs(50, policy, () => 0.999999)).toBe(10_000);
    expect(backoffMs(1000, policy, () => 0)).toBe(5_000);
  });
  it("spreads rows that failed together", () => {
    const values = new Set([0.1, 0.3, 0.5, 0.7, 0.9].map((r) => backoffMs(5, policy, () => r)));
    expect(values.size).toBe(5);
  });
  it("rejects nonsense", () => {
    expect(() => backoffMs(0, policy, Math.random)).toThrow("attempt must be an integer >= 1");
    expect(() => backoffMs(1, { baseMs: 0, maxMs: 1 }, Math.random)).toThrow("baseMs > 0");
  });
});

describe("retryDelayMs", () => {
  it("uses Retry-After when the ALM gave one, capped at maxMs", () => {
    expect(retryDelayMs(3, policy, () => 0, 1500)).toBe(1500);
    expect(retryDelayMs(3, policy, () => 0, 86_400_000)).toBe(10_000);
    expect(retryDelayMs(3, policy, () => 0)).toBe(200);
  });
});
