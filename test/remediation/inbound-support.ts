// Shared setup for the inbound-webhook tests on the real control plane + PostgreSQL: a namespace, an
// in-process operator with its HTTPS webhook server on a loopback port (the CA to trust it), a ledger
// reader, and the gate → ScanResult → RemediationTask steps that put tasks in ASSIGNED with a ticket.
import https from "node:https";
import pg from "pg";
import type { OperatorConfig } from "../../operator/config.js";
import type { KubeClient } from "../../operator/kube/client.js";
import { Resources, type KubeObject } from "../../operator/kube/port.js";
import type { RunningOperator } from "../../operator/main.js";
import { adminClient, createNamespace, harnessEnv, suffix, waitForObject } from "../harness/env.js";
import { operatorConfig, runOperatorInProcess, webhookOverrides } from "../harness/operator.js";
import { waitFor } from "../harness/ports.js";

export const IMAGE = "ghcr.io/acme/billing:2.0.1";
export const vuln = (id: string, pkg: string, severity: string) => ({ VulnerabilityID: id, PkgName: pkg, InstalledVersion: "1.0.0", FixedVersion: "1.0.1", Severity: severity });
export const report = (vulns: object[]) => JSON.stringify({ SchemaVersion: 2, ArtifactName: IMAGE, ArtifactType: "container_image", Results: [{ Target: "app", Class: "lang-pkgs", Type: "jar", Vulnerabilities: vulns }] });
export const LOG4J = vuln("CVE-2021-44228", "log4j-core", "CRITICAL");
export const SPRING = vuln("CVE-2022-22965", "spring-beans", "CRITICAL");
export const NETTY = vuln("CVE-2024-2222", "netty", "MEDIUM");

export type TaskStatus = { state?: string; tickets?: { integration: string; key?: string; state?: string }[]; transitions?: { to: string; reason: string; actor?: string }[] };
export const st = (o: KubeObject) => (o.status ?? {}) as TaskStatus;
export const ticketKey = (o: KubeObject, integration: string) => st(o).tickets?.find((t) => t.integration === integration)?.key;

export interface InboundEnv {
  kube: KubeClient;
  ns: string;
  op: RunningOperator;
  config: OperatorConfig;
  db: pg.Pool;
  /** PEM of the CA that signed the webhook server's certificate. */
  ca: string;
  /** `https://127.0.0.1:<port>/hooks/<ns>/<integration>`. */
  hookUrl(integration: string, namespace?: string): string;
}

/** A fresh namespace and an operator watching it, with its webhook server on a free loopback port. */
export async function startInboundEnv(prefix: string): Promise<InboundEnv> {
  const kube = await adminClient();
  const ns = await createNamespace(kube, prefix);
  const db = new pg.Pool({ connectionString: harnessEnv().databaseUrl, max: 2 });
  // The admission webhooks apply only to labelled namespaces (none here).
  const config = await operatorConfig({ watchNamespace: ns, ...(await webhookOverrides(`fixops-inbound-test=${suffix()}`)) });
  const op = await runOperatorInProcess(config);
  const tls = await kube.get<KubeObject & { data: Record<string, string> }>(Resources.Secret, ns, config.webhookCertSecret);
  const ca = Buffer.from(tls!.data["ca.crt"]!, "base64").toString("utf8");
  return { kube, ns, op, config, db, ca, hookUrl: (integration, namespace = ns) => `${op.admission!.url()}/hooks/${namespace}/${integration}` };
}

export async function stopInboundEnv(env: InboundEnv | undefined, ...standIns: ({ close(): Promise<void> } | undefined)[]): Promise<void> {
  await env?.op.stop();
  await env?.db.end();
  for (const s of standIns) await s?.close();
  await env?.kube.delete(Resources.Namespace, undefined, env.ns);
  env?.kube.close();
}

