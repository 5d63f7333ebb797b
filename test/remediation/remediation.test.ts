// Remediation on the real control plane + PostgreSQL, with the Jira and GitHub stand-ins on loopback:
// a gate's remediation block → one RemediationTask per correlated cluster → exactly one ticket in each
// referenced ALM (a rescan changes nothing); a RiskException accepts the risk and closes the ticket; a
// dead letter shows its error and is retried by annotation; an SLA breaches at its instant; and a task
// never reaches another namespace's Integration or Secret.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import pg from "pg";
import type { KubeClient } from "../../operator/kube/client.js";
import { Resources, type KubeObject } from "../../operator/kube/port.js";
import type { RunningOperator } from "../../operator/main.js";
import { transition } from "../../remediation/ledger.js";
import { idempotencyKeyFor } from "../../outbox/store.js";
import { GH_BOT, GH_REPO, GitHubStandIn, JIRA_BOT, JiraStandIn } from "../alm/index.js";
import { adminClient, createNamespace, harnessEnv, metricsText, metricValue, readyCondition, waitForObject } from "../harness/env.js";
import { operatorConfig, runOperatorInProcess } from "../harness/operator.js";
import { waitFor } from "../harness/ports.js";

let kube: KubeClient;
let ns: string;
let other: string;
let op: RunningOperator;
let db: pg.Pool;
let jira: JiraStandIn;
let jiraOther: JiraStandIn;
let github: GitHubStandIn;

type TaskStatus = {
  state?: string;
  sla?: { dueAt: string; breached: boolean; source?: string };
  tickets?: { integration: string; key?: string; url?: string; state?: string; lastError?: string }[];
  transitions?: { from: string; to: string; reason: string }[];
  conditions?: { type: string; status: string; reason: string; message: string }[];
};
const st = (o: KubeObject) => (o.status ?? {}) as TaskStatus;
const ticketOf = (o: KubeObject, integration: string) => st(o).tickets?.find((t) => t.integration === integration);

const IMAGE = "ghcr.io/acme/api:1.4.2";
const vuln = (id: string, pkg: string, severity: string) => ({ VulnerabilityID: id, PkgName: pkg, InstalledVersion: "1.0.0", FixedVersion: "1.0.1", Severity: severity });
const report = (vulns: object[]) =>
  JSON.stringify({ SchemaVersion: 2, ArtifactName: IMAGE, ArtifactType: "container_image", Results: [{ Target: "app", Class: "lang-pkgs", Type: "jar", Vulnerabilities: vulns }] });

async function jiraIntegration(namespace: string, name: string, url: string, secretName: string, token = JIRA_BOT.token) {
  await kube.create(Resources.Secret, { metadata: { name: secretName, namespace }, stringData: { username: JIRA_BOT.email!, token } });
  await kube.create(Resources.Integration, {
    metadata: { name, namespace },
    spec: { type: "jira", url, jira: { projectKey: "SEC" }, credentialsSecretRef: { name: secretName }, network: { allowPrivateAddresses: true }, rateLimit: { requestsPerSecond: 50, burst: 50 } },
  });
}

const tasksIn = async (namespace: string) => (await kube.list<KubeObject>(Resources.RemediationTask, namespace)).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));

beforeAll(async () => {
  jira = await new JiraStandIn({ flavor: "cloud" }).start();
  jiraOther = await new JiraStandIn({ flavor: "cloud" }).start();
  github = await new GitHubStandIn().start();
  kube = await adminClient();
  ns = await createNamespace(kube, "remed");
  other = await createNamespace(kube, "remed-other");
  db = new pg.Pool({ connectionString: harnessEnv().databaseUrl, max: 2 });
  op = await runOperatorInProcess(await operatorConfig({ watchNamespace: ns }));
  await jiraIntegration(ns, "jira", jira.baseUrl, "jira-creds");
  await kube.create(Resources.Secret, { metadata: { name: "gh-creds", namespace: ns }, stringData: { token: GH_BOT.token } });
  await kube.create(Resources.Integration, {
    metadata: { name: "github", namespace: ns },
    spec: { type: "github", url: github.baseUrl, github: { owner: GH_REPO.owner, repo: GH_REPO.repo }, credentialsSecretRef: { name: "gh-creds" }, network: { allowPrivateAddresses: true } },
  });
  // Namespace `other` has an Integration of the same name, pointing at another Jira.
  await jiraIntegration(other, "jira", jiraOther.baseUrl, "jira-creds");
}, 60_000);
afterAll(async () => {
  await op?.stop();
  await db?.end();
  await jira?.close();
  await jiraOther?.close();
  await github?.close();
  await kube.delete(Resources.Namespace, undefined, ns);
  await kube.delete(Resources.Namespace, undefined, other);
  kube.close();
});

