// ALM state → category. Built-in defaults use each ALM's structured category (Jira statusCategory, GitHub
// open/closed, ServiceNow state codes, Azure DevOps state categories) — never resolution text, which is
// what makes DefectDojo miss reopens. An Integration's `stateMapping` overrides per raw state name or
// per category key.
import type { TaskState } from "../api/v1alpha1/integration.js";
import type { Category } from "./types.js";

export type StateMapping = Record<string, TaskState> | undefined;

export function categoryOfTaskState(s: TaskState): Category {
  switch (s) {
    case "OPEN":
    case "ASSIGNED":
      return "open";
    case "IN_PROGRESS":
      return "in_progress";
    case "VERIFICATION":
    case "RESOLVED":
    case "ACCEPTED_RISK":
    case "FALSE_POSITIVE":
      return "done";
  }
}

/**
 * Applies the override: the most specific candidate first (exact raw state, then case-insensitive, then
 * the provider's category key such as Jira's "indeterminate"), else the built-in category.
 */
export function applyStateMapping(candidates: string[], builtIn: Category, mapping: StateMapping): Category {
  if (!mapping) return builtIn;
  const lower = new Map(Object.entries(mapping).map(([k, v]) => [k.toLowerCase(), v]));
  for (const c of candidates) {
    const exact = mapping[c];
    if (exact) return categoryOfTaskState(exact);
    const ci = lower.get(c.toLowerCase());
    if (ci) return categoryOfTaskState(ci);
  }
  return builtIn;
}

/** Jira statusCategory.key: new | indeterminate | done (an "undefined" category counts as open). */
export function jiraCategory(statusName: string, categoryKey: string, mapping?: StateMapping): Category {
  const builtIn: Category = categoryKey === "done" ? "done" : categoryKey === "indeterminate" ? "in_progress" : "open";
  return applyStateMapping([statusName, categoryKey], builtIn, mapping);
}

/**
 * GitHub: state open|closed plus state_reason; raw state is "closed/not_planned" style. Every close is
 * category done, whatever its reason (completed, not_planned, duplicate): the task goes to VERIFICATION and
 * a newer scan decides — still vulnerable → the issue is reopened. Declining a fix is a RiskException, not
 * an issue state. An Integration that wants otherwise maps the raw state, e.g. stateMapping
 * { "closed/not_planned": "OPEN" }.
 */
export function githubRawState(state: string, reason: string | null | undefined): string {
  return reason ? `${state}/${reason}` : state;
}
export function githubCategory(state: string, reason: string | null | undefined, mapping?: StateMapping): Category {
  const builtIn: Category = state === "closed" ? "done" : "open";
  return applyStateMapping([githubRawState(state, reason), state], builtIn, mapping);
}

/** GitLab: opened | closed. */
export function gitlabCategory(state: string, mapping?: StateMapping): Category {
  return applyStateMapping([state], state === "closed" ? "done" : "open", mapping);
}

/** ServiceNow incident state codes: 1 New, 2 In Progress, 3 On Hold, 6 Resolved, 7 Closed, 8 Canceled. */
export const SERVICENOW_STATES: Record<string, { name: string; category: Category }> = {
  "1": { name: "New", category: "open" },
  "2": { name: "In Progress", category: "in_progress" },
  "3": { name: "On Hold", category: "in_progress" },
  "6": { name: "Resolved", category: "done" },
  "7": { name: "Closed", category: "done" },
  "8": { name: "Canceled", category: "done" },
};
export function servicenowCategory(code: string, mapping?: StateMapping): Category {
  const known = SERVICENOW_STATES[code];
  return applyStateMapping(known ? [code, known.name] : [code], known?.category ?? "open", mapping);
}

/** Azure DevOps state categories (from GET …/workitemtypes/{type}/states). */
export type AdoStateCategory = "Proposed" | "InProgress" | "Resolved" | "Completed" | "Removed";
export function adoCategoryOf(cat: string): Category {
  if (cat === "InProgress") return "in_progress";
  if (cat === "Resolved" || cat === "Completed" || cat === "Removed") return "done";
  return "open";
}

/**
 * Well-known state names of the Agile, Scrum, Basic and CMMI processes, for when the categories could
 * not be read (an inbound webhook carries only the state name).
 */
export const ADO_WELL_KNOWN_STATES: Record<string, AdoStateCategory> = {
  New: "Proposed",
  Proposed: "Proposed",
  "To Do": "Proposed",
  Approved: "Proposed",
  Active: "InProgress",
  Committed: "InProgress",
  Doing: "InProgress",
  "In Progress": "InProgress",
  Resolved: "Resolved",
  Closed: "Completed",
  Done: "Completed",
  Completed: "Completed",
  Removed: "Removed",
};

export function adoCategory(stateName: string, stateCategories: Record<string, string> | undefined, mapping?: StateMapping): Category {
  const cat = stateCategories?.[stateName] ?? ADO_WELL_KNOWN_STATES[stateName] ?? "Proposed";
  return applyStateMapping([stateName, cat], adoCategoryOf(cat), mapping);
}
