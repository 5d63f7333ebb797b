// Trivy JSON (`trivy image|fs|repo|sbom -f json`, SchemaVersion 2) and Trivy Kubernetes reports
// (`trivy k8s -f json`: ClusterName + per-resource Results). Vulnerabilities, failed
// misconfigurations and secrets become findings; VEX-suppressed findings (ModifiedFindings) are
// kept as suppressed findings so that the noise reduction can be counted.
import type { ArtifactRef, CvssRating, Finding, FixState, PackageRef, ParsedReport, ScannerRef, Suppression } from "../model.js";
import { EMPTY, severityFromWord } from "../model.js";
import { versionOfVector } from "../cvss.js";
import { describeKeys, digestOf, forEachElement, Interner, timestampOf, type Obj, Reader } from "./read.js";

const r = new Reader("trivy");

interface ResultContext {
  readonly artifact: ArtifactRef;
  readonly scanner: ScannerRef;
  readonly target: string;
  readonly type?: string;
  readonly pool: Interner;
}

class Collector {
  readonly findings: Finding[] = [];
  readonly skipped: Record<string, number> = {};
  skip(what: string): void {
    this.skipped[what] = (this.skipped[what] ?? 0) + 1;
  }
}

export function parseTrivy(root: unknown, subject: ArtifactRef): ParsedReport {
  if (Array.isArray(root)) throw r.error("SchemaVersion 1 reports (a top-level array) are not supported; use Trivy 0.20 or newer, which writes SchemaVersion 2", "$");
  const doc = r.object(root, "$");
  const trivy = r.optObject(doc, "Trivy", "$");
  const trivyVersion = trivy ? r.optText(trivy, "Version", "$.Trivy") : undefined;
  const scanner: ScannerRef = { name: "trivy", ...(trivyVersion ? { version: trivyVersion } : {}) };
  const out = new Collector();
  const pool = new Interner();
  let artifact: ArtifactRef = subject;

  if (r.member(doc, "ClusterName") !== undefined) {
    // Kubernetes scan: one entry per workload/resource, each with its own Results.
    for (const key of ["Resources", "Vulnerabilities", "Misconfigurations"]) {
      const list = r.optArray(doc, key, "$");
      if (list) forEachElement(list, `$.${key}`, (res, path) => readResource(res, path, { artifact: subject, scanner, target: "", pool }, out));
    }
  } else {
    const version = r.member(doc, "SchemaVersion");
    if (version === undefined) throw r.error(`not a Trivy report: $.SchemaVersion is missing (${describeKeys(doc)})`, "$");
    if (version !== 2) throw r.error(`unsupported SchemaVersion ${JSON.stringify(version)} (FixOps reads SchemaVersion 2)`, "$.SchemaVersion");
    artifact = reportArtifact(doc, subject);
    const results = r.optArray(doc, "Results", "$");
    // A clean scan may omit Results entirely (Trivy's omitempty): that is a valid, empty report.
    if (results) forEachElement(results, "$.Results", (res, path) => readResult(res, path, { artifact, scanner, target: "", pool }, out));
  }

  const createdAt = timestampOf(r.optString(doc, "CreatedAt", "$"));
  return {
    format: "trivy",
    scanner,
    artifact,
    findings: out.findings,
    vex: [],
    inventory: [],
    skipped: out.skipped,
    ...(createdAt ? { scannedAt: createdAt } : {}),
  };
}

/** The scanned image: the caller's name for it wins; the report fills in what the caller left out. */
function reportArtifact(doc: Obj, subject: ArtifactRef): ArtifactRef {
  const isImage = r.optString(doc, "ArtifactType", "$") === "container_image";
  const image = subject.image ?? (isImage ? r.optText(doc, "ArtifactName", "$") : undefined);
  const md = r.optObject(doc, "Metadata", "$");
  const repoDigests = isImage && md ? r.optStrings(md, "RepoDigests", "$.Metadata") : undefined;
  const digest = subject.digest ?? repoDigests?.map(digestOf).find((d) => d !== undefined);
  return { ...(image ? { image } : {}), ...(digest ? { digest } : {}) };
}

