// CycloneDX JSON 1.2–1.6. `vulnerabilities` become findings, one per affected component (a
// vulnerability without `affects` is a finding on the BOM's subject). `analysis.state` is
// CycloneDX's VEX: not_affected, false_positive and resolved take the finding out. Components,
// nested ones included, form the inventory used to fill in purls and to match VEX products.
import type { ArtifactRef, CvssRating, CvssVersion, Finding, InventoryPackage, PackageRef, ParsedReport, ScannerRef, Severity, Suppression } from "../model.js";
import { EMPTY, severityFromScore, severityFromWord } from "../model.js";
import { versionOfVector } from "../cvss.js";
import { parsePurl } from "../purl.js";
import { describeKeys, digestOf, forEachElement, timestampOf, type Obj, Reader } from "./read.js";

const r = new Reader("cyclonedx");

export function parseCycloneDx(root: unknown, subject: ArtifactRef): ParsedReport {
  const doc = r.object(root, "$");
  const bomFormat = r.optText(doc, "bomFormat", "$");
  if (bomFormat !== "CycloneDX") throw r.error(`not a CycloneDX BOM: $.bomFormat is ${bomFormat === undefined ? "missing" : JSON.stringify(bomFormat)} (${describeKeys(doc)})`, "$.bomFormat");
  const spec = r.optText(doc, "specVersion", "$");
  if (!spec || !/^1\.[2-6]$/.test(spec)) throw r.error(`unsupported specVersion ${JSON.stringify(spec ?? null)} (FixOps reads CycloneDX 1.2 to 1.6)`, "$.specVersion");

  const byRef = new Map<string, PackageRef>();
  const inventory: InventoryPackage[] = [];
  const components = r.optArray(doc, "components", "$");
  if (components) forEachElement(components, "$.components", (c, p) => readComponent(c, p, byRef, inventory));

  const metadata = r.optObject(doc, "metadata", "$");
  const scanner = metadata ? toolOf(metadata) : { name: "cyclonedx" };
  const artifact = subjectOf(metadata, subject);
  const findings: Finding[] = [];
  const vulns = r.optArray(doc, "vulnerabilities", "$");
  if (vulns) forEachElement(vulns, "$.vulnerabilities", (v, p) => findings.push(...vulnerability(r.object(v, p), p, byRef, artifact, scanner)));
  const scannedAt = metadata ? timestampOf(r.optString(metadata, "timestamp", "$.metadata")) : undefined;
  return { format: "cyclonedx", scanner, artifact, findings, vex: [], inventory, skipped: {}, ...(scannedAt ? { scannedAt } : {}) };
}

function readComponent(v: unknown, path: string, byRef: Map<string, PackageRef>, inventory: InventoryPackage[]): void {
  const c = r.object(v, path);
  const name = r.optText(c, "name", path);
  const group = r.optText(c, "group", path);
  const version = r.optText(c, "version", path);
  const purl = r.optText(c, "purl", path);
  const type = r.optText(c, "type", path);
  if (name) {
    const pkg: PackageRef = { name: group ? `${group}:${name}` : name, ...(version ? { version } : {}), ...(purl ? { purl } : {}), ...(purlType(purl) ? { type: purlType(purl)! } : {}) };
    const ref = r.optText(c, "bom-ref", path);
    if (ref) byRef.set(ref, pkg);
    if (type !== "container" && type !== "operating-system") inventory.push(pkg);
  }
  const nested = r.optArray(c, "components", path);
  if (nested) forEachElement(nested, `${path}.components`, (n, np) => readComponent(n, np, byRef, inventory));
}

const purlType = (purl: string | undefined): string | undefined => (purl ? parsePurl(purl)?.type : undefined);

function toolOf(metadata: Obj): ScannerRef {
  const tools = r.member(metadata, "tools");
  let first: Obj | undefined;
  if (Array.isArray(tools)) first = tools.find((t): t is Obj => r.isObject(t));
  else if (r.isObject(tools)) {
    const comps = r.optArray(tools, "components", "$.metadata.tools");
    if (Array.isArray(comps)) first = comps.find((t): t is Obj => r.isObject(t));
  }
  const name = first ? r.optText(first, "name", "$.metadata.tools") : undefined;
  const version = first ? r.optText(first, "version", "$.metadata.tools") : undefined;
  return { name: name ?? "cyclonedx", ...(version ? { version } : {}) };
}

/** The BOM's subject when it is a container image; the caller's name for it wins. */
function subjectOf(metadata: Obj | undefined, subject: ArtifactRef): ArtifactRef {
  const comp = metadata ? r.optObject(metadata, "component", "$.metadata") : undefined;
  if (!comp || r.optText(comp, "type", "$.metadata.component") !== "container") return subject;
  const name = r.optText(comp, "name", "$.metadata.component");
  const version = r.optText(comp, "version", "$.metadata.component");
  const purl = r.optText(comp, "purl", "$.metadata.component");
  const digest = subject.digest ?? digestOf(version) ?? digestOf(purl ? parsePurl(purl)?.version : undefined);
  const image = subject.image ?? (name && version && !digestOf(version) && !name.includes(":") ? `${name}:${version}` : name);
  return { ...(image ? { image } : {}), ...(digest ? { digest } : {}) };
}

