import { describe, expect, it } from "@jest/globals";
import { mergePatch, statusChanged } from "./status.js";

// RFC 7386 applied to a JSON value, to check that the patch really yields `desired`.
function apply(target: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = typeof target === "object" && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = apply(out[k], v);
  }
  return out;
}

describe("status merge patch", () => {
  it.each([
    [{ a: 1, b: { c: 1, d: [1, 2] } }, { a: 1, b: { c: 2 } }],
    [{ whatIf: { wouldDeny: 1, workloads: [{ name: "api" }] }, counts: { allow: 0 } }, { whatIf: { wouldDeny: 0 }, counts: { allow: 2 } }],
    [{ decision: { feeds: { epss: "e", kev: "k" } } }, { decision: { feeds: { kev: "k2" } } }],
    [{ x: { y: 1 } }, { x: [1] }],
    [{ x: [1] }, { x: { y: 1 } }],
    [{ gone: { deep: true } }, {}],
  ])("patching %j into %j yields exactly the desired status", (current, desired) => {
    const patch = mergePatch(current as Record<string, unknown>, desired as Record<string, unknown>);
    expect(apply(current, patch)).toEqual(desired);
    expect(statusChanged(apply(current, patch), desired)).toBe(false);
  });
});