function readResource(v: unknown, path: string, base: ResultContext, out: Collector): void {
  const res = r.object(v, path);
  const results = r.optArray(res, "Results", path);
  if (!results) return;
  forEachElement(results, `${path}.Results`, (rv, rpath) => {
    const result = r.object(rv, rpath);
    const target = r.optText(result, "Target", rpath) ?? "";
    // In a cluster scan the target of an os-pkgs/lang-pkgs result is the image ("redis:6.0.5 (debian 10.4)").
    const cls = r.optString(result, "Class", rpath);
    const image = cls === "os-pkgs" || cls === "lang-pkgs" ? imageOfTarget(target) : undefined;
    const artifact: ArtifactRef = image ? { image, ...(digestOf(image) ? { digest: digestOf(image)! } : {}) } : base.artifact;
    readResult(result, rpath, { ...base, artifact }, out);
  });
}

function imageOfTarget(target: string): string | undefined {
  const paren = target.indexOf(" (");
  const image = (paren > 0 ? target.slice(0, paren) : target).trim();
  return image.length > 0 && !image.includes(" ") ? image : undefined;
}

function readResult(v: unknown, path: string, base: ResultContext, out: Collector): void {
  const result = r.object(v, path);
  const type = r.optText(result, "Type", path);
  const ctx: ResultContext = { ...base, target: r.optText(result, "Target", path) ?? "", ...(type ? { type } : {}) };
  const vulns = r.optArray(result, "Vulnerabilities", path);
  if (vulns) forEachElement(vulns, `${path}.Vulnerabilities`, (e, p) => out.findings.push(vulnerability(r.object(e, p), p, ctx)));
  const misconfs = r.optArray(result, "Misconfigurations", path);
  if (misconfs) {
    forEachElement(misconfs, `${path}.Misconfigurations`, (e, p) => {
      const f = misconfiguration(r.object(e, p), p, ctx);
      if (f) out.findings.push(f);
      else out.skip("passed or excepted misconfiguration checks");
    });
  }
  const secrets = r.optArray(result, "Secrets", path);
  if (secrets) forEachElement(secrets, `${path}.Secrets`, (e, p) => out.findings.push(secret(r.object(e, p), p, ctx)));
  for (const key of ["ModifiedFindings", "ExperimentalModifiedFindings"]) {
    const modified = r.optArray(result, key, path);
    if (!modified) continue;
    forEachElement(modified, `${path}.${key}`, (e, p) => {
      const f = modifiedFinding(r.object(e, p), p, ctx);
      if (f) out.findings.push(f);
      else out.skip("modified findings that are not vulnerabilities");
    });
  }
}

const FIX_STATES: Readonly<Record<string, FixState>> = {
  fixed: "fixed",
  affected: "not-fixed",
  fix_deferred: "not-fixed",
  end_of_life: "not-fixed",
  will_not_fix: "wont-fix",
};

/** What Trivy's database says about a vulnerability: the same in every finding of that id. */
interface VulnDetail {
  readonly title?: string;
  readonly cvss: readonly CvssRating[];
  readonly publishedAt?: string;
  /** The first vector seen, to confirm a cached detail really is the same data. */
  readonly probe: string;
}