describe("RemediationTasks from a gate", () => {
  it("opens one task per blocked cluster and exactly one ticket per task in Jira and GitHub; a rescan adds nothing", async () => {
    await kube.create(Resources.PolicyGate, {
      metadata: { name: "criticals", namespace: ns },
      spec: { mode: "enforce", blockRules: [{ name: "critical", minSeverity: "CRITICAL" }], remediation: { integrationRefs: [{ name: "jira" }, { name: "github" }], slaDays: { critical: 3 } } },
    });
    await kube.create(Resources.ScanResult, {
      metadata: { name: "api", namespace: ns },
      spec: { artifact: { image: IMAGE }, scanner: { name: "trivy" }, report: { inline: report([vuln("CVE-2021-44228", "log4j-core", "CRITICAL"), vuln("CVE-2022-22965", "spring-beans", "CRITICAL"), vuln("CVE-2023-1111", "jackson", "MEDIUM")]) } },
    });
    const names = await waitFor("two tasks", async () => {
      const t = await tasksIn(ns);
      return t.length === 2 ? t.map((x) => x.metadata.name) : undefined;
    }, 30_000, 200);
    const gate = await kube.get<KubeObject>(Resources.PolicyGate, ns, "criticals");
    for (const name of names) {
      const t = await waitForObject(kube, Resources.RemediationTask, ns, name, (o) => st(o).state === "ASSIGNED" && !!ticketOf(o, "jira")?.key && !!ticketOf(o, "github")?.key, 30_000);
      expect(t.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: "PolicyGate", name: "criticals", uid: gate!.metadata.uid })]);
      expect((t.spec as { severity: string }).severity).toBe("CRITICAL");
      expect(st(t).transitions).toEqual([expect.objectContaining({ from: "OPEN", to: "ASSIGNED" })]);
      expect(st(t).sla?.source).toBe("severity");
      expect(Date.parse(st(t).sla!.dueAt) - Date.parse(t.metadata.creationTimestamp!)).toBeGreaterThan(3 * 86_400_000 - 60_000);
      expect(readyCondition(t)).toMatchObject({ status: "True", reason: "Tracking" });
      expect(jira.ticketsWithKey(idempotencyKeyFor(ns, name, "jira"))).toBe(1);
      expect(github.ticketsWithKey(idempotencyKeyFor(ns, name, "github"))).toBe(1);
      expect(jira.stateOf(ticketOf(t, "jira")!.key!)).toBe("To Do");
    }
    expect(jira.issues.size).toBe(2);
    expect(jiraOther.requests()).toBe(0);

    // A rescan with the same criticals plus a new MEDIUM: same tasks, no new ticket.
    const sr = await kube.get<KubeObject>(Resources.ScanResult, ns, "api");
    await kube.replace(Resources.ScanResult, {
      ...sr!,
      spec: { ...(sr!.spec as object), report: { inline: report([vuln("CVE-2022-22965", "spring-beans", "CRITICAL"), vuln("CVE-2021-44228", "log4j-core", "CRITICAL"), vuln("CVE-2024-2222", "netty", "MEDIUM")]) } },
    });
    await waitForObject(kube, Resources.ScanResult, ns, "api", (o) => readyCondition(o)?.observedGeneration === 2);
    // A second ScanResult of the same image maps onto the same tasks too.
    await kube.create(Resources.ScanResult, {
      metadata: { name: "api-nightly", namespace: ns },
      spec: { artifact: { image: IMAGE }, scanner: { name: "trivy" }, report: { inline: report([vuln("CVE-2021-44228", "log4j-core", "CRITICAL"), vuln("CVE-2022-22965", "spring-beans", "CRITICAL")]) } },
    });
    await waitForObject(kube, Resources.ScanResult, ns, "api-nightly", (o) => readyCondition(o)?.status === "True");
    await new Promise((r) => setTimeout(r, 1500));
    expect((await tasksIn(ns)).map((t) => t.metadata.name)).toEqual([...names].sort());
    expect(jira.issues.size).toBe(2);
    expect(github.issues.size).toBe(2);
    const rows = await db.query("SELECT operation, status FROM outbox WHERE namespace = $1 ORDER BY id", [ns]);
    expect(rows.rows).toEqual([
      { operation: "create", status: "delivered" },
      { operation: "create", status: "delivered" },
      { operation: "create", status: "delivered" },
      { operation: "create", status: "delivered" },
    ]);
  }, 90_000);

  it("a RiskException accepts the risk: ACCEPTED_RISK, tickets closed with a comment, transitions audited", async () => {
    const tasks = await tasksIn(ns);
    const log4j = tasks.find((t) => (t.spec as { vulnerabilityIds: string[] }).vulnerabilityIds.includes("CVE-2021-44228"))!;
    await kube.create(Resources.RiskException, {
      metadata: { name: "log4j-waiver", namespace: ns },
      spec: { vulnerabilityIds: ["CVE-2021-44228"], expiresAt: new Date(Date.now() + 3600_000).toISOString(), approver: "alice", reason: "compensating WAF rule" },
    });
    const t = await waitForObject(kube, Resources.RemediationTask, ns, log4j.metadata.name, (o) => st(o).state === "ACCEPTED_RISK");
    expect(st(t).transitions!.map((x) => x.to)).toEqual(["ASSIGNED", "ACCEPTED_RISK"]);
    expect(st(t).transitions![1]!.reason).toContain("RiskException log4j-waiver (approved by alice)");
    const key = ticketOf(t, "jira")!.key!;
    await waitFor("Jira ticket closed", async () => (jira.stateOf(key) === "Done" ? true : undefined), 20_000, 200);
    expect(jira.commentsOf(key).join("\n")).toContain("accepted risk");
    const gh = ticketOf(t, "github")!.key!;
    await waitFor("GitHub issue closed", async () => (github.stateOf(gh.split("#")[1]!)?.startsWith("closed") ? true : undefined), 20_000, 200);
    const audit = await db.query<{ action: string; details: { from?: string; to?: string } }>(
      "SELECT action, details FROM audit_events WHERE namespace = $1 AND kind = 'RemediationTask' AND name = $2 ORDER BY id",
      [ns, log4j.metadata.name],
    );
    expect(audit.rows.map((r) => (r.action === "transition" ? `${r.details.from}→${r.details.to}` : r.action))).toEqual(["created", "OPEN→ASSIGNED", "ASSIGNED→ACCEPTED_RISK"]);
  }, 60_000);
});

