// Grype JSON (`grype -o json`). Each match is one finding; relatedVulnerabilities give the aliases
// (usually the CVE behind a GHSA or distro advisory) and often the NVD CVSS. ignoredMatches are
// findings Grype's ignore rules or VEX documents took out: kept, marked suppressed.
import type { ArtifactRef, CvssRating, CvssVersion, Finding, FixState, ParsedReport, ReportedEpss, ScannerRef, Suppression } from "../model.js";
import { EMPTY, severityFromWord } from "../model.js";
import { describeKeys, digestOf, forEachElement, timestampOf, type Obj, Reader } from "./read.js";

const r = new Reader("grype");

export function parseGrype(root: unknown, subject: ArtifactRef): ParsedReport {
  const doc = r.object(root, "$");
  const matches = r.optArray(doc, "matches", "$");
  if (!matches) throw r.error(`not a Grype report: $.matches is missing (${describeKeys(doc)})`, "$");
  const descriptor = r.optObject(doc, "descriptor", "$");
  const name = (descriptor && r.optText(descriptor, "name", "$.descriptor")) || "grype";
  const version = descriptor ? r.optText(descriptor, "version", "$.descriptor") : undefined;
  const scanner: ScannerRef = { name, ...(version ? { version } : {}) };
  const artifact = sourceArtifact(doc, subject);
  const findings: Finding[] = [];
  forEachElement(matches, "$.matches", (m, p) => findings.push(match(r.object(m, p), p, artifact, scanner)));
  const ignored = r.optArray(doc, "ignoredMatches", "$");
  if (ignored) {
    forEachElement(ignored, "$.ignoredMatches", (m, p) => {
      const o = r.object(m, p);
      findings.push(match(o, p, artifact, scanner, ignoreSuppression(o, p)));
    });
  }
  const scannedAt = descriptor ? timestampOf(r.optString(descriptor, "timestamp", "$.descriptor")) : undefined;
  return { format: "grype", scanner, artifact, findings, vex: [], inventory: [], skipped: {}, ...(scannedAt ? { scannedAt } : {}) };
}

/** The scanned image: the caller's name for it wins; the report fills in what the caller left out. */
function sourceArtifact(doc: Obj, subject: ArtifactRef): ArtifactRef {
  const source = r.optObject(doc, "source", "$");
  const target = source && r.optString(source, "type", "$.source") === "image" ? r.optObject(source, "target", "$.source") : undefined;
  if (!target) return subject;
  const image = subject.image ?? r.optText(target, "userInput", "$.source.target");
  const repoDigests = r.optStrings(target, "repoDigests", "$.source.target") ?? [];
  const digest = subject.digest ?? [...repoDigests, r.optText(target, "manifestDigest", "$.source.target")].map(digestOf).find((d) => d !== undefined);
  return { ...(image ? { image } : {}), ...(digest ? { digest } : {}) };
}

const FIX_STATES: Readonly<Record<string, FixState>> = { fixed: "fixed", "not-fixed": "not-fixed", "wont-fix": "wont-fix", unknown: "unknown" };

