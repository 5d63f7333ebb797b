import { describe, expect, it } from "@jest/globals";
import type { IntegrationSpec } from "../../api/v1alpha1/index.js";
import { eventInScope } from "./endpoint.js";
import type { InboundEvent } from "./parse.js";

const event = (scope?: string, scopeId?: string): InboundEvent => ({
  provider: "jira",
  deliveryId: "d",
  deliveryIdSource: "header",
  ticketKey: "SEC-1",
  ...(scope ? { scope } : {}),
  ...(scopeId ? { scopeId } : {}),
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
    ["gitlab by path", spec({ type: "gitlab", gitlab: { projectId: "acme%2Fapi" } }), "acme/web", false],
    ["payload without scope", spec({ type: "jira", jira: { projectKey: "SEC", flavor: "cloud", issueType: "Bug" } }), undefined, true],
  ])("%s", (_name, s, scope, expected) => {
    expect(eventInScope(s, event(scope))).toBe(expected);
  });

  it.each<[string, string, string | undefined, string | undefined, boolean]>([
    ["numeric id, same project", "42", "acme/api", "42", true],
    ["numeric id, another project of a group webhook", "42", "acme/web", "313", false],
    ["numeric id, payload without the project id", "42", "acme/api", undefined, true],
    ["path, same project whatever its id", "acme%2Fapi", "Acme/API", "42", true],
    ["path, another project", "acme%2Fapi", "acme/web", "42", false],
  ])("gitlab configured by %s", (_name, projectId, scope, scopeId, expected) => {
    expect(eventInScope(spec({ type: "gitlab", gitlab: { projectId } }), event(scope, scopeId))).toBe(expected);
  });
});
