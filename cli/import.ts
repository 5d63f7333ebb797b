// `fixops import`: a ScanResult YAML with the report inline, for GitOps (Argo CD applies it). The
// report is parsed first, so a broken or unknown report is refused here rather than in the cluster.
import { createHash } from "node:crypto";
import { Command, Option } from "commander";
import { stringify } from "yaml";
import { API_VERSION, ReportFormat, ScanResultSpec, type ScanResultResource } from "../api/v1alpha1/index.js";
import { ReportParseError, parseImageRef, parseReport, type ParsedReport } from "../engine/index.js";
import { readInput } from "./evaluate.js";

/**
 * Largest inline report FixOps writes into a ScanResult. etcd refuses objects over 1.5 MiB, and a
 * client-side `kubectl apply` (or Argo CD without server-side apply) keeps a second copy of the
 * object in the last-applied-configuration annotation, so half a MiB is the safe ceiling.
 */
export const MAX_INLINE_REPORT_BYTES = 512 * 1024;

interface ImportOptions {
  report: string;
  image: string;
  name?: string;
  namespace?: string;
  format?: ReportFormat;
}

export function registerImport(program: Command): void {
  program
    .command("import")
    .description("Write a ScanResult YAML with the report inline to stdout (for GitOps)")
    .requiredOption("--report <file>", "scanner report (Trivy, Grype, SARIF, CycloneDX, SPDX or OpenVEX JSON)")
    .requiredOption("--image <ref>", "the image the report is about, e.g. ghcr.io/acme/api:1.4.2 or ghcr.io/acme/api@sha256:…")
    .option("--name <name>", "ScanResult name (default: derived from the image)")
    .option("--namespace <ns>", "ScanResult namespace (default: none, i.e. the namespace it is applied to)")
    .addOption(new Option("--format <format>", "read the report as this format instead of detecting it").choices(ReportFormat.options))
    .action((opts: ImportOptions) => {
      process.stdout.write(renderScanResult(opts));
    });
}

export function renderScanResult(opts: ImportOptions): string {
  const ref = parseImageRef(opts.image);
  if (!ref) throw new Error(`--image ${JSON.stringify(opts.image)} is not a valid image reference`);
  const bytes = readInput(opts.report, "report");
  const tooBig = (size: number, what: string) =>
    new Error(
      `${opts.report}: ${what} is ${kib(size)}, over the ${kib(MAX_INLINE_REPORT_BYTES)} FixOps allows inline in a ScanResult ` +
        `(etcd stores at most 1.5 MiB per object, and apply tools keep a second copy of it). ` +
        `Store the report in the FixOps ledger instead: fixops push --report ${opts.report} --image ${opts.image} --namespace ${opts.namespace ?? "<namespace>"}`,
    );
  if (bytes.length > MAX_INLINE_REPORT_BYTES) throw tooBig(bytes.length, "the report");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new Error(`${opts.report}: the report is not UTF-8 text`);
  }
  let report;
  try {
    report = parseReport(bytes, { source: opts.report, artifact: { image: opts.image }, ...(opts.format ? { format: opts.format } : {}) });
  } catch (err) {
    if (err instanceof ReportParseError) throw new Error(err.message);
    throw err;
  }
  const obj = scanResultFor(opts, report, { inline: text });
  // etcd stores the object as JSON: that is the size that counts.
  const size = Buffer.byteLength(JSON.stringify(obj));
  if (size > MAX_INLINE_REPORT_BYTES) throw tooBig(size, "the ScanResult with its report inline");
  return stringify(obj, { lineWidth: 0, blockQuote: "literal" });
}

/** The ScanResult for a parsed report, its report given by `report` (inline text or a stored digest). */
export function scanResultFor(
  opts: { image: string; name?: string; namespace?: string },
  report: ParsedReport,
  source: ScanResultSpec["report"],
): Omit<ScanResultResource, "status"> {
  const ref = parseImageRef(opts.image);
  if (!ref) throw new Error(`--image ${JSON.stringify(opts.image)} is not a valid image reference`);
  const digest = ref.digest?.startsWith("sha256:") ? ref.digest : report.artifact.digest;
  const spec: ScanResultSpec = {
    artifact: { image: opts.image, ...(digest ? { digest } : {}) },
    scanner: { name: report.scanner.name, ...(report.scanner.version ? { version: report.scanner.version } : {}) },
    format: report.format,
    report: source,
    ...(report.scannedAt ? { scannedAt: report.scannedAt } : {}),
  };
  const checked = ScanResultSpec.safeParse(spec);
  if (!checked.success) throw new Error(`cannot build a valid ScanResult: ${checked.error.issues.map((i) => `spec.${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const name = opts.name ?? nameFor(opts.image);
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253) throw new Error(`--name ${JSON.stringify(name)} is not a valid Kubernetes object name (lower-case letters, digits, "-" and ".")`);
  return {
    apiVersion: API_VERSION,
    kind: "ScanResult",
    metadata: { name, ...(opts.namespace ? { namespace: opts.namespace } : {}) },
    spec,
  };
}

/** `ghcr.io/acme/api:1.4.2` → `api-1.4.2-<8 hex of the image>`: stable for an image, distinct across registries. */
export function nameFor(image: string): string {
  const ref = parseImageRef(image)!;
  const base = ref.repository.split("/").pop()!;
  const version = ref.tag ?? ref.digest?.split(":")[1]?.slice(0, 12) ?? "latest";
  const hash = createHash("sha256").update(ref.canonical).digest("hex").slice(0, 8);
  const stem = `${base}-${version}`
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, "-")
    .replace(/^[-.]+|[-.]+$/g, "")
    .slice(0, 52)
    .replace(/[-.]+$/, "");
  return `${stem || "scan"}-${hash}`;
}

const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;