/** A POST to the operator's HTTPS server, trusting its CA; node:https, independent of the stand-ins' sender. */
export function postHook(env: Pick<InboundEnv, "ca">, url: string, headers: Record<string, string>, body: Buffer | string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: "POST", ca: env.ca, headers: { "content-type": "application/json", ...headers, "content-length": String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Everything a webhook could change in the namespace's ledger. */
export async function ledger(env: Pick<InboundEnv, "db" | "ns">) {
  const q = async (sql: string) => (await env.db.query(sql, [env.ns])).rows;
  return {
    tasks: await q("SELECT name, state FROM remediation_tasks WHERE namespace = $1 ORDER BY name"),
    links: await q("SELECT task, state, category FROM ticket_links WHERE namespace = $1 ORDER BY task"),
    outbox: await q("SELECT id, operation, payload FROM outbox WHERE namespace = $1 ORDER BY id"),
    audit: await q("SELECT count(*)::int AS n FROM audit_events WHERE namespace = $1"),
  };
}

export async function inboundDeliveryCount(env: Pick<InboundEnv, "db" | "ns">): Promise<number> {
  return (await env.db.query("SELECT count(*)::int AS n FROM inbound_deliveries WHERE namespace = $1", [env.ns])).rows[0].n as number;
}

/** The processed outcome(s) of the deliveries about one ticket, oldest first, once all are processed. */
export async function deliveryOutcomes(env: Pick<InboundEnv, "db" | "ns">, integration: string, ticketRef: string, where = "true"): Promise<{ outcome: string; self_inflicted: boolean; event_type: string }[]> {
  return waitFor(
    `deliveries of ${integration} ${ticketRef} processed`,
    async () => {
      const r = await env.db.query<{ outcome: string | null; self_inflicted: boolean; event_type: string }>(
        `SELECT outcome, self_inflicted, event->>'eventType' AS event_type FROM inbound_deliveries
          WHERE namespace = $1 AND integration = $2 AND ticket_ref = $3 AND ${where} ORDER BY received_at`,
        [env.ns, integration, ticketRef],
      );
      return r.rows.length && r.rows.every((x) => x.outcome !== null) ? (r.rows as { outcome: string; self_inflicted: boolean; event_type: string }[]) : undefined;
    },
    20_000,
    100,
  );
}

export const taskState = (env: Pick<InboundEnv, "kube" | "ns">, name: string, state: string, timeoutMs = 30_000) =>
  waitForObject(env.kube, Resources.RemediationTask, env.ns, name, (o) => st(o).state === state, timeoutMs);

/** Replaces the report of ScanResult `billing` (a newer scan of the same image). */
export async function rescan(env: Pick<InboundEnv, "kube" | "ns">, vulns: object[]): Promise<void> {
  const sr = await env.kube.get<KubeObject>(Resources.ScanResult, env.ns, "billing");
  await env.kube.replace(Resources.ScanResult, { ...sr!, spec: { ...(sr!.spec as object), report: { inline: report(vulns) } } });
}

/** A task and its ticket: `key` as shown in the task's status (acme/api#2), `ref` as the ALM's API and webhooks name it (2). */
export type TicketedTask = { name: string; key: string; ref: string };

/**
 * A PolicyGate ticketing criticals in `integration` and ScanResult `billing` with two criticals and one
 * medium: two tasks, each ASSIGNED with a ticket. Returns them by finding, with their tickets.
 */
export async function gateAndTwoTasks(env: Pick<InboundEnv, "kube" | "ns" | "db">, integration: string): Promise<Record<"log4j" | "spring", TicketedTask>> {
  const { kube, ns } = env;
  await kube.create(Resources.PolicyGate, {
    metadata: { name: "criticals", namespace: ns },
    spec: { mode: "audit", blockRules: [{ name: "critical", minSeverity: "CRITICAL" }], remediation: { integrationRefs: [{ name: integration }] } },
  });
  await kube.create(Resources.ScanResult, { metadata: { name: "billing", namespace: ns }, spec: { artifact: { image: IMAGE }, scanner: { name: "trivy" }, report: { inline: report([LOG4J, SPRING, NETTY]) } } });
  const list = await waitFor(
    "two tasks",
    async () => {
      const t = await kube.list<KubeObject>(Resources.RemediationTask, ns);
      return t.length === 2 ? t : undefined;
    },
    30_000,
    200,
  );
  const tasks = { log4j: { name: "", key: "", ref: "" }, spring: { name: "", key: "", ref: "" } };
  for (const t of list) {
    const ready = await waitForObject(kube, Resources.RemediationTask, ns, t.metadata.name, (o) => st(o).state === "ASSIGNED" && !!ticketKey(o, integration));
    const which = (t.spec as { vulnerabilityIds: string[] }).vulnerabilityIds.includes("CVE-2021-44228") ? "log4j" : "spring";
    const link = await env.db.query<{ ticket_ref: string }>("SELECT ticket_ref FROM ticket_links WHERE namespace = $1 AND task = $2 AND integration = $3", [ns, t.metadata.name, integration]);
    tasks[which] = { name: t.metadata.name, key: ticketKey(ready, integration)!, ref: link.rows[0]!.ticket_ref };
  }
  return tasks;
}
