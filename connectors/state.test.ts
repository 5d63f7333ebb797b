import { describe, expect, it } from "@jest/globals";
import { adoCategory, categoryOfTaskState, githubCategory, gitlabCategory, jiraCategory, servicenowCategory } from "./state.js";

describe("state mapping by category", () => {
  it.each([
    ["To Do", "new", "open"],
    ["In Review", "indeterminate", "in_progress"],
    ["Resolved", "new", "open"], // a status *named* Resolved in the To Do category is open
    ["Won't Fix", "done", "done"],
    ["Weird", "undefined", "open"],
  ] as const)("Jira %s (%s) → %s", (name, key, cat) => {
    expect(jiraCategory(name, key)).toBe(cat);
  });

  it("applies stateMapping by raw name (case-insensitive) before category key", () => {
    expect(jiraCategory("Blocked", "indeterminate", { blocked: "OPEN" })).toBe("open");
    expect(jiraCategory("QA", "indeterminate", { indeterminate: "VERIFICATION" })).toBe("done");
    expect(jiraCategory("QA", "indeterminate", { QA: "IN_PROGRESS", indeterminate: "VERIFICATION" })).toBe("in_progress");
  });

  it("maps GitHub, GitLab, ServiceNow and Azure DevOps", () => {
    expect(githubCategory("closed", "not_planned")).toBe("done");
    expect(githubCategory("open", "reopened")).toBe("open");
    expect(githubCategory("closed", "not_planned", { "closed/not_planned": "OPEN" })).toBe("open");
    expect(gitlabCategory("opened")).toBe("open");
    expect(gitlabCategory("closed")).toBe("done");
    expect(["1", "2", "3", "6", "7", "8", "99"].map((c) => servicenowCategory(c))).toEqual(["open", "in_progress", "in_progress", "done", "done", "done", "open"]);
    expect(servicenowCategory("3", { "On Hold": "OPEN" })).toBe("open");
    expect(adoCategory("Doing", undefined)).toBe("in_progress");
    expect(adoCategory("Ready", { Ready: "Completed" })).toBe("done");
    expect(adoCategory("Closed", { Closed: "Completed" }, { Completed: "VERIFICATION" })).toBe("done");
  });

  it("derives the category of each task state", () => {
    expect(categoryOfTaskState("ASSIGNED")).toBe("open");
    expect(categoryOfTaskState("IN_PROGRESS")).toBe("in_progress");
    expect(categoryOfTaskState("FALSE_POSITIVE")).toBe("done");
  });
});
