import { describe, expect, it } from "@jest/globals";
import type { TaskState } from "../api/v1alpha1/index.js";
import { InvalidTransitionError, almTransition, canTransition, checkTransition, nextTransition, slaBreached, slaDue, slaRecheckMs } from "./lifecycle.js";

describe("state machine", () => {
  it.each<[TaskState, TaskState, boolean]>([
    ["OPEN", "ASSIGNED", true],
    ["ASSIGNED", "IN_PROGRESS", true],
    ["IN_PROGRESS", "VERIFICATION", true],
    ["VERIFICATION", "RESOLVED", true],
    ["VERIFICATION", "IN_PROGRESS", true],
    ["OPEN", "ACCEPTED_RISK", true],
    ["IN_PROGRESS", "FALSE_POSITIVE", true],
    ["ACCEPTED_RISK", "OPEN", true],
    ["OPEN", "RESOLVED", false],
    ["OPEN", "VERIFICATION", false],
    ["IN_PROGRESS", "RESOLVED", false],
    ["RESOLVED", "OPEN", false],
    ["FALSE_POSITIVE", "OPEN", false],
    ["ACCEPTED_RISK", "RESOLVED", false],
    ["OPEN", "OPEN", false],
  ])("%s → %s allowed: %s", (from, to, ok) => {
    expect(canTransition(from, to)).toBe(ok);
    if (ok) expect(() => checkTransition(from, to)).not.toThrow();
    else expect(() => checkTransition(from, to)).toThrow(InvalidTransitionError);
  });

  it("names the allowed targets when refusing", () => {
    expect(() => checkTransition("OPEN", "RESOLVED")).toThrow("cannot go from OPEN to RESOLVED (allowed from OPEN: ASSIGNED, ACCEPTED_RISK, FALSE_POSITIVE)");
    expect(() => checkTransition("RESOLVED", "OPEN")).toThrow("none, it is final");
  });
});

describe("nextTransition", () => {
  const base = { ticketed: false };
  it("manual resolution wins and carries who and why", () => {
    expect(nextTransition({ ...base, current: "IN_PROGRESS", resolution: { type: "FALSE_POSITIVE", by: "bob", justification: "not reachable code" } })).toEqual({
      to: "FALSE_POSITIVE",
      reason: "manual resolution by bob: not reachable code",
    });
  });
  it("a resolved task stays put even with a resolution (no path out of RESOLVED)", () => {
    expect(nextTransition({ ...base, current: "RESOLVED", resolution: { type: "ACCEPTED_RISK", by: "bob", justification: "too late" } })).toBeUndefined();
  });
  it("an exception accepts the risk; its end reopens", () => {
    expect(nextTransition({ ...base, current: "ASSIGNED", exception: { name: "waiver", approver: "alice" } })?.to).toBe("ACCEPTED_RISK");
    expect(nextTransition({ ...base, current: "ACCEPTED_RISK" })).toEqual({ to: "OPEN", reason: "no active RiskException covers the task any more" });
    expect(nextTransition({ ...base, current: "ACCEPTED_RISK", exception: { name: "waiver", approver: "alice" } })).toBeUndefined();
  });
  it("a ticket assigns an open task, and only an open one", () => {
    expect(nextTransition({ current: "OPEN", ticketed: true })?.to).toBe("ASSIGNED");
    expect(nextTransition({ current: "IN_PROGRESS", ticketed: true })).toBeUndefined();
    expect(nextTransition({ current: "OPEN", ticketed: false })).toBeUndefined();
  });
});

describe("almTransition", () => {
  it("maps categories; done means VERIFICATION, never RESOLVED", () => {
    expect(almTransition("ASSIGNED", "in_progress")?.to).toBe("IN_PROGRESS");
    expect(almTransition("IN_PROGRESS", "done")?.to).toBe("VERIFICATION");
    expect(almTransition("IN_PROGRESS", "open")?.to).toBe("ASSIGNED");
    expect(almTransition("VERIFICATION", "done")).toBeUndefined();
    expect(almTransition("RESOLVED", "open")).toBeUndefined();
    expect(almTransition("OPEN", "done")).toBeUndefined();
  });

  it("a ticket reopened during VERIFICATION puts the task back to work", () => {
    expect(almTransition("VERIFICATION", "open")).toEqual({ to: "IN_PROGRESS", reason: "ALM reports the ticket reopened" });
    expect(almTransition("VERIFICATION", "in_progress")?.to).toBe("IN_PROGRESS");
  });
});

describe("SLA", () => {
  const created = new Date("2026-01-10T12:00:00Z");
  it.each([
    ["CRITICAL", "2026-01-17T12:00:00.000Z"],
    ["HIGH", "2026-02-09T12:00:00.000Z"],
    ["MEDIUM", "2026-04-10T12:00:00.000Z"],
    ["LOW", "2026-07-09T12:00:00.000Z"],
    ["UNKNOWN", "2026-04-10T12:00:00.000Z"],
  ] as const)("default days for %s", (sev, due) => {
    expect(slaDue(created, sev)).toEqual({ dueAt: new Date(due), source: "severity" });
  });
  it("the gate's days per severity", () => {
    expect(slaDue(created, "HIGH", { critical: 1, high: 2, medium: 3, low: 4 }).dueAt.toISOString()).toBe("2026-01-12T12:00:00.000Z");
  });
  it("the KEV due date (end of that day, UTC) when earlier, else the severity days", () => {
    expect(slaDue(created, "HIGH", undefined, "2026-01-20")).toEqual({ dueAt: new Date("2026-01-20T23:59:59Z"), source: "kev" });
    expect(slaDue(created, "CRITICAL", undefined, "2026-03-01").source).toBe("severity");
    expect(() => slaDue(created, "HIGH", undefined, "soon")).toThrow('invalid KEV due date "soon"');
  });
  it("breaches at the due instant exactly, only while open, and asks to be woken then", () => {
    const sla = slaDue(created, "CRITICAL");
    const justBefore = new Date(sla.dueAt.getTime() - 1);
    expect(slaBreached(sla, "IN_PROGRESS", justBefore)).toBe(false);
    expect(slaRecheckMs(sla, "IN_PROGRESS", justBefore)).toBe(1);
    expect(slaBreached(sla, "IN_PROGRESS", sla.dueAt)).toBe(true);
    expect(slaRecheckMs(sla, "IN_PROGRESS", sla.dueAt)).toBeUndefined();
    expect(slaBreached(sla, "RESOLVED", sla.dueAt)).toBe(false);
    expect(slaRecheckMs(sla, "ACCEPTED_RISK", justBefore)).toBeUndefined();
  });
});
