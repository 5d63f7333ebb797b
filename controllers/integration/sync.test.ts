import { describe, expect, it } from "@jest/globals";
import { syncDue } from "./sync.js";

const at = (iso: string) => new Date(iso);
const obj = (annotations: Record<string, string>, lastSync?: { time: string; request?: string }) => ({
  metadata: { name: "jira", namespace: "a", annotations },
  status: lastSync ? { lastSync: { ...lastSync, result: "Succeeded" as const, itemsChecked: 0, driftFound: 0, repaired: 0 } } : {},
});

describe("syncDue", () => {
  const hour = 3_600_000;
  it.each([
    ["never synced", obj({}), true],
    ["interval not yet passed", obj({}, { time: "2026-01-01T11:30:00Z" }), false],
    ["interval passed", obj({}, { time: "2026-01-01T10:59:59Z" }), true],
    ["a new on-demand request", obj({ "fixops.io/sync-requested": "2" }, { time: "2026-01-01T11:59:00Z", request: "1" }), true],
    ["the request already answered", obj({ "fixops.io/sync-requested": "1" }, { time: "2026-01-01T11:59:00Z", request: "1" }), false],
  ])("%s", (_name, o, due) => {
    expect(syncDue(o, hour, at("2026-01-01T12:00:00Z")).due).toBe(due);
  });

  it("carries the request it answers", () => {
    expect(syncDue(obj({ "fixops.io/sync-requested": "now" }), hour, at("2026-01-01T12:00:00Z"))).toEqual({ due: true, request: "now" });
  });
});
