// `fixops push`: store a report too big for an object in the FixOps ledger (PostgreSQL), compressed
// and addressed by its digest in the tenant's namespace, and write the ScanResult that points at it
// (spec.report.storedRef) to stdout. The report is parsed first: a broken one is refused here.
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { Command, Option } from "commander";
import pg from "pg";
import { stringify } from "yaml";
import { ReportFormat } from "../api/v1alpha1/index.js";
import { ReportParseError, parseReport } from "../engine/index.js";
import { openReportFile, readInput } from "./evaluate.js";
import { scanResultFor } from "./import.js";

interface PushOptions {
  report: string;
  image: string;
  namespace: string;
  name?: string;
  format?: ReportFormat;
  databaseUrl?: string;
}

export function registerPush(program: Command): void {
  program
    .command("push")
    .description("Store a report in the FixOps ledger and write a ScanResult that refers to it (for reports too big to inline)")
    .requiredOption("--report <file>", "scanner report (Trivy, Grype, SARIF, CycloneDX, SPDX or OpenVEX JSON)")
    .requiredOption("--image <ref>", "the image the report is about")
    .requiredOption("--namespace <ns>", "namespace of the ScanResult (a stored report is only visible to its own namespace)")
    .option("--name <name>", "ScanResult name (default: derived from the image)")
    .option("--database-url <url>", "the operator's PostgreSQL; env DATABASE_URL")
    .addOption(new Option("--format <format>", "read the report as this format instead of detecting it").choices(ReportFormat.options))
    .action(async (opts: PushOptions) => {
      process.stdout.write(await pushReport(opts));
    });
}

export async function pushReport(opts: PushOptions): Promise<string> {
  const url = opts.databaseUrl ?? process.env.DATABASE_URL;
  if (!url) throw new Error("no database: pass --database-url or set DATABASE_URL to the operator's PostgreSQL");
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(opts.namespace)) throw new Error(`--namespace ${JSON.stringify(opts.namespace)} is not a valid namespace name`);
  // Parse from the file (streamed), then read the bytes once for the digest and the compressed copy.
  const f = openReportFile(opts.report);
  let report;
  try {
    report = parseReport(f.source, { source: opts.report, artifact: { image: opts.image }, ...(opts.format ? { format: opts.format } : {}) });
  } catch (err) {
    if (err instanceof ReportParseError) throw new Error(err.message);
    throw err;
  } finally {
    f.close();
  }
  const bytes = readInput(opts.report, "report");
  const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  const obj = scanResultFor(opts, report, { storedRef: { digest } });
  const pool = new pg.Pool({ connectionString: url, max: 1, application_name: "fixops-push" });
  try {
    await pool.query(
      "INSERT INTO reports (namespace, digest, format, size_bytes, body_gzip) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (namespace, digest) DO NOTHING",
      [opts.namespace, digest, report.format, bytes.length, gzipSync(bytes)],
    );
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "42P01") throw new Error("the database has no FixOps schema yet: run `fixops migrate` (or start the operator) first");
    throw new Error(`cannot store the report: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await pool.end();
  }
  process.stderr.write(`stored ${opts.report} (${bytes.length} bytes, ${report.findings.length} findings) as ${digest} in namespace ${opts.namespace}\n`);
  return stringify({ ...obj, metadata: { ...obj.metadata, namespace: opts.namespace } }, { lineWidth: 0 });
}