describe("ownership", () => {
  it("deleting the gate garbage-collects its tasks; re-creating it brings back the same tasks with their ledger state and no new ticket", async () => {
    const before = await tasksIn(ns);
    const fromGate = before.filter((t) => t.metadata.ownerReferences?.length);
    expect(fromGate).toHaveLength(2);
    const states = new Map(fromGate.map((t) => [t.metadata.name, st(t).state]));
    const issues = jira.issues.size;
    const gate = await kube.get<KubeObject>(Resources.PolicyGate, ns, "criticals");
    await kube.delete(Resources.PolicyGate, ns, "criticals");
    await waitFor("tasks collected", async () => ((await tasksIn(ns)).some((t) => states.has(t.metadata.name)) ? undefined : true), 60_000, 250);
    await kube.create(Resources.PolicyGate, { metadata: { name: "criticals", namespace: ns }, spec: gate!.spec });
    // The finding under the RiskException is not marked for action now, so its task stays away; the other
    // comes back, ASSIGNED, with its ticket and transitions from the ledger.
    const open = [...states.entries()].find(([, state]) => state === "ASSIGNED");
    const accepted = [...states.entries()].find(([, state]) => state === "ACCEPTED_RISK");
    expect(open && accepted).toBeTruthy();
    const t = await waitForObject(kube, Resources.RemediationTask, ns, open![0], (o) => st(o).state === "ASSIGNED" && !!ticketOf(o, "jira")?.key, 30_000);
    expect(st(t).transitions!.map((x) => x.to)).toEqual(["ASSIGNED"]);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await kube.get(Resources.RemediationTask, ns, accepted![0])).toBeNull();
    expect(jira.issues.size).toBe(issues);
    const creates = await db.query<{ n: string }>("SELECT count(*) AS n FROM outbox WHERE namespace = $1 AND operation = 'create'", [ns]);
    expect(Number(creates.rows[0]!.n)).toBe(4);
  }, 120_000);
});

