// The I/O shell of the ScanResult controller: read the report, store it and its findings, analyse
// (cached per object and digest), then decide (pure) and write status.
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import type { ScanResultResource } from "../../api/v1alpha1/index.js";
import { ReportParseError, analyseReports, parseReport, type Analysis } from "../../engine/index.js";
import type { KubeObject } from "../../operator/kube/port.js";
import { Resources } from "../../operator/kube/port.js";
import { inTransaction } from "../../store/pool.js";
import type { ControllerDeps } from "../shared/deps.js";
import { createRemediationTasks } from "../../remediation/create.js";
import { reconcileWithPlan } from "../shared/reconcile-status.js";
import { planScanResult, type Analysed, type Failure, type ScanResultPlan } from "./decide.js";
import { taskRefs } from "../../remediation/escalation.js";
import { ledgerReports, readReportSource } from "./report-source.js";
import { validateScanResult } from "./validate.js";

/** Bounded LRU of analyses by `namespace/name@digest`. */
export class AnalysisCache {
  private readonly map = new Map<string, Analysed>();
  constructor(private readonly max = 64) {}
  get(key: string): Analysed | undefined {
    const v = this.map.get(key);
    if (v) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: string, v: Analysed): void {
    this.map.delete(key);
    this.map.set(key, v);
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
  get size(): number {
    return this.map.size;
  }
}

export const digestOf = (b: Uint8Array): string => `sha256:${createHash("sha256").update(b).digest("hex")}`;


/** Store the report (content-addressed) and replace the ScanResult's findings, keeping first_seen. */
export async function storeReport(pool: ControllerDeps["pool"], namespace: string, name: string, a: Analysed, bytes: Buffer, now: Date): Promise<void> {
  await inTransaction(pool, async (c) => {
    await c.query(
      "INSERT INTO reports (namespace, digest, format, size_bytes, body_gzip) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
      [namespace, a.digest, a.format, bytes.length, gzipSync(bytes)],
    );
    const prev = await c.query<{ cluster_key: string; first_seen: Date }>(
      "SELECT cluster_key, first_seen FROM scan_findings WHERE namespace = $1 AND scan_result = $2",
      [namespace, name],
    );
    const firstSeen = new Map(prev.rows.map((r) => [r.cluster_key, r.first_seen]));
    await c.query("DELETE FROM scan_findings WHERE namespace = $1 AND scan_result = $2", [namespace, name]);
    const rows = a.analysis.scored;
    const BATCH = 500;
    for (let i = 0; i < rows.length; i += BATCH) {
      const chunk = rows.slice(i, i + BATCH);
      const values: unknown[] = [];
      for (const sf of chunk) {
        const f = sf.cluster.finding;
        values.push(
          namespace,
          name,
          a.digest,
          sf.cluster.key,
          f.id,
          sf.cluster.ids.filter((x) => x !== f.id),
          f.package?.name ?? null,
          f.package?.version ?? null,
          f.package?.purl ?? null,
          f.severity,
          f.fixedVersion ?? null,
          [...sf.cluster.foundBy],
          sf.risk.score,
          JSON.stringify({ kind: f.kind, title: f.title, locations: sf.cluster.locations, members: sf.cluster.members }),
          firstSeen.get(sf.cluster.key) ?? now,
        );
      }
      // Explicit column list; last_seen = now for every row.
      const placeholders = chunk.map((_, j) => `(${Array.from({ length: 15 }, (_, k) => `$${j * 15 + k + 1}`).join(", ")}, $${chunk.length * 15 + 1})`);
      await c.query(
        `INSERT INTO scan_findings (namespace, scan_result, report_digest, cluster_key, vulnerability_id, aliases, package_name, package_version, purl,
           severity, fixed_version, found_by, risk_score, data, first_seen, last_seen) VALUES ${placeholders.join(", ")}`,
        [...values, now],
      );
    }
  });
}

export interface ScanResultReconcilerState {
  cache: AnalysisCache;
}

/** Read + parse + analyse + store, or the reason it could not. */
export async function analyseScanResult(
  deps: Pick<ControllerDeps, "kube" | "pool" | "feeds">,
  obj: ScanResultResource,
  now: Date,
  cache: AnalysisCache,
): Promise<Analysed | Failure> {
  const namespace = obj.metadata.namespace ?? "";
  const name = obj.metadata.name;
  const v = validateScanResult(obj.spec);
  if (!v.ok) return { reason: "InvalidSpec", message: v.message };
  const read = await readReportSource(deps.kube, ledgerReports(deps.pool), namespace, v.source);
  if (!read.ok) return { reason: read.reason, message: read.message };
  const digest = digestOf(read.bytes);
  // The generation is part of the key: format, artifact or scannedAt can change with the same bytes;
  // so are the feed versions: a new EPSS or KEV snapshot re-scores every finding.
  const feeds = deps.feeds.current();
  const key = `${namespace}/${name}@${digest}#${obj.metadata.generation ?? 0}|${feeds.epss?.version ?? "-"}|${feeds.kev?.version ?? "-"}`;
  const hit = cache.get(key);
  if (hit) return hit;
  // Finding age (minAge rules) counts from when this ScanResult first reported the finding.
  const seen = await deps.pool.query<{ cluster_key: string; first_seen: Date }>(
    "SELECT cluster_key, first_seen FROM scan_findings WHERE namespace = $1 AND scan_result = $2",
    [namespace, name],
  );
  const firstSeen = new Map(seen.rows.map((r) => [r.cluster_key, r.first_seen.toISOString()]));
  let analysis: Analysis;
  let format: Analysed["format"];
  try {
    const report = parseReport(read.bytes, {
      ...(v.spec.format ? { format: v.spec.format } : {}),
      source: `ScanResult ${namespace}/${name}`,
      artifact: v.spec.artifact,
    });
    format = report.format as Analysed["format"];
    analysis = analyseReports([report], {
      feeds,
      asOf: now,
      firstSeen: (k) => firstSeen.get(k),
      image: v.spec.artifact.image,
      ...(v.spec.artifact.digest ? { digest: v.spec.artifact.digest } : {}),
      ...(v.spec.scannedAt ? { scannedAt: v.spec.scannedAt } : {}),
    });
  } catch (err) {
    if (err instanceof ReportParseError) return { reason: "ReportUnparseable", message: err.message };
    throw err;
  }
  const a: Analysed = { digest, format, analysis };
  await storeReport(deps.pool, namespace, name, a, read.bytes, now);
  cache.set(key, a);
  return a;
}

/**
 * A deleted ScanResult's findings leave the ledger (an audit event records how many). The raw report
 * stays: it is content-addressed evidence that other ScanResults or an auditor may still refer to.
 */
export async function forgetScanResult(pool: ControllerDeps["pool"], namespace: string, name: string): Promise<number> {
  return inTransaction(pool, async (c) => {
    const r = await c.query("DELETE FROM scan_findings WHERE namespace = $1 AND scan_result = $2", [namespace, name]);
    const n = r.rowCount ?? 0;
    if (n > 0) {
      await c.query("INSERT INTO audit_events (namespace, kind, name, action, details) VALUES ($1, 'ScanResult', $2, 'findings-deleted', $3)", [namespace, name, JSON.stringify({ findings: n })]);
    }
    return n;
  });
}

export function reconcileScanResult(deps: ControllerDeps, cache: AnalysisCache, key: string) {
  return reconcileWithPlan<ScanResultResource & KubeObject, ScanResultPlan["status"]>(deps, Resources.ScanResult, key, async (obj, now): Promise<ScanResultPlan> => {
    const input = await analyseScanResult(deps, obj, now, cache);
    const ns = obj.metadata.namespace;
    // Remediation: tasks for the findings gates mark for action (a failure only delays them).
    const retryMs = "analysis" in input ? await createRemediationTasks(deps, obj, input.analysis, now) : undefined;
    const plan = planScanResult(obj, input, deps.informers.policyGates.list(ns), deps.informers.riskExceptions.list(ns), now, taskRefs(deps.informers.remediationTasks.list(ns)));
    return retryMs === undefined ? plan : { ...plan, requeueAfterMs: Math.min(plan.requeueAfterMs ?? retryMs, retryMs) };
  }, async (namespace, name) => {
    const n = await forgetScanResult(deps.pool, namespace, name);
    if (n > 0) deps.log.info({ scanResult: `${namespace}/${name}`, findings: n }, "ScanResult deleted: its findings left the ledger");
  });
}