function match(m: Obj, path: string, artifact: ArtifactRef, scanner: ScannerRef, suppression?: Suppression): Finding {
  const vp = `${path}.vulnerability`;
  const vuln = r.object(r.member(m, "vulnerability"), vp);
  const ap = `${path}.artifact`;
  const pkg = r.object(r.member(m, "artifact"), ap);
  const id = r.string(vuln, "id", vp);
  const cvss: CvssRating[] = [...ratings(vuln, vp)];
  const aliases: string[] = [];
  const related = r.optArray(m, "relatedVulnerabilities", path);
  if (related) {
    forEachElement(related, `${path}.relatedVulnerabilities`, (rv, rp) => {
      const o = r.object(rv, rp);
      const rid = r.string(o, "id", rp);
      if (rid !== id && !aliases.includes(rid)) aliases.push(rid);
      cvss.push(...ratings(o, rp));
    });
  }
  const fix = r.optObject(vuln, "fix", vp);
  const fixVersions = fix ? (r.optStrings(fix, "versions", `${vp}.fix`) ?? []) : [];
  const fixStateWord = fix ? r.optText(fix, "state", `${vp}.fix`) : undefined;
  const fixState: FixState = fixStateWord !== undefined && Object.hasOwn(FIX_STATES, fixStateWord) ? FIX_STATES[fixStateWord]! : "unknown";
  const severityWord = r.optText(vuln, "severity", vp);
  const name = r.string(pkg, "name", ap);
  const version = r.optText(pkg, "version", ap);
  const purl = r.optText(pkg, "purl", ap);
  const type = r.optText(pkg, "type", ap);
  const locations = r.optArray(pkg, "locations", ap);
  let location: string | undefined;
  if (locations) forEachElement(locations, `${ap}.locations`, (l, lp) => (location ??= r.optText(r.object(l, lp), "path", lp)));
  const epss = embeddedEpss(vuln, vp);
  const description = r.optText(vuln, "description", vp);
  const pkgId = r.optText(pkg, "id", ap);
  return {
    kind: "vulnerability",
    id,
    aliases: aliases.length ? aliases : EMPTY,
    severity: (severityWord && severityFromWord(severityWord)) || "UNKNOWN",
    cvss,
    artifact,
    package: { name, ...(version ? { version } : {}), ...(purl ? { purl } : {}), ...(type ? { type } : {}), ...(location ? { path: location } : {}) },
    scanner,
    fixState,
    severitySource: sourceName(r.optText(vuln, "namespace", vp)),
    toolKey: `${pkgId ?? `${name}@${version ?? ""}`}|${id}|${location ?? ""}`,
    ...(location ? { target: location } : {}),
    ...(fixVersions.length ? { fixedVersion: fixVersions.join(", ") } : {}),
    ...(description ? { title: description.length > 200 ? `${description.slice(0, 199)}…` : description } : {}),
    ...(epss ? { epss } : {}),
    ...(suppression ? { suppression } : {}),
  };
}

/** Grype namespaces (`nvd:cpe`, `github:language:go`, `debian:distro:debian:12`) → rating source. */
function sourceName(namespace: string | undefined): string {
  if (!namespace) return "grype";
  if (namespace.startsWith("nvd")) return "nvd";
  if (namespace.startsWith("github")) return "ghsa";
  return namespace.split(":")[0]!;
}

function ratings(v: Obj, path: string): CvssRating[] {
  const list = r.optArray(v, "cvss", path);
  if (!list) return [];
  const source = sourceName(r.optText(v, "namespace", path));
  const out: CvssRating[] = [];
  forEachElement(list, `${path}.cvss`, (c, cp) => {
    const o = r.object(c, cp);
    const version = cvssVersion(r.optText(o, "version", cp));
    if (!version) return;
    const vector = r.optText(o, "vector", cp);
    const metrics = r.optObject(o, "metrics", cp);
    const score = metrics ? r.optNumber(metrics, "baseScore", `${cp}.metrics`) : undefined;
    out.push({ version, source, ...(vector ? { vector } : {}), ...(score !== undefined ? { score } : {}) });
  });
  return out;
}

function cvssVersion(v: string | undefined): CvssVersion | undefined {
  switch (v) {
    case "2":
    case "2.0":
      return "2.0";
    case "3":
    case "3.0":
      return "3.0";
    case "3.1":
      return "3.1";
    case "4":
    case "4.0":
      return "4.0";
    default:
      return undefined;
  }
}

function embeddedEpss(v: Obj, path: string): ReportedEpss | undefined {
  const list = r.optArray(v, "epss", path);
  if (!list || list.length === 0) return undefined;
  let best: ReportedEpss | undefined;
  forEachElement(list, `${path}.epss`, (e, ep) => {
    const o = r.object(e, ep);
    const probability = r.optNumber(o, "epss", ep);
    const percentile = r.optNumber(o, "percentile", ep);
    const date = r.optText(o, "date", ep);
    if (probability === undefined || percentile === undefined) return;
    if (!best || probability > best.probability) best = { probability, percentile, ...(date ? { date } : {}) };
  });
  return best;
}

function ignoreSuppression(m: Obj, path: string): Suppression {
  const rules = r.optArray(m, "appliedIgnoreRules", path);
  let justification: string | undefined;
  let status: Suppression["status"] = "not_affected";
  if (rules) {
    forEachElement(rules, `${path}.appliedIgnoreRules`, (rule, rp) => {
      const o = r.object(rule, rp);
      justification ??= r.optText(o, "reason", rp) ?? r.optText(o, "vex-justification", rp);
      if (r.optText(o, "vex-status", rp) === "fixed") status = "fixed";
    });
  }
  return { status, source: "grype:ignore-rule", ...(justification ? { justification } : {}) };
}
