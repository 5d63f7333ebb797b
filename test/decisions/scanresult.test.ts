// The ScanResult controller on the real control plane + PostgreSQL: decision from an inline Trivy
// report under a namespace PolicyGate, a RiskException that lifts the block until it expires (the
// controller's own requeue re-decides at expiry), a malformed report, and the stored rows.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import pg from "pg";
import type { KubeClient } from "../../operator/kube/client.js";
import { Resources, type KubeObject } from "../../operator/kube/port.js";
import type { RunningOperator } from "../../operator/main.js";
import { adminClient, createNamespace, harnessEnv, readyCondition, waitForObject } from "../harness/env.js";
import { operatorConfig, runOperatorInProcess } from "../harness/operator.js";
import { LOG4SHELL, SPRING4SHELL, trivyReport as buildTrivy } from "../support/reports.js";

let kube: KubeClient;
let ns: string;
let op: RunningOperator;
let db: pg.Pool;

beforeAll(async () => {
  kube = await adminClient();
  ns = await createNamespace(kube, "decisions");
  op = await runOperatorInProcess(await operatorConfig({ watchNamespace: ns }));
  db = new pg.Pool({ connectionString: harnessEnv().databaseUrl, max: 2 });
});
afterAll(async () => {
  await op?.stop();
  await db?.end();
  await kube.delete(Resources.Namespace, undefined, ns);
  kube.close();
});

const IMAGE = "ghcr.io/acme/api:1.4.2";
const trivyReport = buildTrivy(IMAGE, [LOG4SHELL, SPRING4SHELL]);

type Status = {
  reportDigest?: string;
  format?: string;
  summary?: { raw: number; unique: number; bySeverity: Record<string, number> };
  decision?: { outcome: string; gates: { name: string; outcome: string; reasons: string[] }[]; exceptionsApplied?: string[] };
};
const st = (o: KubeObject) => (o.status ?? {}) as Status;
const outcomeIs = (outcome: string) => (o: KubeObject) => st(o).decision?.outcome === outcome && readyCondition(o)?.status === "True";