describe("manual tasks, dead letters, SLA", () => {
  const task = (name: string, spec: Record<string, unknown>, annotations: Record<string, string> = {}) =>
    kube.create(Resources.RemediationTask, {
      metadata: { name, namespace: ns, annotations },
      spec: { title: `manual ${name}`, artifact: { image: IMAGE }, clusterKey: `manual|${name}`, vulnerabilityIds: ["CVE-2020-0001"], severity: "HIGH", ...spec },
    });

  it("a rejected credential dead-letters with the ALM's error in status; fixing the Secret and annotating fixops.io/retry delivers it", async () => {
    await jiraIntegration(ns, "jira-bad", jira.baseUrl, "jira-bad-creds", "not-the-token");
    await task("dead-letter", { integrationRefs: [{ name: "jira-bad" }] });
    const dead = await waitForObject(kube, Resources.RemediationTask, ns, "dead-letter", (o) => ticketOf(o, "jira-bad")?.lastError?.startsWith("dead letter") === true, 30_000);
    expect(ticketOf(dead, "jira-bad")!.lastError).toMatch(/jira .*HTTP 401/);
    expect(ticketOf(dead, "jira-bad")!.lastError).not.toContain("not-the-token");
    expect(readyCondition(dead)).toMatchObject({ status: "False", reason: "DeliveryFailed" });
    expect(st(dead).state).toBe("OPEN");
    expect(metricValue(await metricsText(op.healthPort), "fixops_outbox_dead_letters_total", { operation: "create" })).toBeGreaterThanOrEqual(1);
    const key = idempotencyKeyFor(ns, "dead-letter", "jira-bad");
    expect(jira.ticketsWithKey(key)).toBe(0);

    const secret = await kube.get<KubeObject>(Resources.Secret, ns, "jira-bad-creds");
    await kube.replace(Resources.Secret, { ...secret!, data: undefined, stringData: { username: JIRA_BOT.email!, token: JIRA_BOT.token } });
    await kube.mergePatch(Resources.RemediationTask, ns, "dead-letter", { metadata: { annotations: { "fixops.io/retry": "1" } } });
    const ok = await waitForObject(kube, Resources.RemediationTask, ns, "dead-letter", (o) => !!ticketOf(o, "jira-bad")?.key && st(o).state === "ASSIGNED", 60_000);
    expect(ticketOf(ok, "jira-bad")!.lastError).toBeUndefined();
    expect(jira.ticketsWithKey(key)).toBe(1);
  }, 120_000);

  it("a manual resolution needs no ticket and is final; the SLA breaches at the KEV due instant with condition, event and metric", async () => {
    await task("false-positive", { integrationRefs: [{ name: "jira" }], resolution: { type: "FALSE_POSITIVE", justification: "the vulnerable code is not shipped", by: "bob" } });
    const fp = await waitForObject(kube, Resources.RemediationTask, ns, "false-positive", (o) => st(o).state === "FALSE_POSITIVE");
    expect(st(fp).transitions).toEqual([expect.objectContaining({ from: "OPEN", to: "FALSE_POSITIVE", reason: "manual resolution by bob: the vulnerable code is not shipped" })]);
    expect(jira.ticketsWithKey(idempotencyKeyFor(ns, "false-positive", "jira"))).toBe(0);

    const due = new Date(Date.now() + 5000);
    due.setMilliseconds(0);
    await task("kev-due", { integrationRefs: [] }, { "fixops.io/kev-due-date": due.toISOString() });
    const before = await waitForObject(kube, Resources.RemediationTask, ns, "kev-due", (o) => st(o).sla?.source === "kev");
    expect(st(before).sla).toEqual({ dueAt: due.toISOString().replace(".000Z", "Z"), breached: false, source: "kev" });
    const after = await waitForObject(kube, Resources.RemediationTask, ns, "kev-due", (o) => st(o).sla?.breached === true, 15_000);
    expect(Date.now()).toBeGreaterThanOrEqual(due.getTime());
    expect(after.metadata.generation).toBe(before.metadata.generation);
    expect(st(after).conditions!.find((c) => c.type === "SlaBreached")).toMatchObject({ status: "True", reason: "DueDatePassed" });
    const events = await kube.list<KubeObject & { reason?: string; involvedObject?: { name?: string } }>(Resources.Event, ns);
    expect(events.some((e) => e.reason === "SlaBreached" && e.involvedObject?.name === "kev-due")).toBe(true);
    expect(metricValue(await metricsText(op.healthPort), "fixops_remediation_sla_breaches_total", { severity: "HIGH" })).toBe(1);
  }, 60_000);
});

