// Pure: the RemediationTask state machine and its SLA. No I/O, no clock reads (`now` is a parameter).
//
//   OPEN → ASSIGNED → IN_PROGRESS → VERIFICATION → RESOLVED
//   any open state → ACCEPTED_RISK | FALSE_POSITIVE (RiskException or spec.resolution)
//   ACCEPTED_RISK → OPEN (the exception expired or was withdrawn); VERIFICATION → IN_PROGRESS (a later
//   scan still has the finding); IN_PROGRESS → ASSIGNED (the ALM moved the ticket back to its backlog).
import type { Severity, SlaDays, TaskState } from "../api/v1alpha1/index.js";
import type { DeliveryView } from "../outbox/store.js";
import type { OutboxWork } from "./ledger.js";

export const TERMINAL: ReadonlySet<TaskState> = new Set(["RESOLVED", "ACCEPTED_RISK", "FALSE_POSITIVE"]);
const OPEN_STATES: readonly TaskState[] = ["OPEN", "ASSIGNED", "IN_PROGRESS", "VERIFICATION"];

const ALLOWED: Readonly<Record<TaskState, readonly TaskState[]>> = {
  OPEN: ["ASSIGNED", "ACCEPTED_RISK", "FALSE_POSITIVE"],
  ASSIGNED: ["IN_PROGRESS", "VERIFICATION", "ACCEPTED_RISK", "FALSE_POSITIVE"],
  IN_PROGRESS: ["ASSIGNED", "VERIFICATION", "ACCEPTED_RISK", "FALSE_POSITIVE"],
  VERIFICATION: ["RESOLVED", "IN_PROGRESS", "ACCEPTED_RISK", "FALSE_POSITIVE"],
  RESOLVED: [],
  ACCEPTED_RISK: ["OPEN"],
  FALSE_POSITIVE: [],
};

export class InvalidTransitionError extends Error {
  override readonly name = "InvalidTransitionError";
  constructor(
    readonly from: TaskState,
    readonly to: TaskState,
  ) {
    super(`a RemediationTask cannot go from ${from} to ${to} (allowed from ${from}: ${ALLOWED[from].join(", ") || "none, it is final"})`);
  }
}

export function canTransition(from: TaskState, to: TaskState): boolean {
  return ALLOWED[from].includes(to);
}

/** Throws InvalidTransitionError for a transition the machine does not have. */
export function checkTransition(from: TaskState, to: TaskState): void {
  if (!canTransition(from, to)) throw new InvalidTransitionError(from, to);
}

export const isOpen = (s: TaskState): boolean => OPEN_STATES.includes(s);

/** What the task's inputs say its state should be, given the ledger's current state. */
export interface LifecycleInput {
  current: TaskState;
  /** spec.resolution, set by a person with a justification. */
  resolution?: { type: "FALSE_POSITIVE" | "ACCEPTED_RISK"; by: string; justification: string };
  /** The active RiskException covering the task, if any. */
  exception?: { name: string; approver: string };
  /** At least one ticket exists in an ALM. */
  ticketed: boolean;
}

export interface PlannedTransition {
  to: TaskState;
  reason: string;
}

/**
 * The next transition the controller itself should make, if any. (States reported by the ALM —
 * IN_PROGRESS, VERIFICATION — arrive through `almTransition`; RESOLVED only through verification.)
 */
export function nextTransition(i: LifecycleInput): PlannedTransition | undefined {
  if (i.resolution && i.current !== i.resolution.type && canTransition(i.current, i.resolution.type)) {
    return { to: i.resolution.type, reason: `manual resolution by ${i.resolution.by}: ${i.resolution.justification}` };
  }
  if (i.resolution) return undefined;
  if (i.exception && isOpen(i.current)) {
    return { to: "ACCEPTED_RISK", reason: `covered by RiskException ${i.exception.name} (approved by ${i.exception.approver})` };
  }
  if (!i.exception && i.current === "ACCEPTED_RISK") return { to: "OPEN", reason: "no active RiskException covers the task any more" };
  if (i.ticketed && i.current === "OPEN") return { to: "ASSIGNED", reason: "ticket opened in the ALM" };
  return undefined;
}

