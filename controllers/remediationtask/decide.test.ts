import { describe, expect, it } from "@jest/globals";
import type { RemediationTaskSpec, RiskExceptionResource } from "../../api/v1alpha1/index.js";
import type { DeliveryView } from "../../outbox/store.js";
import { coveringException, planTaskStatus, ticketDraft } from "./decide.js";
import { slaDue } from "../../remediation/lifecycle.js";
import { ticketWork } from "../../remediation/lifecycle.js";

const NOW = new Date("2026-03-01T00:00:00Z");
const spec: RemediationTaskSpec = {
  title: "CVE-2021-44228 in log4j-core 2.14.1 (ghcr.io/acme/api:1.4.2)",
  artifact: { image: "ghcr.io/acme/api:1.4.2" },
  clusterKey: "finding/v1|x",
  findingKeys: ["finding/v1|x"],
  vulnerabilityIds: ["CVE-2021-44228"],
  severity: "CRITICAL",
  integrationRefs: [{ name: "jira" }],
};
const exc = (name: string, s: Partial<RiskExceptionResource["spec"]>, namespace = "team-a"): RiskExceptionResource => ({
  apiVersion: "fixops.io/v1alpha1",
  kind: "RiskException",
  metadata: { name, namespace },
  spec: { expiresAt: "2026-04-01T00:00:00Z", approver: "alice", reason: "r", ...s },
});

describe("coveringException", () => {
  it("covers by ids (case-insensitive) and image glob, only in the task's namespace, only while active", () => {
    expect(coveringException(spec, "team-a", [exc("w", { vulnerabilityIds: ["cve-2021-44228"] })], NOW).exception).toMatchObject({ name: "w", approver: "alice" });
    expect(coveringException(spec, "team-a", [exc("w", { vulnerabilityIds: ["CVE-2021-44228"] }, "team-b")], NOW).exception).toBeUndefined();
    expect(coveringException(spec, "team-a", [exc("w", { vulnerabilityIds: ["CVE-2021-44228"], expiresAt: "2026-03-01T00:00:00Z" })], NOW).exception).toBeUndefined();
    expect(coveringException(spec, "team-a", [exc("w", { images: ["ghcr.io/acme/**"] })], NOW).exception?.name).toBe("w");
    expect(coveringException(spec, "team-a", [exc("w", { images: ["ghcr.io/other/**"], vulnerabilityIds: ["CVE-2021-44228"] })], NOW).exception).toBeUndefined();
  });
  it("does not cover a task with ids it does not name, and says when coverage can change", () => {
    const two = { ...spec, vulnerabilityIds: ["CVE-2021-44228", "CVE-2021-45046"] };
    expect(coveringException(two, "team-a", [exc("w", { vulnerabilityIds: ["CVE-2021-44228"] })], NOW).exception).toBeUndefined();
    const r = coveringException(spec, "team-a", [exc("a", { vulnerabilityIds: ["CVE-2021-44228"], expiresAt: "2026-03-10T00:00:00Z" }), exc("b", { vulnerabilityIds: ["CVE-2021-44228"] })], NOW);
    expect(r.exception?.name).toBe("b");
    expect(r.nextChangeAt?.toISOString()).toBe("2026-03-10T00:00:00.000Z");
  });
});

describe("ticketDraft", () => {
  it("carries title, severity, due date and the vulnerability ids", () => {
    const d = ticketDraft("team-a", "rt-1", spec, slaDue(NOW, "CRITICAL"));
    expect(d).toMatchObject({ title: spec.title, severity: "CRITICAL", dueDate: "2026-03-08", labels: ["severity-critical"] });
    expect(JSON.stringify(d.description)).toContain("CVE-2021-44228");
    expect(JSON.stringify(d.description)).toContain("RemediationTask team-a/rt-1");
  });
});

const link = (integration: string) => ({
  integration,
  link: { namespace: "team-a", task: "rt-1", integration, ticket_ref: "SEC-1", ticket_key: "SEC-1", url: "http://jira/browse/SEC-1", state: "To Do", category: "open", synced_at: NOW },
  dead: false,
});

describe("planTaskStatus", () => {
  const sla = slaDue(new Date("2026-02-01T00:00:00Z"), "CRITICAL");
  it("projects tickets, bounded transitions, SLA, and a dead letter's error", () => {
    const deliveries: DeliveryView[] = [link("jira"), { integration: "github", dead: true, lastError: "github POST /repos/{owner}/{repo}/issues: HTTP 403: forbidden" }];
    const transitions = Array.from({ length: 14 }, (_, i) => ({ from: "OPEN", to: "ASSIGNED" as const, at: new Date(NOW.getTime() + i), reason: `r${i}` }));
    const p = planTaskStatus({ state: "ASSIGNED", sla, breached: true, breachedNow: true, deliveries, transitions, made: [], integrationRefs: ["jira", "github"], generation: 3 });
    expect(p.status.tickets).toEqual([
      { integration: "jira", key: "SEC-1", url: "http://jira/browse/SEC-1", state: "To Do", syncedAt: "2026-03-01T00:00:00Z" },
      { integration: "github", lastError: "dead letter: github POST /repos/{owner}/{repo}/issues: HTTP 403: forbidden" },
    ]);
    expect(p.status.transitions).toHaveLength(10);
    expect(p.status.transitions![9]!.reason).toBe("r13");
    expect(p.status.sla).toEqual({ dueAt: "2026-02-08T00:00:00Z", breached: true, source: "severity" });
    expect(p.conditions.find((c) => c.type === "Ready")).toMatchObject({ status: "False", reason: "DeliveryFailed" });
    expect(p.conditions.find((c) => c.type === "SlaBreached")).toMatchObject({ status: "True", reason: "DueDatePassed" });
    expect(p.events?.map((e) => e.reason)).toEqual(["SlaBreached", "DeliveryFailed"]);
  });
});

describe("ticketWork", () => {
  it("closes existing or pending tickets on acceptance, reopens on OPEN, and skips dead creates", () => {
    const d: DeliveryView[] = [link("jira"), { integration: "gitlab", dead: false, lastError: "HTTP 500" }, { integration: "github", dead: true }];
    const close = ticketWork({ to: "ACCEPTED_RISK", reason: "covered by RiskException w" }, d, ["jira", "gitlab", "github"]);
    expect(close.map((w) => [w.integration, w.work.operation, (w.work.payload as { target: string }).target])).toEqual([
      ["jira", "set_state", "done"],
      ["gitlab", "set_state", "done"],
    ]);
    expect(ticketWork({ to: "OPEN", reason: "x" }, d, ["jira"]).map((w) => (w.work.payload as { target: string }).target)).toEqual(["open"]);
    expect(ticketWork({ to: "ASSIGNED", reason: "x" }, d, ["jira"])).toEqual([]);
  });
});