function vulnerability(v: Obj, path: string, ctx: ResultContext, suppression?: Suppression): Finding {
  const pool = ctx.pool;
  const id = r.string(v, "VulnerabilityID", path);
  const name = r.string(v, "PkgName", path);
  const version = r.optText(v, "InstalledVersion", path);
  const pkgId = r.optObject(v, "PkgIdentifier", path);
  // Older Trivy versions gave the purl as `Ref`.
  const ref = r.optText(v, "Ref", path);
  const purl = (pkgId ? r.optText(pkgId, "PURL", path) : undefined) ?? (ref?.startsWith("pkg:") ? ref : undefined);
  const uid = pkgId ? r.optText(pkgId, "UID", path) : undefined;
  const pkgPath = r.optText(v, "PkgPath", path);
  const fixedVersion = r.optText(v, "FixedVersion", path);
  const status = r.optText(v, "Status", path);
  const fixState: FixState = status !== undefined && Object.hasOwn(FIX_STATES, status) ? FIX_STATES[status]! : fixedVersion ? "fixed" : "unknown";
  const severityWord = r.optText(v, "Severity", path);
  const severitySource = r.optText(v, "SeveritySource", path);
  const vendorIds = r.optStrings(v, "VendorIDs", path)?.filter((a) => a !== id);
  const own: Suppression | undefined =
    suppression ?? (status === "not_affected" ? { status: "not_affected", justification: "vendor status not_affected", source: "trivy:status" } : undefined);
  // Large reports repeat packages and vulnerability details thousands of times: share one copy.
  // Trivy's UID names a package instance; the name/version check guards against a reused UID.
  const make = (): PackageRef => ({ name, ...(version ? { version } : {}), ...(purl ? { purl } : {}), ...(ctx.type ? { type: ctx.type } : {}), ...(pkgPath ? { path: pkgPath } : {}) });
  const byUid = uid ? pool.value(`u\u0000${uid}`, make) : undefined;
  const pkg =
    byUid && byUid.name === name && byUid.version === version && byUid.path === pkgPath
      ? byUid
      : pool.value(`${purl ?? `${name}@${version ?? ""}`}\u0000${pkgPath ?? ""}\u0000${ctx.type ?? ""}`, make);
  const detail = vulnDetail(v, path, id, pool);
  return {
    kind: "vulnerability",
    id: pool.s(id),
    aliases: vendorIds?.length ? vendorIds : EMPTY,
    severity: (severityWord && severityFromWord(severityWord)) || "UNKNOWN",
    cvss: detail.cvss,
    artifact: ctx.artifact,
    package: pkg,
    scanner: ctx.scanner,
    fixState,
    // Trivy's own identity of a package instance (newer versions): with the vulnerability, a tool id.
    ...(uid ? { toolKey: `${uid}|${id}` } : {}),
    ...(ctx.target ? { target: ctx.target } : {}),
    ...(severitySource ? { severitySource: pool.s(severitySource) } : {}),
    ...(fixedVersion ? { fixedVersion } : {}),
    ...(detail.title ? { title: detail.title } : {}),
    ...(detail.publishedAt ? { publishedAt: detail.publishedAt } : {}),
    ...(own ? { suppression: own } : {}),
  };
}

function vulnDetail(v: Obj, path: string, id: string, pool: Interner): VulnDetail {
  const cvssObj = r.optObject(v, "CVSS", path);
  const probe = cvssObj ? firstVector(cvssObj) : "";
  const cached = pool.value<VulnDetail | undefined>(`v\u0000${id}`, () => undefined);
  if (cached && cached.probe === probe) return cached;
  const title = r.optText(v, "Title", path);
  const published = timestampOf(r.optString(v, "PublishedDate", path));
  const detail: VulnDetail = { cvss: cvssObj ? cvssMap(cvssObj, path) : EMPTY, probe, ...(title ? { title } : {}), ...(published ? { publishedAt: published } : {}) };
  if (!cached) pool.set(`v\u0000${id}`, detail);
  return detail;
}

function firstVector(map: Obj): string {
  for (const source of Object.keys(map)) {
    const c = map[source];
    if (r.isObject(c)) {
      const v = c.V3Vector ?? c.V40Vector ?? c.V2Vector ?? c.V3Score;
      if (v !== undefined && v !== null) return `${source}:${String(v)}`;
    }
  }
  return "";
}

/** The CVSS member is a map keyed by source (nvd, redhat, ghsa, …). */
function cvssMap(map: Obj, path: string): readonly CvssRating[] {
  const out: CvssRating[] = [];
  for (const source of Object.keys(map)) {
    const p = `${path}.CVSS.${source}`;
    const c = r.object(map[source], p);
    const v2 = r.optText(c, "V2Vector", p);
    const s2 = r.optNumber(c, "V2Score", p);
    if (v2 || s2 !== undefined) out.push({ version: "2.0", source, ...(v2 ? { vector: v2 } : {}), ...(s2 !== undefined ? { score: s2 } : {}) });
    const v3 = r.optText(c, "V3Vector", p);
    const s3 = r.optNumber(c, "V3Score", p);
    if (v3 || s3 !== undefined) {
      const version = (v3 && versionOfVector(v3)) || "3.1";
      out.push({ version: version === "2.0" ? "3.1" : version, source, ...(v3 ? { vector: v3 } : {}), ...(s3 !== undefined ? { score: s3 } : {}) });
    }
    const v4 = r.optText(c, "V40Vector", p);
    const s4 = r.optNumber(c, "V40Score", p);
    if (v4 || s4 !== undefined) out.push({ version: "4.0", source, ...(v4 ? { vector: v4 } : {}), ...(s4 !== undefined ? { score: s4 } : {}) });
  }
  return out.length === 0 ? EMPTY : out;
}