/**
 * A state the ALM reports (by status category), as a transition of the task: in_progress → IN_PROGRESS,
 * done → VERIFICATION (never straight to RESOLVED: a newer scan must confirm), open → ASSIGNED when the
 * ticket was moved back. Undefined when nothing changes or the machine does not allow it from here.
 */
export function almTransition(current: TaskState, category: "open" | "in_progress" | "done"): PlannedTransition | undefined {
  // Reopened while in VERIFICATION: back to work (VERIFICATION → ASSIGNED is not a transition).
  const reopened = category === "open" && current === "VERIFICATION";
  const to: TaskState = category === "done" ? "VERIFICATION" : category === "in_progress" || reopened ? "IN_PROGRESS" : "ASSIGNED";
  if (to === current || !canTransition(current, to)) return undefined;
  return { to, reason: reopened ? "ALM reports the ticket reopened" : `ALM reports the ticket ${category.replace("_", " ")}` };
}

// ---- SLA -----------------------------------------------------------------------------------------

export const DEFAULT_SLA_DAYS: SlaDays = { critical: 7, high: 30, medium: 90, low: 180 };
const DAY_MS = 86_400_000;

export interface Sla {
  dueAt: Date;
  source: "severity" | "kev";
}

/** Days by severity (UNKNOWN counts as medium), or the KEV due date when that is earlier. */
export function slaDue(createdAt: Date, severity: Severity, days: SlaDays = DEFAULT_SLA_DAYS, kevDueDate?: string): Sla {
  const d = { CRITICAL: days.critical, HIGH: days.high, MEDIUM: days.medium, LOW: days.low, UNKNOWN: days.medium }[severity];
  const bySeverity = new Date(createdAt.getTime() + d * DAY_MS);
  if (kevDueDate) {
    // CISA gives a calendar date: due by the end of that day (UTC).
    const kev = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(kevDueDate) ? `${kevDueDate}T23:59:59Z` : kevDueDate);
    if (Number.isNaN(kev)) throw new Error(`invalid KEV due date ${JSON.stringify(kevDueDate)}: expected YYYY-MM-DD`);
    if (kev < bySeverity.getTime()) return { dueAt: new Date(kev), source: "kev" };
  }
  return { dueAt: bySeverity, source: "severity" };
}

/** Breached at the due instant exactly, while the task is still open. */
export function slaBreached(sla: Sla, state: TaskState, now: Date): boolean {
  return isOpen(state) && now.getTime() >= sla.dueAt.getTime();
}

/** When to look again so that the breach is seen at its instant (undefined when nothing is pending). */
export function slaRecheckMs(sla: Sla, state: TaskState, now: Date): number | undefined {
  if (!isOpen(state)) return undefined;
  const ms = sla.dueAt.getTime() - now.getTime();
  return ms > 0 ? ms : undefined;
}

/** What the ALMs are told about a transition: closing or reopening the tickets that exist or are on their way. */
export function ticketWork(t: PlannedTransition, deliveries: readonly DeliveryView[], refs: readonly string[]): OutboxWork[] {
  const target = t.to === "ACCEPTED_RISK" || t.to === "FALSE_POSITIVE" || t.to === "RESOLVED" ? "done" : t.to === "OPEN" ? "open" : undefined;
  if (!target) return [];
  return deliveries
    .filter((d) => refs.includes(d.integration) && (d.link || !d.dead))
    .map((d) => ({ integration: d.integration, work: { operation: "set_state" as const, payload: { target, comment: `FixOps: ${t.to.replace("_", " ").toLowerCase()} — ${t.reason}` } } }));
}