describe("ScanResult decisions", () => {
  it("BLOCKs a CRITICAL under an enforce gate, ALLOWs under a RiskException, and BLOCKs again at its expiry with no other change", async () => {
    await kube.create(Resources.PolicyGate, {
      metadata: { name: "no-criticals", namespace: ns },
      spec: { mode: "enforce", blockRules: [{ name: "critical", minSeverity: "CRITICAL" }] },
    });
    await kube.create(Resources.ScanResult, {
      metadata: { name: "api", namespace: ns },
      spec: { artifact: { image: IMAGE }, scanner: { name: "trivy" }, report: { inline: trivyReport } },
    });
    const blocked = await waitForObject(kube, Resources.ScanResult, ns, "api", outcomeIs("BLOCK"));
    const s = st(blocked);
    expect(s.format).toBe("trivy");
    expect(s.reportDigest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(s.summary).toMatchObject({ raw: 2, unique: 2 });
    expect(s.summary!.bySeverity.CRITICAL).toBe(1);
    const gate = s.decision!.gates.find((g) => g.name === "no-criticals");
    expect(gate).toMatchObject({ outcome: "BLOCK" });
    expect(gate!.reasons.join("\n")).toContain("CVE-2021-44228");

    // Stored report and findings.
    const reports = await db.query<{ format: string; size_bytes: string }>("SELECT format, size_bytes FROM reports WHERE namespace = $1 AND digest = $2", [ns, s.reportDigest]);
    expect(reports.rows).toEqual([{ format: "trivy", size_bytes: String(Buffer.byteLength(trivyReport)) }]);
    const findings = await db.query<{ vulnerability_id: string; severity: string; report_digest: string }>(
      "SELECT vulnerability_id, severity, report_digest FROM scan_findings WHERE namespace = $1 AND scan_result = 'api' ORDER BY vulnerability_id",
      [ns],
    );
    expect(findings.rows).toEqual([
      { vulnerability_id: "CVE-2021-44228", severity: "CRITICAL", report_digest: s.reportDigest },
      { vulnerability_id: "CVE-2022-22965", severity: "MEDIUM", report_digest: s.reportDigest },
    ]);

    // An exception expiring in ~6 s lifts the block (secondary watch on RiskException).
    const expiresAt = new Date(Date.now() + 6000);
    expiresAt.setMilliseconds(0);
    expiresAt.setSeconds(expiresAt.getSeconds() + 1);
    await kube.create(Resources.RiskException, {
      metadata: { name: "log4j-waiver", namespace: ns },
      spec: { vulnerabilityIds: ["CVE-2021-44228"], expiresAt: expiresAt.toISOString(), approver: "alice", reason: "patched in next release" },
    });
    const allowed = await waitForObject(kube, Resources.ScanResult, ns, "api", (o) => outcomeIs("ALLOW")(o) || outcomeIs("NEEDS_REVIEW")(o), 5000);
    expect(Date.now()).toBeLessThan(expiresAt.getTime());
    expect(st(allowed).decision!.exceptionsApplied).toEqual(["log4j-waiver"]);
    const allowedRv = allowed.metadata.resourceVersion;

    // Past expiry: BLOCK again, by the controller's own requeue (nothing else changes the ScanResult).
    const again = await waitForObject(kube, Resources.ScanResult, ns, "api", outcomeIs("BLOCK"), 15_000);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt.getTime());
    expect(st(again).decision!.exceptionsApplied ?? []).toEqual([]);
    expect(again.metadata.generation).toBe(allowed.metadata.generation);
    expect(again.metadata.resourceVersion).not.toBe(allowedRv);
  }, 40_000);

  it("a new report replaces the ScanResult's findings and keeps first_seen of findings seen before", async () => {
    const before = await db.query<{ cluster_key: string; first_seen: Date }>(
      "SELECT cluster_key, first_seen FROM scan_findings WHERE namespace = $1 AND scan_result = 'api' AND vulnerability_id = 'CVE-2021-44228'",
      [ns],
    );
    expect(before.rows).toHaveLength(1);
    const cur = await kube.get<KubeObject>(Resources.ScanResult, ns, "api");
    const report = JSON.parse(trivyReport) as { Results: { Vulnerabilities: unknown[] }[] };
    report.Results[0]!.Vulnerabilities = [report.Results[0]!.Vulnerabilities[0]!]; // the MEDIUM is fixed
    const text = JSON.stringify(report);
    await kube.replace(Resources.ScanResult, { ...cur!, spec: { ...(cur!.spec as object), report: { inline: text } } });
    const o = await waitForObject(kube, Resources.ScanResult, ns, "api", (x) => st(x).summary?.raw === 1 && readyCondition(x)?.observedGeneration === 2);
    const after = await db.query<{ cluster_key: string; first_seen: Date; last_seen: Date; report_digest: string }>(
      "SELECT cluster_key, first_seen, last_seen, report_digest FROM scan_findings WHERE namespace = $1 AND scan_result = 'api'",
      [ns],
    );
    expect(after.rows).toHaveLength(1);
    expect(after.rows[0]!.cluster_key).toBe(before.rows[0]!.cluster_key);
    expect(after.rows[0]!.first_seen.getTime()).toBe(before.rows[0]!.first_seen.getTime());
    expect(after.rows[0]!.last_seen.getTime()).toBeGreaterThan(before.rows[0]!.first_seen.getTime());
    expect(after.rows[0]!.report_digest).toBe(st(o).reportDigest);
    const reports = await db.query("SELECT digest FROM reports WHERE namespace = $1", [ns]);
    expect(reports.rowCount).toBe(2);
  });

  it("a malformed inline report → Ready=False ReportUnparseable naming the format", async () => {
    await kube.create(Resources.ScanResult, {
      metadata: { name: "broken", namespace: ns },
      spec: { artifact: { image: IMAGE }, format: "trivy", report: { inline: '{"SchemaVersion": 2, "Results": [ {"Target": ' } },
    });
    const o = await waitForObject(kube, Resources.ScanResult, ns, "broken", (x) => readyCondition(x)?.status === "False");
    expect(readyCondition(o)).toMatchObject({ reason: "ReportUnparseable" });
    // Source (the ScanResult), format, problem and place.
    expect(readyCondition(o)!.message).toContain(`ScanResult ${ns}/broken: trivy: `);
    expect(readyCondition(o)!.message).toMatch(/line \d+/);
    expect(st(o).decision).toBeUndefined();
    const rows = await db.query("SELECT 1 FROM scan_findings WHERE namespace = $1 AND scan_result = 'broken'", [ns]);
    expect(rows.rowCount).toBe(0);
  });
});