const METHOD_VERSION: Readonly<Record<string, CvssVersion>> = { CVSSv2: "2.0", CVSSv3: "3.0", CVSSv31: "3.1", CVSSv4: "4.0" };
const METHOD_RANK: Readonly<Record<string, number>> = { CVSSv4: 5, CVSSv31: 4, CVSSv3: 3, CVSSv2: 2 };

function vulnerability(v: Obj, path: string, byRef: ReadonlyMap<string, PackageRef>, artifact: ArtifactRef, scanner: ScannerRef): Finding[] {
  const id = r.string(v, "id", path);
  const aliases: string[] = [];
  const refs = r.optArray(v, "references", path);
  if (refs) {
    forEachElement(refs, `${path}.references`, (ref, rp) => {
      const rid = r.optText(r.object(ref, rp), "id", rp);
      if (rid && rid !== id && !aliases.includes(rid)) aliases.push(rid);
    });
  }
  const cvss: CvssRating[] = [];
  let severity: Severity | undefined;
  let severityRank = -1;
  let severitySource: string | undefined;
  const ratings = r.optArray(v, "ratings", path);
  if (ratings) {
    forEachElement(ratings, `${path}.ratings`, (rt, rp) => {
      const o = r.object(rt, rp);
      const method = r.optText(o, "method", rp);
      const vector = r.optText(o, "vector", rp);
      const score = r.optNumber(o, "score", rp);
      const src = r.optObject(o, "source", rp);
      const source = src ? r.optText(src, "name", `${rp}.source`) : undefined;
      const word = r.optText(o, "severity", rp);
      const version = method !== undefined && Object.hasOwn(METHOD_VERSION, method) ? ((vector && versionOfVector(vector)) || METHOD_VERSION[method]!) : undefined;
      if (version) cvss.push({ version, ...(vector ? { vector } : {}), ...(score !== undefined ? { score } : {}), ...(source ? { source } : {}) });
      // The severity word of the most authoritative rating wins; a score stands in for a missing word.
      const implied = (word && severityFromWord(word)) || (version && score !== undefined ? severityFromScore(score) : undefined);
      const rank = method !== undefined && Object.hasOwn(METHOD_RANK, method) ? METHOD_RANK[method]! : method === undefined ? 1 : 0;
      if (implied && implied !== "UNKNOWN" && rank > severityRank) {
        severity = implied;
        severityRank = rank;
        severitySource = source;
      }
    });
  }
  const suppression = analysisOf(v, path);
  const published = timestampOf(r.optString(v, "published", path));
  const description = r.optText(v, "description", path);
  const vulnRef = r.optText(v, "bom-ref", path) ?? id;
  const base = {
    kind: "vulnerability" as const,
    id,
    aliases: aliases.length ? aliases : EMPTY,
    severity: severity ?? "UNKNOWN",
    cvss,
    artifact,
    scanner,
    ...(severitySource ? { severitySource } : {}),
    ...(description ? { title: description.length > 200 ? `${description.slice(0, 199)}…` : description } : {}),
    ...(published ? { publishedAt: published } : {}),
    ...(suppression ? { suppression } : {}),
  };
  const affects = r.optArray(v, "affects", path);
  const out: Finding[] = [];
  if (affects) {
    forEachElement(affects, `${path}.affects`, (a, ap) => {
      const ref = r.string(r.object(a, ap), "ref", ap);
      const pkg = byRef.get(ref) ?? packageFromPurl(ref);
      out.push({ ...base, ...(pkg ? { package: pkg } : { target: ref }), toolKey: `${vulnRef}|${ref}` });
    });
  }
  if (out.length === 0) out.push({ ...base, toolKey: vulnRef });
  return out;
}

function packageFromPurl(ref: string): PackageRef | undefined {
  const p = parsePurl(ref);
  if (!p) return undefined;
  return { name: p.namespace ? `${p.namespace}:${p.name}` : p.name, purl: ref, type: p.type, ...(p.version ? { version: p.version } : {}) };
}

const ANALYSIS: Readonly<Record<string, Suppression["status"]>> = {
  not_affected: "not_affected",
  false_positive: "not_affected",
  resolved: "fixed",
  resolved_with_pedigree: "fixed",
};

function analysisOf(v: Obj, path: string): Suppression | undefined {
  const analysis = r.optObject(v, "analysis", path);
  if (!analysis) return undefined;
  const state = r.optText(analysis, "state", `${path}.analysis`);
  if (state === undefined || !Object.hasOwn(ANALYSIS, state)) return undefined;
  const justification = r.optText(analysis, "justification", `${path}.analysis`) ?? r.optText(analysis, "detail", `${path}.analysis`);
  return { status: ANALYSIS[state]!, source: `cyclonedx:analysis.${state}`, ...(justification ? { justification } : {}) };
}
