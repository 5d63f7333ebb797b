// A 100,000-finding report on the real control plane: `fixops push` stores it in the ledger (it is far
// too big for an object), the ScanResult refers to it by digest, the controller decides, and the
// status stays small. The stored report is visible only to its own namespace; deleting the
// ScanResult takes its findings out of the ledger.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { parse } from "yaml";
import type { KubeClient } from "../../operator/kube/client.js";
import { Resources, type KubeObject } from "../../operator/kube/port.js";
import type { RunningOperator } from "../../operator/main.js";
import { ROOT, adminClient, createNamespace, harnessEnv, readyCondition, waitForObject } from "../harness/env.js";
import { operatorConfig, runOperatorInProcess } from "../harness/operator.js";
import { waitFor } from "../harness/ports.js";
import { writeLargeTrivyReport } from "../support/reports.js";

const N = 100_000;
const IMAGE = "ghcr.io/acme/monolith:7.0.0";
let kube: KubeClient;
let ns: string;
let other: string;
let op: RunningOperator;
let db: pg.Pool;
let dir: string;
let reportFile: string;

beforeAll(async () => {
  kube = await adminClient();
  ns = await createNamespace(kube, "large");
  other = await createNamespace(kube, "large-other");
  op = await runOperatorInProcess(await operatorConfig({ watchNamespace: ns }));
  db = new pg.Pool({ connectionString: harnessEnv().databaseUrl, max: 2 });
  dir = mkdtempSync(join(tmpdir(), "fixops-large-"));
  reportFile = join(dir, "trivy.json");
  await writeLargeTrivyReport(reportFile, IMAGE, N);
}, 120_000);
afterAll(async () => {
  await op?.stop();
  await db?.end();
  await kube.delete(Resources.Namespace, undefined, ns);
  await kube.delete(Resources.Namespace, undefined, other);
  kube.close();
  rmSync(dir, { recursive: true, force: true });
});

const push = (namespace: string) =>
  spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "cli", "main.ts"), "push", "--report", reportFile, "--image", IMAGE, "--namespace", namespace, "--name", "monolith"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: harnessEnv().databaseUrl },
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });

describe("a 100k-finding report", () => {
  it("is pushed to the ledger, decided, and summarised in a status under 64 KiB", async () => {
    expect(statSync(reportFile).size).toBeGreaterThan(5 * 1024 * 1024);
    const r = push(ns);
    expect(r.stderr).toMatch(new RegExp(`stored .*trivy\\.json \\(\\d+ bytes, ${N} findings\\) as sha256:[0-9a-f]{64} in namespace ${ns}`));
    expect(r.status).toBe(0);
    const obj = parse(r.stdout) as KubeObject & { spec: { report: { storedRef: { digest: string } } } };
    expect(obj.metadata).toEqual({ name: "monolith", namespace: ns });
    await kube.create(Resources.ScanResult, obj);

    const done = await waitForObject(kube, Resources.ScanResult, ns, "monolith", (o) => readyCondition(o)?.status === "True", 150_000);
    const status = done.status as { reportDigest: string; summary: { raw: number; unique: number }; decision: { outcome: string; topFindings: unknown[]; gates: { reasons: string[] }[] } };
    expect(status.reportDigest).toBe(obj.spec.report.storedRef.digest);
    expect(status.summary).toMatchObject({ raw: N, unique: N });
    expect(status.decision.outcome).toBe("BLOCK");
    expect(status.decision.topFindings).toHaveLength(10);
    const bytes = Buffer.byteLength(JSON.stringify(done.status));
    expect(bytes).toBeLessThan(64 * 1024);
    const rows = await db.query<{ n: string }>("SELECT count(*) AS n FROM scan_findings WHERE namespace = $1 AND scan_result = 'monolith'", [ns]);
    expect(Number(rows.rows[0]!.n)).toBe(N);

    // Another namespace cannot read this namespace's stored report by naming its digest.
    await kube.create(Resources.ScanResult, { ...obj, metadata: { name: "monolith", namespace: other } });
    const op2 = await runOperatorInProcess(await operatorConfig({ watchNamespace: other }));
    try {
      const refused = await waitForObject(kube, Resources.ScanResult, other, "monolith", (o) => readyCondition(o)?.status === "False", 30_000);
      expect(readyCondition(refused)).toMatchObject({ reason: "ReportNotFound", message: `no report ${obj.spec.report.storedRef.digest} is stored for namespace ${other} (store it with \`fixops push --namespace ${other}\`)` });
    } finally {
      await op2.stop();
    }

    // Deleting the ScanResult takes its findings out of the ledger, with an audit record.
    await kube.delete(Resources.ScanResult, ns, "monolith");
    await waitFor("findings deleted", async () => {
      const left = await db.query<{ n: string }>("SELECT count(*) AS n FROM scan_findings WHERE namespace = $1 AND scan_result = 'monolith'", [ns]);
      return left.rows[0]!.n === "0" ? true : undefined;
    }, 30_000);
    const audit = await db.query<{ details: { findings: number } }>("SELECT details FROM audit_events WHERE namespace = $1 AND kind = 'ScanResult' AND name = 'monolith' AND action = 'findings-deleted'", [ns]);
    expect(audit.rows).toEqual([{ details: { findings: N } }]);
  }, 300_000);

  it("fixops push refuses a broken report, naming the file and the format", async () => {
    const broken = join(dir, "broken.json");
    writeFileSync(broken, '{"SchemaVersion": 2, "Results": [');
    const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "cli", "main.ts"), "push", "--report", broken, "--image", IMAGE, "--namespace", ns], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: harnessEnv().databaseUrl },
      encoding: "utf8",
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/broken\.json.*trivy|trivy.*broken\.json/i);
  });
});
