import { describe, expect, it } from "@jest/globals";
import type { IntegrationSpec } from "../../api/v1alpha1/index.js";
import { eventInScope } from "./endpoint.js";
import type { InboundEvent } from "./parse.js";

const event = (scope?: string): InboundEvent => ({
  provider: "jira",
  deliveryId: "d",
  deliveryIdSource: "header",
  ticketKey: "SEC-1",
  ...(scope ? { scope } : {}),
  category: "done",
  rawState: "Done",
  actor: "a",
  stateChanged: true,
  eventType: "jira:issue_updated",
});
const spec = (s: Partial<IntegrationSpec>) => ({ url: "https://x", syncInterval: "10m", ...s }) as IntegrationSpec;

describe("eventInScope", () => {
  it.each<[string, IntegrationSpec, string | undefined, boolean]>([
    ["jira, same project", spec({ type: "jira", jira: { projectKey: "SEC", flavor: "cloud", issueType: "Bug" } }), "sec", true],
    ["jira, another project", spec({ type: "jira", jira: { projectKey: "SEC", flavor: "cloud", issueType: "Bug" } }), "OPS", false],
    ["github, same repo", spec({ type: "github", github: { owner: "acme", repo: "api" } }), "Acme/API", true],
    ["github, another repo", spec({ type: "github", github: { owner: "acme", repo: "api" } }), "acme/web", false],
    ["gitlab by numeric id (path unknown)", spec({ type: "gitlab", gitlab: { projectId: "42" } }), "acme/api", true],
    ["gitlab by path", spec({ type: "gitlab", gitlab: { projectId: "acme%2Fapi" } }), "acme/web", false],
    ["payload without scope", spec({ type: "jira", jira: { projectKey: "SEC", flavor: "cloud", issueType: "Bug" } }), undefined, true],
  ])("%s", (_name, s, scope, expected) => {
    expect(eventInScope(s, event(scope))).toBe(expected);
  });
});