function misconfiguration(m: Obj, path: string, ctx: ResultContext): Finding | undefined {
  // PASS and EXCEPTION entries (with --include-non-failures) are checks that held, not findings.
  const status = r.optText(m, "Status", path);
  if (status !== undefined && status !== "FAIL") return undefined;
  const id = r.optText(m, "ID", path) ?? r.string(m, "AVDID", path);
  const cause = r.optObject(m, "CauseMetadata", path);
  const startLine = cause ? r.optNumber(cause, "StartLine", `${path}.CauseMetadata`) : undefined;
  const endLine = cause ? r.optNumber(cause, "EndLine", `${path}.CauseMetadata`) : undefined;
  const resource = cause ? r.optText(cause, "Resource", `${path}.CauseMetadata`) : undefined;
  const title = r.optText(m, "Title", path);
  const severityWord = r.optText(m, "Severity", path);
  return {
    kind: "misconfiguration",
    id,
    aliases: EMPTY,
    severity: (severityWord && severityFromWord(severityWord)) || "UNKNOWN",
    cvss: EMPTY,
    artifact: ctx.artifact,
    scanner: ctx.scanner,
    rule: { id, ...(title ? { name: title } : {}) },
    toolKey: `${ctx.target}|${id}|${resource ?? ""}|${startLine ?? ""}`,
    ...(ctx.target ? { target: ctx.target, location: { uri: ctx.target, ...(startLine ? { startLine } : {}), ...(endLine ? { endLine } : {}) } } : {}),
    ...(title ? { title } : {}),
  };
}

function secret(s: Obj, path: string, ctx: ResultContext): Finding {
  const id = r.string(s, "RuleID", path);
  const startLine = r.optNumber(s, "StartLine", path);
  const endLine = r.optNumber(s, "EndLine", path);
  const title = r.optText(s, "Title", path);
  const severityWord = r.optText(s, "Severity", path);
  return {
    kind: "secret",
    id,
    aliases: EMPTY,
    severity: (severityWord && severityFromWord(severityWord)) || "UNKNOWN",
    cvss: EMPTY,
    artifact: ctx.artifact,
    scanner: ctx.scanner,
    rule: { id, ...(title ? { name: title } : {}) },
    toolKey: `${ctx.target}|${id}|${startLine ?? ""}`,
    ...(ctx.target ? { target: ctx.target, location: { uri: ctx.target, ...(startLine ? { startLine } : {}), ...(endLine ? { endLine } : {}) } } : {}),
    ...(title ? { title } : {}),
  };
}

function modifiedFinding(m: Obj, path: string, ctx: ResultContext): Finding | undefined {
  if ((r.optText(m, "Type", path) ?? "vulnerability") !== "vulnerability") return undefined;
  const status = r.optText(m, "Status", path) ?? "not_affected";
  const statement = r.optText(m, "Statement", path);
  const source = r.optText(m, "Source", path);
  const inner = r.optObject(m, "Finding", path);
  if (!inner) throw r.error("a modified finding must carry the original in its Finding member", `${path}.Finding`);
  // Only not_affected and fixed statements take a finding out; any other status leaves it standing.
  const suppression: Suppression | undefined =
    status === "not_affected" || status === "fixed" ? { status, source: `trivy:${source ?? "vex"}`, ...(statement ? { justification: statement } : {}) } : undefined;
  return vulnerability(inner, `${path}.Finding`, ctx, suppression);
}
