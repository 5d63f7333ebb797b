import { describe, expect, it } from "@jest/globals";
import type { PolicyGateResource } from "../../api/v1alpha1/index.js";
import { planPolicyGate } from "./decide.js";

const aGate = (spec: Record<string, unknown>, generation = 2): PolicyGateResource => ({
  apiVersion: "fixops.io/v1alpha1",
  kind: "PolicyGate",
  metadata: { name: "prod", namespace: "team-a", generation },
  spec: { blockRules: [{ name: "kev", kev: true }], ...spec } as PolicyGateResource["spec"],
});
const ctx = (names: string[] = []) => ({
  integrations: new Set(names),
  checkGlob: (g: string) => (g.includes("[") ? "character classes are not supported" : undefined),
});

describe("planPolicyGate", () => {
  it("is Ready when valid", () => {
    const p = planPolicyGate(aGate({ remediation: { integrationRefs: [{ name: "jira" }] } }), ctx(["jira"]));
    expect(p.conditions[0]).toMatchObject({ type: "Ready", status: "True", reason: "Valid", observedGeneration: 2 });
  });

  it("names an Integration missing from its namespace", () => {
    const p = planPolicyGate(aGate({ remediation: { integrationRefs: [{ name: "jira" }, { name: "gitlab" }] } }), ctx(["jira"]));
    expect(p.conditions[0]).toMatchObject({ status: "False", reason: "IntegrationNotFound" });
    expect(p.conditions[0]!.message).toContain('"gitlab"');
    expect(p.conditions[0]!.message).not.toContain('"jira"');
  });

  it.each([
    ["a rule without conditions", { blockRules: [{ name: "empty" }] }, /at least one condition/],
    ["duplicate rule names", { blockRules: [{ name: "a", kev: true }, { name: "a", minSeverity: "HIGH" }] }, /used twice/],
    ["a bad glob", { selector: { images: ["ghcr.io/[a-z]/x"] } }, /character classes/],
    ["a bad enum", { mode: "block-everything" }, /spec\.mode/],
  ])("rejects %s", (_n, spec, msg) => {
    const p = planPolicyGate(aGate(spec), ctx());
    expect(p.conditions[0]).toMatchObject({ status: "False", reason: "InvalidSpec" });
    expect(p.conditions[0]!.message).toMatch(msg);
  });
});