describe("MTTR", () => {
  it("a task that reaches RESOLVED (by whichever flow) is counted once in the MTTR metric, by severity", async () => {
    await kube.create(Resources.RemediationTask, {
      metadata: { name: "mttr", namespace: ns },
      spec: { title: "mttr", artifact: { image: IMAGE }, clusterKey: "mttr|1", vulnerabilityIds: ["CVE-2020-0009"], severity: "MEDIUM", integrationRefs: [{ name: "jira" }] },
    });
    await waitForObject(kube, Resources.RemediationTask, ns, "mttr", (o) => st(o).state === "ASSIGNED");
    const count = async () => metricValue(await metricsText(op.healthPort), "fixops_remediation_mttr_seconds_count", { severity: "MEDIUM" }) ?? 0;
    expect(await count()).toBe(0);
    // The ALM reports done (→ VERIFICATION), then a newer scan confirms (→ RESOLVED): through the ledger, as those flows do.
    await transition(db, ns, "mttr", "ASSIGNED", { to: "VERIFICATION", reason: "ALM reports the ticket done" }, "test", () => []);
    await transition(db, ns, "mttr", "VERIFICATION", { to: "RESOLVED", reason: "ScanResult api no longer has the finding" }, "test", () => []);
    await kube.mergePatch(Resources.RemediationTask, ns, "mttr", { metadata: { annotations: { "example.com/poke": "1" } } });
    await waitForObject(kube, Resources.RemediationTask, ns, "mttr", (o) => st(o).state === "RESOLVED");
    await waitFor("MTTR observed", async () => ((await count()) === 1 ? true : undefined), 10_000, 100);
    await kube.mergePatch(Resources.RemediationTask, ns, "mttr", { metadata: { annotations: { "example.com/poke": "2" } } });
    await new Promise((r) => setTimeout(r, 1000));
    expect(await count()).toBe(1);
    await expect(transition(db, ns, "mttr", "RESOLVED", { to: "OPEN", reason: "no" }, "test", () => [])).rejects.toThrow("cannot go from RESOLVED to OPEN");
  }, 60_000);
});

describe("tenant isolation", () => {
  it("a task names only its own namespace's Integrations; an Integration reads only its own namespace's Secret", async () => {
    // `jira-b` exists only in the other namespace.
    await jiraIntegration(other, "jira-b", jiraOther.baseUrl, "jira-b-creds");
    await kube.create(Resources.RemediationTask, {
      metadata: { name: "cross-integration", namespace: ns },
      spec: { title: "cross", artifact: { image: IMAGE }, clusterKey: "x|1", vulnerabilityIds: ["CVE-2020-0002"], severity: "LOW", integrationRefs: [{ name: "jira-b" }] },
    });
    const t = await waitForObject(kube, Resources.RemediationTask, ns, "cross-integration", (o) => readyCondition(o)?.status === "False");
    expect(readyCondition(t)).toMatchObject({ reason: "IntegrationNotFound" });
    expect(readyCondition(t)!.message).toContain(`not found in namespace ${ns}`);

    // An Integration in this namespace whose Secret exists only in the other one.
    await kube.create(Resources.Secret, { metadata: { name: "only-there", namespace: other }, stringData: { username: JIRA_BOT.email!, token: JIRA_BOT.token } });
    await kube.create(Resources.Integration, {
      metadata: { name: "jira-secretless", namespace: ns },
      spec: { type: "jira", url: jiraOther.baseUrl, jira: { projectKey: "SEC" }, credentialsSecretRef: { name: "only-there" }, network: { allowPrivateAddresses: true } },
    });
    await kube.create(Resources.RemediationTask, {
      metadata: { name: "cross-secret", namespace: ns },
      spec: { title: "cross secret", artifact: { image: IMAGE }, clusterKey: "x|2", vulnerabilityIds: ["CVE-2020-0003"], severity: "LOW", integrationRefs: [{ name: "jira-secretless" }] },
    });
    const s = await waitForObject(kube, Resources.RemediationTask, ns, "cross-secret", (o) => !!ticketOf(o, "jira-secretless")?.lastError, 30_000);
    expect(ticketOf(s, "jira-secretless")!.lastError).toContain(`Secret only-there not found in namespace ${ns}`);
    expect(jiraOther.requests()).toBe(0);
    const rows = await db.query("SELECT DISTINCT namespace FROM outbox WHERE namespace = $1 OR namespace = $2", [ns, other]);
    expect(rows.rows).toEqual([{ namespace: ns }]);
  }, 60_000);
});
