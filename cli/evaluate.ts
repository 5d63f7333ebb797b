// `fixops evaluate`: the decision the operator would make, offline — for CI pipelines. Same engine,
// same path (parse → correlate → score → assess → evaluateGates) as the ScanResult controller.
// Exit codes: 0 ALLOW, 2 NEEDS_REVIEW, 3 BLOCK, 1 any error (message on stderr, nothing on stdout).
import { closeSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import { Command, Option } from "commander";
import { parseAllDocuments } from "yaml";
import type { z } from "zod";
import { API_VERSION, PolicyGateSpec, ReportFormat, RiskExceptionSpec, type Outcome } from "../api/v1alpha1/index.js";
import { ruleProblems } from "../controllers/policygate/decide.js";
import {
  DEFAULT_GATE,
  FeedParseError,
  ReportParseError,
  SEVERITIES,
  analyseReports,
  checkImageGlob,
  earliestTimestamp,
  evaluateGates,
  decodeFeed,
  parseReport,
  type Analysis,
  type ByteSource,
  type Decision,
  type EpssSnapshot,
  type ExceptionInput,
  type FeedSnapshots,
  type FeedName,
  type GateInput,
  type KevSnapshot,
  type ParsedReport,
} from "../engine/index.js";

export const EXIT_CODES: Readonly<Record<Outcome, number>> = { ALLOW: 0, NEEDS_REVIEW: 2, BLOCK: 3 };

interface EvaluateOptions {
  report: string[];
  format?: ReportFormat;
  image?: string;
  gate: string[];
  exception: string[];
  epss?: string;
  kev?: string;
  output: "json" | "table";
  namespace?: string;
  now?: string;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function registerEvaluate(program: Command): void {
  program
    .command("evaluate")
    .description("Decide ALLOW / NEEDS_REVIEW / BLOCK for a scanner report, offline (exit 0 ALLOW, 2 NEEDS_REVIEW, 3 BLOCK, 1 error)")
    // No default: an evaluation without a report must fail, not ALLOW.
    .requiredOption("--report <file>", "scanner report: Trivy, Grype, SARIF, CycloneDX, SPDX or OpenVEX JSON (repeat to combine scanners and VEX documents)", collect)
    .addOption(new Option("--format <format>", "read every report as this format instead of detecting it").choices(ReportFormat.options))
    .option("--image <ref>", "the image the report is about (gate selectors and exceptions match it); default: the image the report names")
    .option("--gate <file>", "PolicyGate YAML (repeatable; a file may hold several documents); default: the built-in gate", collect, [])
    .option("--exception <file>", "RiskException YAML (repeatable; a file may hold several documents)", collect, [])
    .option("--epss <file>", "EPSS scores CSV (plain or gzip) as published by FIRST")
    .option("--kev <file>", "CISA Known Exploited Vulnerabilities catalog JSON")
    .addOption(new Option("-o, --output <format>", "output format").choices(["json", "table"]).default("table"))
    .option("--namespace <ns>", "decide as for a ScanResult in this namespace: gates and exceptions of other namespaces do not apply")
    .option("--now <time>", "evaluate as of this RFC 3339 instant instead of the current time (reproducible runs)")
    .action((opts: EvaluateOptions) => {
      const result = runEvaluate(opts);
      // One write, after everything succeeded: a failure never leaves half an answer on stdout.
      process.stdout.write(result.text);
      process.exitCode = EXIT_CODES[result.decision.outcome];
    });
}

export interface EvaluateResult {
  readonly decision: Decision;
  readonly analysis: Analysis;
  readonly text: string;
}

export function runEvaluate(opts: EvaluateOptions): EvaluateResult {
  const now = opts.now !== undefined ? parseInstant(opts.now) : new Date();
  const gates = opts.gate.length ? opts.gate.flatMap(loadGates) : [DEFAULT_GATE];
  const exceptions = opts.exception.flatMap(loadExceptions);
  const feeds: FeedSnapshots = {
    ...(opts.epss ? { epss: loadFeed(opts.epss, "epss") } : {}),
    ...(opts.kev ? { kev: loadFeed(opts.kev, "kev") } : {}),
  };
  const reports = opts.report.map((file) => loadReport(file, opts.format, opts.image));
  // VEX documents only say what does not apply; without a scanner report there is nothing to decide.
  if (reports.every((r) => r.report.format === "openvex")) throw new Error(`${opts.report.join(", ")}: only OpenVEX documents given; add the scanner report they apply to (--report)`);
  const analysis = analyseReports(reports.map((r) => r.report), {
    feeds,
    asOf: now,
    ...(opts.image ? { image: opts.image } : {}),
    // The report's own scan time, else the file's modification time (when the scanner wrote it);
    // with several reports the oldest, so that maxScanAge is judged by the stalest input.
    scannedAt: earliestTimestamp(reports.map((r) => r.scannedAt))!,
  });
  const image = analysis.assessment.image;
  const decision = evaluateGates(analysis.assessment, gates, exceptions, { now, ...(image ? { image } : {}), ...(opts.namespace ? { namespace: opts.namespace } : {}) });
  const text = opts.output === "json" ? `${JSON.stringify(toJson(decision, analysis, reports.map((r) => r.report)), null, 2)}\n` : toTable(decision, analysis, reports.map((r) => r.report));
  return { decision, analysis, text };
}

function parseInstant(s: string): Date {
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new Error(`--now ${JSON.stringify(s)} is not an RFC 3339 date-time`);
  return new Date(t);
}

// ---- Inputs ------------------------------------------------------------------------------------

/** "cannot read <what> <file>: <why>", in words rather than an errno. */
function cannotRead(err: unknown, what: string, file: string): Error {
  const code = (err as NodeJS.ErrnoException).code;
  const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : code === "EACCES" ? "permission denied" : err instanceof Error ? err.message : String(err);
  return new Error(`cannot read ${what} ${file}: ${why}`);
}

/** Reads a file, naming it (and what it was for) when it cannot be read. */
export function readInput(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw cannotRead(err, what, file);
  }
}

/** A report file as a ByteSource: the engine streams it, so a large report is never read whole. */
export function openReportFile(file: string): { source: ByteSource; mtime: Date; close(): void } {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (err) {
    throw cannotRead(err, "report", file);
  }
  const st = fstatSync(fd);
  if (st.isDirectory()) {
    closeSync(fd);
    throw new Error(`cannot read report ${file}: it is a directory`);
  }
  return {
    source: { size: st.size, read: (into, position, length) => readSync(fd, into, 0, length, position) },
    mtime: st.mtime,
    close: () => closeSync(fd),
  };
}

function loadReport(file: string, format: ReportFormat | undefined, image: string | undefined): { report: ParsedReport; scannedAt: string } {
  const f = openReportFile(file);
  try {
    const report = parseReport(f.source, { source: file, ...(format ? { format } : {}), ...(image ? { artifact: { image } } : {}) });
    return { report, scannedAt: report.scannedAt ?? f.mtime.toISOString() };
  } catch (err) {
    if (err instanceof ReportParseError) throw new Error(err.message);
    throw err;
  } finally {
    f.close();
  }
}

function loadFeed<F extends FeedName>(file: string, feed: F): F extends "epss" ? EpssSnapshot : KevSnapshot {
  const bytes = readInput(file, `${feed.toUpperCase()} feed`);
  try {
    return decodeFeed(feed, bytes) as F extends "epss" ? EpssSnapshot : KevSnapshot;
  } catch (err) {
    if (err instanceof FeedParseError) throw new Error(`${file}: ${err.message}`);
    throw err;
  }
}

interface KubeObject {
  name: string;
  namespace?: string;
  spec: unknown;
  where: string;
}

/** The objects of one kind in a multi-document YAML file (a `kind: List` is unpacked). */
function loadObjects(file: string, kind: "PolicyGate" | "RiskException"): KubeObject[] {
  const text = readInput(file, `${kind} file`).toString("utf8");
  const out: KubeObject[] = [];
  const docs = parseAllDocuments(text, { prettyErrors: true });
  if (!Array.isArray(docs)) throw new Error(`${file}: not a YAML stream`);
  docs.forEach((doc, i) => {
    const where = `${file} (document ${i + 1})`;
    if (doc.errors.length) throw new Error(`${where}: YAML error: ${doc.errors[0]!.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return; // an empty document between two `---`
    const items = isRecord(value) && value.kind === "List" && Array.isArray(value.items) ? value.items : [value];
    items.forEach((item: unknown, j: number) => {
      const at = items.length > 1 || item !== value ? `${where}, item ${j + 1}` : where;
      if (!isRecord(item)) throw new Error(`${at}: expected a ${kind} object, found ${Array.isArray(item) ? "a list" : typeof item}`);
      if (item.kind !== kind) throw new Error(`${at}: expected kind ${kind}, found ${item.kind === undefined ? "no kind" : JSON.stringify(item.kind)}`);
      if (item.apiVersion !== API_VERSION) throw new Error(`${at}: expected apiVersion ${API_VERSION}, found ${JSON.stringify(item.apiVersion ?? null)}`);
      const md = isRecord(item.metadata) ? item.metadata : {};
      if (typeof md.name !== "string" || md.name.length === 0) throw new Error(`${at}: metadata.name is required`);
      out.push({ name: md.name, ...(typeof md.namespace === "string" ? { namespace: md.namespace } : {}), spec: item.spec ?? {}, where: `${at}: ${kind} ${JSON.stringify(md.name)}` });
    });
  });
  if (out.length === 0) throw new Error(`${file}: no ${kind} in this file`);
  return out;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function validSpec<T>(schema: z.ZodType<T>, o: KubeObject): T {
  const r = schema.safeParse(o.spec);
  if (r.success) return r.data;
  const issues = r.error.issues.slice(0, 5).map((i) => `spec.${i.path.join(".")}: ${i.message}`);
  throw new Error(`${o.where}: invalid spec: ${issues.join("; ")}`);
}

function loadGates(file: string): GateInput[] {
  return unique(
    loadObjects(file, "PolicyGate").map((o) => {
      const spec = validSpec(PolicyGateSpec, o);
      // The same checks the PolicyGate controller applies, so a gate the CLI accepts is a valid gate.
      const problems = [...ruleProblems(spec.blockRules, "blockRules"), ...ruleProblems(spec.reviewRules, "reviewRules")];
      for (const g of [...(spec.selector.images ?? []), ...(spec.selector.excludeImages ?? [])]) {
        const p = checkImageGlob(g);
        if (p) problems.push(`selector: image glob ${JSON.stringify(g)}: ${p}`);
      }
      if (problems.length) throw new Error(`${o.where}: ${problems.join("; ")}`);
      return { name: o.name, spec, ...(o.namespace ? { namespace: o.namespace } : {}) };
    }),
    "PolicyGate",
  );
}

function loadExceptions(file: string): ExceptionInput[] {
  return unique(
    loadObjects(file, "RiskException").map((o) => {
      const spec = validSpec(RiskExceptionSpec, o);
      if (!spec.vulnerabilityIds?.length && !spec.images?.length) throw new Error(`${o.where}: spec must name vulnerabilityIds, images, or both (an exception for everything is not allowed)`);
      for (const g of spec.images ?? []) {
        const p = checkImageGlob(g);
        if (p) throw new Error(`${o.where}: spec.images: image glob ${JSON.stringify(g)}: ${p}`);
      }
      return { name: o.name, spec, ...(o.namespace ? { namespace: o.namespace } : {}) };
    }),
    "RiskException",
  );
}

function unique<T extends { name: string; namespace?: string }>(list: T[], kind: string): T[] {
  const seen = new Set<string>();
  for (const o of list) {
    const k = `${o.namespace ?? ""}/${o.name}`;
    if (seen.has(k)) throw new Error(`${kind} ${JSON.stringify(o.name)} is defined twice`);
    seen.add(k);
  }
  return list;
}

// ---- Output ------------------------------------------------------------------------------------

function toJson(d: Decision, a: Analysis, reports: readonly ParsedReport[]) {
  const s = a.assessment.summary;
  return {
    decision: d.outcome,
    riskScore: d.riskScore,
    confidence: d.confidence,
    ...(a.assessment.image ? { image: a.assessment.image } : {}),
    ...(a.assessment.digest ? { digest: a.assessment.digest } : {}),
    ...(a.assessment.scannedAt ? { scannedAt: a.assessment.scannedAt } : {}),
    reports: reports.map((r) => ({ format: r.format, scanner: r.scanner.name, ...(r.scanner.version ? { scannerVersion: r.scanner.version } : {}), findings: r.findings.length, vexStatements: r.vex.length })),
    summary: {
      raw: s.raw,
      unique: s.unique,
      suppressed: s.suppressed,
      noiseReductionPercent: s.noiseReductionPercent,
      bySeverity: s.bySeverity,
      byStrategy: s.byStrategy,
    },
    vulnerabilityIds: a.vulnerabilityIds,
    gates: d.gates.map((g) => ({ name: g.name, mode: g.mode, decision: g.outcome, reasons: g.reasons, matches: g.matches })),
    exceptionsApplied: d.exceptionsApplied,
    suppressedByException: d.suppressedByException,
    ...(d.nextChangeAt ? { nextChangeAt: d.nextChangeAt } : {}),
    feeds: d.feeds,
    topFindings: d.topFindings,
    riskContributions: a.assessment.riskContributions,
    confidenceFactors: d.confidenceFactors,
    correlationGroups: a.correlation.groups,
    decidedAt: d.decidedAt,
  };
}

function toTable(d: Decision, a: Analysis, reports: readonly ParsedReport[]): string {
  const s = a.assessment.summary;
  const lines: string[] = [];
  lines.push(`Decision:   ${d.outcome}    risk ${d.riskScore}/100    confidence ${d.confidence.toFixed(2)}`);
  lines.push(`Image:      ${a.assessment.image ?? "(not named; pass --image)"}${a.assessment.digest ? ` @ ${a.assessment.digest}` : ""}`);
  lines.push(`Reports:    ${reports.map((r) => `${r.format} (${r.scanner.name}${r.scanner.version ? ` ${r.scanner.version}` : ""})`).join(", ")}`);
  lines.push(`Findings:   ${s.raw} raw → ${s.unique} unique, ${s.suppressed} suppressed (${s.noiseReductionPercent}% noise removed)`);
  lines.push(`Severity:   ${SEVERITIES.map((k) => `${k} ${s.bySeverity[k]}`).join("  ")}`);
  lines.push(`Feeds:      EPSS ${d.feeds.epss ?? "none"}, KEV ${d.feeds.kev ?? "none"}`);
  lines.push("");
  if (d.gates.length === 0) lines.push("No gate selects this image: ALLOW.");
  for (const g of d.gates) {
    lines.push(`Gate ${g.name} (${g.mode}): ${g.outcome}`);
    for (const r of g.reasons) lines.push(`  - ${r}`);
  }
  if (d.exceptionsApplied.length) {
    lines.push("");
    for (const e of d.suppressedByException) lines.push(`RiskException ${e.exception} covers ${e.vulnerabilityIds.join(", ")}`);
  }
  if (d.nextChangeAt) lines.push(`This decision can change at ${d.nextChangeAt} without any new input.`);
  if (d.topFindings.length) {
    lines.push("");
    const rows = [["ID", "SEVERITY", "RISK", "KEV", "EPSS", "PACKAGE", "VERSION", "FIXED IN"]];
    for (const f of d.topFindings) rows.push([f.id, f.severity, String(f.riskScore), f.kev ? "yes" : "", f.epss !== undefined ? f.epss.toFixed(3) : "", f.package ?? "", f.version ?? "", f.fixedVersion ?? ""]);
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) lines.push(r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd());
  }
  return `${lines.join("\n")}\n`;
}
