// parseReport: bytes or text of a scanner report → the normalised model. The format is detected from
// the document unless forced. Any problem is a ReportParseError naming the format and the place.
import type { ArtifactRef, ParsedReport, ReportFormat } from "../model.js";
import { ReportParseError } from "../errors.js";
import { detectFormat, sniffFormat } from "./detect.js";
import { JsonDocument, toSource, type ByteSource, type LazyPlan } from "./json.js";
import { describeKeys } from "./read.js";
import { parseCycloneDx } from "./cyclonedx.js";
import { parseGrype } from "./grype.js";
import { parseOpenVex } from "./openvex.js";
import { parseSarif } from "./sarif.js";
import { parseSpdx } from "./spdx.js";
import { parseTrivy } from "./trivy.js";

export interface ParseOptions {
  /** Skip detection and read the report as this format. */
  format?: ReportFormat;
  /** Where the report came from (file name, ScanResult key); prefixed to error messages. */
  source?: string;
  /** The artifact the report is about when the caller knows better than the report (`--image`). */
  artifact?: ArtifactRef;
}

/**
 * Arrays that can be large in some format stay lazy: their elements are parsed one at a time. One
 * plan serves every format because their member names do not collide (JSON names are
 * case-sensitive: Trivy's `Vulnerabilities` is not CycloneDX's `vulnerabilities`).
 */
const LAZY: LazyPlan = {
  Results: { "[]": { Vulnerabilities: "lazy", Misconfigurations: "lazy", Secrets: "lazy", Packages: "lazy", Licenses: "lazy", ModifiedFindings: "lazy", ExperimentalModifiedFindings: "lazy" } },
  Resources: "lazy",
  Vulnerabilities: "lazy",
  Misconfigurations: "lazy",
  matches: "lazy",
  ignoredMatches: "lazy",
  runs: { "[]": { results: "lazy", artifacts: "lazy", logicalLocations: "lazy", threadFlowLocations: "lazy" } },
  components: "lazy",
  vulnerabilities: "lazy",
  dependencies: "lazy",
  packages: "lazy",
  files: "lazy",
  relationships: "lazy",
  snippets: "lazy",
  statements: "lazy",
};

const PARSERS: Readonly<Record<ReportFormat, (root: unknown, subject: ArtifactRef, source?: string) => ParsedReport>> = {
  trivy: parseTrivy,
  grype: parseGrype,
  sarif: parseSarif,
  cyclonedx: parseCycloneDx,
  spdx: parseSpdx,
  openvex: parseOpenVex,
};

/**
 * Reads a report. Large reports should come as a ByteSource (e.g. over a file): they are streamed
 * through a small window rather than held in memory.
 */
export function parseReport(input: string | Uint8Array | ByteSource, opts: ParseOptions = {}): ParsedReport {
  try {
    const source = toSource(input);
    const head = new Uint8Array(Math.min(4096, source.size));
    source.read(head, 0, head.length);
    const guessed = opts.format ?? sniffFormat(new TextDecoder().decode(head));
    const doc = new JsonDocument(source, guessed ?? "unknown format", LAZY);
    const format = opts.format ?? detectFormat(doc.root);
    if (!format) {
      throw new ReportParseError(
        "unknown format",
        `not a report FixOps can read (${describeKeys(doc.root)}); supported: trivy, grype, sarif, cyclonedx, spdx, openvex (pass --format to force one)`,
        { path: "$" },
      );
    }
    return PARSERS[format](doc.root, opts.artifact ?? {}, opts.source);
  } catch (err) {
    if (err instanceof ReportParseError) throw opts.source ? withSource(err, opts.source) : err;
    // A bug in a parser must still surface as a report error, not as a crash of the caller.
    const problem = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    throw new ReportParseError(opts.format ?? "report", `could not be read: ${problem}`);
  }
}

function withSource(err: ReportParseError, source: string): ReportParseError {
  const e = new ReportParseError(err.format, err.problem, {
    ...(err.path !== undefined ? { path: err.path } : {}),
    ...(err.line !== undefined ? { line: err.line } : {}),
    ...(err.column !== undefined ? { column: err.column } : {}),
  });
  e.message = `${source}: ${e.message}`;
  return e;
}
