import { describe, expect, it } from "@jest/globals";
import { setCondition, setConditions } from "./conditions.js";

const t1 = new Date("2026-01-01T00:00:00.000Z");
const t2 = new Date("2026-01-02T00:00:00.000Z");

describe("setCondition", () => {
  it("adds a new condition with the current time", () => {
    const c = setCondition([], { type: "Ready", status: "True", reason: "Valid", message: "ok", observedGeneration: 1 }, t1);
    expect(c).toEqual([{ type: "Ready", status: "True", reason: "Valid", message: "ok", observedGeneration: 1, lastTransitionTime: "2026-01-01T00:00:00Z" }]);
  });

  it("keeps lastTransitionTime when the status does not flip, even if reason/message/generation change", () => {
    const a = setCondition([], { type: "Ready", status: "True", reason: "Valid", message: "ok", observedGeneration: 1 }, t1);
    const b = setCondition(a, { type: "Ready", status: "True", reason: "StillValid", message: "fine", observedGeneration: 2 }, t2);
    expect(b[0]).toMatchObject({ reason: "StillValid", observedGeneration: 2, lastTransitionTime: "2026-01-01T00:00:00Z" });
  });

  it("moves lastTransitionTime when the status flips", () => {
    const a = setCondition([], { type: "Ready", status: "True", reason: "Valid", message: "ok" }, t1);
    const b = setCondition(a, { type: "Ready", status: "False", reason: "Invalid", message: "bad" }, t2);
    expect(b[0]!.lastTransitionTime).toBe("2026-01-02T00:00:00Z");
  });

  it("keeps other condition types untouched", () => {
    const a = setConditions([], [
      { type: "Ready", status: "True", reason: "Valid", message: "" },
      { type: "Stalled", status: "False", reason: "NotStalled", message: "" },
    ], t1);
    const b = setCondition(a, { type: "Ready", status: "False", reason: "Invalid", message: "x" }, t2);
    expect(b.map((c) => c.type)).toEqual(["Ready", "Stalled"]);
    expect(b[1]).toEqual(a[1]);
  });
});
