// Correlation: raw findings → unique findings (clusters). Each strategy derives a key from a finding;
// findings that share a key are one finding. Every key starts with its strategy name and version
// (`vuln-package-version/v1|…`), so a change to how a key is built never silently matches keys
// stored by an older version. The noise reduction (raw vs unique, and what each strategy merged) is
// measured, not estimated.
import type { ArtifactRef, Finding, InventoryPackage, Suppression, VexStatement } from "./model.js";
import { EMPTY, idKey, isCveId, severityRank } from "./model.js";
import { normaliseVersion, packageIdentity, parsePurl } from "./purl.js";

export type StrategyName = "tool-id" | "vuln-package-version" | "alias-closure" | "sarif-rule-location" | "cross-scanner" | "package-across-images" | "vex-suppressed";

export interface CorrelationStrategy {
  readonly name: StrategyName;
  /** Bumped whenever the key changes; part of every key the strategy produces. */
  readonly version: number;
  readonly description: string;
}

export const STRATEGIES: readonly CorrelationStrategy[] = [
  { name: "tool-id", version: 1, description: "same scanner, same artifact, same id the scanner gave the finding (SARIF fingerprints, Grype package id + vulnerability, Trivy package UID + vulnerability)" },
  { name: "vuln-package-version", version: 1, description: "same vulnerability id in the same package name and version on the same digest" },
  { name: "alias-closure", version: 1, description: "ids linked by the reports' own alias data (CVE ↔ GHSA ↔ vendor ids) count as one vulnerability; two different CVEs are never joined" },
  { name: "sarif-rule-location", version: 1, description: "same tool, rule and location (file + partialFingerprints when present, else file + line + column)" },
  { name: "cross-scanner", version: 1, description: "same vulnerability (after alias closure) in the same package identity (purl type/namespace/name) and version, reported by different scanners; every scanner is kept in foundBy" },
  { name: "package-across-images", version: 1, description: "groups (does not merge) unique findings of the same vulnerability in the same package version across different images, for one remediation task" },
  { name: "vex-suppressed", version: 1, description: "a VEX statement (OpenVEX, CycloneDX analysis, scanner VEX status) with status not_affected or fixed for the vulnerability and product takes the finding out" },
];

const V = Object.fromEntries(STRATEGIES.map((s) => [s.name, `${s.name}/v${s.version}`])) as Readonly<Record<StrategyName, string>>;

/** How the cluster key (the fingerprint a finding keeps across scans) is built. */
export const FINGERPRINT_VERSION = "finding/v1";

export interface FindingCluster {
  /** Versioned fingerprint: stable across scans of the same artifact for the same problem. */
  readonly key: string;
  /** The merged view of the cluster's findings (the finding itself when it stands alone). */
  readonly finding: Finding;
  /** Every id the cluster answers to: the finding's own first, then aliases and merged ids. */
  readonly ids: readonly string[];
  /** Raw findings merged into this one. */
  readonly members: number;
  /** Scanners that reported it. */
  readonly foundBy: readonly string[];
  /** Strategies that merged raw findings into it. */
  readonly matchedBy: readonly StrategyName[];
  readonly suppressed?: Suppression;
  /** Package paths / targets of the merged findings (at most 10). */
  readonly locations: readonly string[];
}

export interface PackageGroup {
  /** `package-across-images/v1|…` */
  readonly key: string;
  readonly vulnerabilityId: string;
  readonly package: string;
  readonly version: string;
  /** Artifact keys (digest or image) the package version is vulnerable in. */
  readonly artifacts: readonly string[];
}

export interface CorrelationStats {
  readonly raw: number;
  /** Unique findings still standing (not suppressed). */
  readonly unique: number;
  /** Unique findings suppressed by VEX / suppressions. */
  readonly suppressed: number;
  /** (raw − unique) / raw, in percent, one decimal. */
  readonly noiseReductionPercent: number;
  /**
   * What each strategy did: raw findings it folded into another (merging strategies), groups it
   * formed (package-across-images), unique findings it took out (vex-suppressed).
   */
  readonly byStrategy: Readonly<Record<StrategyName, number>>;
}

export interface Correlation {
  readonly clusters: FindingCluster[];
  readonly groups: PackageGroup[];
  readonly stats: CorrelationStats;
}

export interface CorrelateOptions {
  /** VEX statements (OpenVEX documents) to apply. */
  vex?: readonly VexStatement[];
  /** SBOM inventory: fills in purls of findings that lack one, for VEX product matching. */
  inventory?: readonly InventoryPackage[];
}

// ---- Alias closure -------------------------------------------------------------------------------

/**
 * Union-find over vulnerability ids. Links come from the reports' own alias data; a link that
 * would put two different CVEs in one set is refused (a vendor advisory listing five CVEs must not
 * make them one vulnerability).
 */
export class AliasIndex {
  private readonly index = new Map<string, number>();
  private readonly parent: number[] = [];
  private readonly cve: (string | undefined)[] = [];
  private readonly least: string[] = [];

  private node(id: string): number {
    const k = idKey(id);
    let i = this.index.get(k);
    if (i === undefined) {
      i = this.parent.length;
      this.index.set(k, i);
      this.parent.push(i);
      this.cve.push(isCveId(k) ? k : undefined);
      this.least.push(k);
    }
    return i;
  }

  private find(i: number): number {
    let r = i;
    while (this.parent[r] !== r) r = this.parent[r]!;
    while (this.parent[i] !== r) {
      const next = this.parent[i]!;
      this.parent[i] = r;
      i = next;
    }
    return r;
  }

  /** Links two ids; false when the link was refused (it would join two different CVEs). */
  link(a: string, b: string): boolean {
    const ra = this.find(this.node(a));
    const rb = this.find(this.node(b));
    if (ra === rb) return true;
    const ca = this.cve[ra];
    const cb = this.cve[rb];
    if (ca !== undefined && cb !== undefined && ca !== cb) return false;
    this.parent[rb] = ra;
    this.cve[ra] = ca ?? cb;
    if (this.least[rb]! < this.least[ra]!) this.least[ra] = this.least[rb]!;
    return true;
  }

  has(id: string): boolean {
    return this.index.has(idKey(id));
  }

  /** The id a set is known by: its CVE, else its smallest id (upper-cased). */
  canonical(id: string): string {
    const k = idKey(id);
    const i = this.index.get(k);
    if (i === undefined) return k;
    const r = this.find(i);
    return this.cve[r] ?? this.least[r]!;
  }
}

export function buildAliasIndex(findings: readonly Finding[], vex: readonly VexStatement[] = EMPTY): AliasIndex {
  const idx = new AliasIndex();
  for (const f of findings) for (const a of f.aliases) idx.link(f.id, a);
  for (const s of vex) for (const a of s.aliases) idx.link(s.vulnerability, a);
  return idx;
}

// ---- Strategy keys (each exported so that it can be tested on its own) ---------------------------

/** Joins artifact references that name the same image (tag and digest seen together). */
export class ArtifactKeys {
  private readonly digestOfImage = new Map<string, string>();
  constructor(findings: readonly Finding[]) {
    let last: ArtifactRef | undefined;
    for (const f of findings) {
      if (f.artifact === last) continue; // artifacts are shared per report: skip repeats cheaply
      last = f.artifact;
      if (f.artifact.image && f.artifact.digest) this.digestOfImage.set(f.artifact.image, f.artifact.digest);
    }
  }
  key(a: ArtifactRef): string {
    return a.digest ?? (a.image !== undefined ? (this.digestOfImage.get(a.image) ?? a.image) : "");
  }
}

export interface KeyContext {
  readonly aliases: AliasIndex;
  /** Package identity (purl type/namespace/name) of a finding that has a package. */
  readonly identity: (f: Finding) => string;
}

/**
 * What each merging strategy compares, without its version prefix (`key` below adds it). The
 * artifact is passed in: the caller decides how it is spelled (a digest, or a short token in maps).
 */
const KEY_BODY: Readonly<Record<Exclude<StrategyName, "package-across-images" | "vex-suppressed">, (f: Finding, artifact: string, ctx: KeyContext) => string | undefined>> = {
  "tool-id": (f, artifact) => (f.toolKey === undefined ? undefined : `${artifact}|${f.scanner.name}|${f.toolKey}`),
  "vuln-package-version": (f, artifact) => (f.kind !== "vulnerability" || !f.package ? undefined : `${artifact}|${idKey(f.id)}|${f.package.name}|${f.package.version ?? ""}`),
  "alias-closure": (f, artifact, ctx) => {
    if (f.kind !== "vulnerability" || !f.package) return undefined;
    // An id outside every alias set cannot meet another id here; its key would only repeat vuln-package-version.
    if (f.aliases.length === 0 && !ctx.aliases.has(f.id)) return undefined;
    return `${artifact}|${ctx.aliases.canonical(f.id)}|${f.package.name}|${f.package.version ?? ""}`;
  },
  "sarif-rule-location": (f, artifact) => {
    if (!f.rule || !f.location) return undefined;
    const pf = f.partialFingerprints;
    const where = pf
      ? Object.keys(pf)
          .sort()
          .map((k) => `${k}=${pf[k]}`)
          .join(",")
      : `${f.location.startLine ?? ""}:${f.location.startColumn ?? ""}`;
    return `${artifact}|${f.scanner.name}|${f.rule.id}|${f.location.uri}|${where}`;
  },
  "cross-scanner": (f, artifact, ctx) =>
    f.kind !== "vulnerability" || !f.package ? undefined : `${artifact}|${ctx.aliases.canonical(f.id)}|${ctx.identity(f)}@${normaliseVersion(f.package.version)}`,
};

/** A merging strategy's versioned key for a finding (undefined when the strategy does not apply). */
export function strategyKey(name: keyof typeof KEY_BODY, f: Finding, artifact: string, ctx: KeyContext): string | undefined {
  const body = KEY_BODY[name](f, artifact, ctx);
  return body === undefined ? undefined : `${V[name]}|${body}`;
}

/** The grouping key of package-across-images (no artifact: it groups across them). */
export function packageAcrossImagesKey(f: Finding, ctx: KeyContext): string | undefined {
  if (f.kind !== "vulnerability" || !f.package) return undefined;
  return `${V["package-across-images"]}|${ctx.aliases.canonical(f.id)}|${ctx.identity(f)}@${normaliseVersion(f.package.version)}`;
}

/** The fingerprint a unique finding keeps across scans. */
export function clusterKey(f: Finding, artifact: string, ctx: KeyContext): string {
  if (f.kind === "vulnerability" && f.package) return `${FINGERPRINT_VERSION}|${artifact}|${ctx.aliases.canonical(f.id)}|${ctx.identity(f)}@${normaliseVersion(f.package.version)}`;
  if (f.rule && f.location) return `${FINGERPRINT_VERSION}|${artifact}|${f.scanner.name}|${f.rule.id}|${f.location.uri}|${f.location.startLine ?? ""}`;
  return `${FINGERPRINT_VERSION}|${artifact}|${f.scanner.name}|${f.kind}|${idKey(f.id)}|${f.toolKey ?? f.target ?? ""}`;
}

/** Package identity, cached per distinct package (a large report repeats packages a lot). */
export function identityCache(): (f: Finding) => string {
  const cache = new Map<string, string>();
  return (f) => {
    const p = f.package!;
    const k = p.purl ?? `${p.type ?? ""}\u0000${p.name}`;
    let v = cache.get(k);
    if (v === undefined) {
      v = packageIdentity(p);
      cache.set(k, v);
    }
    return v;
  };
}

// ---- VEX -----------------------------------------------------------------------------------------

/** Does a VEX statement's product (or subcomponent) name this finding's package or image? */
export function vexApplies(s: VexStatement, f: Finding, identity: (f: Finding) => string): boolean {
  const pkgMatch = (product: string): boolean => {
    if (!f.package) return false;
    const p = parsePurl(product);
    if (!p) return false;
    const productIdentity = packageIdentity({ name: p.name, purl: product });
    if (productIdentity !== identity(f)) return false;
    return p.version === undefined || normaliseVersion(p.version) === normaliseVersion(f.package.version);
  };
  const imageMatch = (product: string): boolean => {
    const p = parsePurl(product);
    const digest = p ? (p.type === "oci" || p.type === "docker" ? p.version : undefined) : /sha256:[a-f0-9]{64}/.exec(product)?.[0];
    if (digest && f.artifact.digest) return digest.toLowerCase() === f.artifact.digest;
    return !p && f.artifact.image !== undefined && product === f.artifact.image;
  };
  for (const product of s.products) {
    if (pkgMatch(product)) return true;
    if (imageMatch(product)) {
      // A statement about an image covers all of it, or only the subcomponents it names.
      if (s.subcomponents.length === 0 || s.subcomponents.some(pkgMatch)) return true;
    }
  }
  return false;
}

function latest(a: VexStatement, b: VexStatement): VexStatement {
  // Later statements supersede earlier ones; equal or missing timestamps keep document order.
  return (b.timestamp ?? "") >= (a.timestamp ?? "") ? b : a;
}

/**
 * A unique finding. Its fingerprint and locations are derived on first use: most callers of a
 * 100k-finding report never need them, and building them eagerly would cost tens of MB.
 */
class Cluster implements FindingCluster {
  private cachedKey: string | undefined;
  constructor(
    readonly finding: Finding,
    readonly ids: readonly string[],
    readonly members: number,
    readonly foundBy: readonly string[],
    readonly matchedBy: readonly StrategyName[],
    readonly suppressed: Suppression | undefined,
    private readonly mergedLocations: readonly string[] | undefined,
    private readonly artifact: string,
    private readonly keys: KeyContext,
  ) {}

  get key(): string {
    return (this.cachedKey ??= clusterKey(this.finding, this.artifact, this.keys));
  }

  get locations(): readonly string[] {
    if (this.mergedLocations) return this.mergedLocations;
    const l = this.finding.package?.path ?? this.finding.target;
    return l === undefined ? EMPTY : [l];
  }

  toJSON(): object {
    return { key: this.key, finding: this.finding, ids: this.ids, members: this.members, foundBy: this.foundBy, matchedBy: this.matchedBy, locations: this.locations, ...(this.suppressed ? { suppressed: this.suppressed } : {}) };
  }
}

// ---- correlateFindings -------------------------------------------------------------------------

export function correlateFindings(findings: readonly Finding[], opts: CorrelateOptions = {}): Correlation {
  const vex = opts.vex ?? EMPTY;
  const input = opts.inventory?.length ? withInventoryPurls(findings, opts.inventory) : findings;
  const n = input.length;
  const aliases = buildAliasIndex(input, vex);
  const artifacts = new ArtifactKeys(input);
  const ctx: KeyContext = { aliases, identity: identityCache() };
  // Artifacts as short tokens in the strategy maps (a digest is 71 characters, hashed per key).
  const artifactKey: string[] = new Array<string>(n);
  const token: string[] = new Array<string>(n);
  const tokens = new Map<string, string>();
  const scanners = new Set<string>();
  for (let i = 0; i < n; i++) {
    const f = input[i]!;
    const a = artifacts.key(f.artifact);
    artifactKey[i] = a;
    let t = tokens.get(a);
    if (t === undefined) tokens.set(a, (t = String(tokens.size)));
    token[i] = t;
    scanners.add(f.scanner.name);
  }

  // Union-find over raw findings.
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  const find = (i: number): number => {
    let r = i;
    while (parent[r] !== r) r = parent[r]!;
    while (parent[i] !== r) {
      const next = parent[i]!;
      parent[i] = r;
      i = next;
    }
    return r;
  };
  const merged: Record<StrategyName, number> = {
    "tool-id": 0,
    "vuln-package-version": 0,
    "alias-closure": 0,
    "sarif-rule-location": 0,
    "cross-scanner": 0,
    "package-across-images": 0,
    "vex-suppressed": 0,
  };
  const mergedBy = new Map<number, Set<StrategyName>>();
  const run = (name: keyof typeof KEY_BODY) => {
    const body = KEY_BODY[name];
    const first = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const k = body(input[i]!, token[i]!, ctx);
      if (k === undefined) continue;
      const j = first.get(k);
      if (j === undefined) {
        first.set(k, i);
        continue;
      }
      const a = find(j);
      const b = find(i);
      if (a === b) continue;
      // The smaller index stays root so that clusters keep report order.
      const [root, child] = a < b ? [a, b] : [b, a];
      parent[child] = root;
      merged[name]++;
      const set = mergedBy.get(root) ?? new Set<StrategyName>();
      set.add(name);
      const childSet = mergedBy.get(child);
      if (childSet) {
        for (const s of childSet) set.add(s);
        mergedBy.delete(child);
      }
      mergedBy.set(root, set);
    }
  };
  run("tool-id");
  run("vuln-package-version");
  run("alias-closure");
  run("sarif-rule-location");
  // Across scanners by definition: with one scanner there is nothing for it to join.
  if (scanners.size > 1) run("cross-scanner");

  // Collect members per root, in report order.
  const membersOf = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const r = find(i);
    if (r === i) continue;
    const list = membersOf.get(r);
    if (list) list.push(i);
    else membersOf.set(r, [r, i]);
  }

  const vexById = indexVex(vex, aliases);
  const scannerLists = new Map<string, readonly string[]>();
  const clusters: FindingCluster[] = [];
  let suppressedCount = 0;
  for (let i = 0; i < n; i++) {
    if (parent[i] !== i) continue;
    const memberIdx = membersOf.get(i);
    const members = memberIdx ? memberIdx.map((m) => input[m]!) : undefined;
    const finding = members ? mergeFindings(members, aliases) : input[i]!;
    const ids = members || finding.aliases.length > 0 || aliases.has(finding.id) ? clusterIds(members ?? [finding], finding, aliases) : [finding.id];
    // A VEX statement is about the vulnerability in that package, whichever scanner reported it.
    let suppressed = members ? members.find((m) => m.suppression)?.suppression : finding.suppression;
    if (!suppressed && vexById.size > 0) suppressed = vexSuppression(finding, ids, vexById, ctx);
    if (suppressed) suppressedCount++;
    let foundBy: readonly string[];
    if (members) foundBy = [...new Set(members.map((m) => m.scanner.name))];
    else {
      // Most clusters have one member: share one list per scanner instead of one per cluster.
      foundBy = scannerLists.get(finding.scanner.name) ?? [finding.scanner.name];
      scannerLists.set(finding.scanner.name, foundBy);
    }
    clusters.push(
      new Cluster(finding, ids, members?.length ?? 1, foundBy, mergedBy.has(i) ? [...mergedBy.get(i)!] : EMPTY, suppressed, members ? locationsOf(members) : undefined, artifactKey[i]!, ctx),
    );
  }
  merged["vex-suppressed"] = suppressedCount;

  // Grouping across images needs at least two of them.
  const groups = tokens.size > 1 ? packageGroups(clusters, ctx, artifacts) : [];
  merged["package-across-images"] = groups.length;
  const unique = clusters.length - suppressedCount;
  return {
    clusters,
    groups,
    stats: {
      raw: n,
      unique,
      suppressed: suppressedCount,
      noiseReductionPercent: n === 0 ? 0 : Math.round(((n - unique) / n) * 1000) / 10,
      byStrategy: merged,
    },
  };
}

function withInventoryPurls(findings: readonly Finding[], inventory: readonly InventoryPackage[]): Finding[] {
  const purls = new Map<string, string>();
  for (const p of inventory) if (p.purl) purls.set(`${p.name}\u0000${p.version ?? ""}`, p.purl);
  return findings.map((f) => {
    if (!f.package || f.package.purl) return f;
    const purl = purls.get(`${f.package.name}\u0000${f.package.version ?? ""}`);
    return purl ? { ...f, package: { ...f.package, purl } } : f;
  });
}

function clusterIds(members: readonly Finding[], finding: Finding, aliases: AliasIndex): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  const add = (id: string) => {
    const k = idKey(id);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(id);
    }
  };
  add(finding.id);
  for (const m of members) {
    add(m.id);
    for (const a of m.aliases) add(a);
  }
  // A CVE reached through the alias closure (not named by these findings) still identifies them.
  if (aliases.has(finding.id)) {
    const canonical = aliases.canonical(finding.id);
    if (isCveId(canonical)) add(canonical);
  }
  return out;
}

/** One view of several raw findings: the most severe rating, all ids, ratings and fix data. */
function mergeFindings(members: readonly Finding[], aliases: AliasIndex): Finding {
  const canonical = aliases.canonical(members[0]!.id);
  // Prefer the member named by the canonical id (usually the CVE), then one with a purl.
  const lead = members.find((m) => idKey(m.id) === canonical && m.package?.purl) ?? members.find((m) => idKey(m.id) === canonical) ?? members.find((m) => m.package?.purl) ?? members[0]!;
  let severity = lead.severity;
  let severitySource = lead.severitySource;
  const ids = new Map<string, string>();
  const ratings = new Map<string, Finding["cvss"][number]>();
  let fixedVersion = lead.fixedVersion;
  let fixState = lead.fixState;
  let epss = lead.epss;
  let firstSeen = lead.firstSeen;
  let lastSeen = lead.lastSeen;
  let title = lead.title;
  let severityScore = lead.severityScore;
  for (const m of members) {
    if (severityRank(m.severity) > severityRank(severity)) {
      severity = m.severity;
      severitySource = m.severitySource;
    }
    for (const id of [m.id, ...m.aliases]) if (idKey(id) !== idKey(lead.id) && !ids.has(idKey(id))) ids.set(idKey(id), id);
    for (const r of m.cvss) ratings.set(`${r.version}|${r.vector ?? ""}|${r.source ?? ""}|${r.score ?? ""}`, r);
    fixedVersion ??= m.fixedVersion;
    // A fix any scanner knows of is a fix.
    if (m.fixState === "fixed" || fixState === undefined) fixState = m.fixState ?? fixState;
    if (m.epss && (!epss || m.epss.probability > epss.probability)) epss = m.epss;
    if (m.firstSeen && (!firstSeen || m.firstSeen < firstSeen)) firstSeen = m.firstSeen;
    if (m.lastSeen && (!lastSeen || m.lastSeen > lastSeen)) lastSeen = m.lastSeen;
    title ??= m.title;
    if (m.severityScore !== undefined && (severityScore === undefined || m.severityScore > severityScore)) severityScore = m.severityScore;
  }
  return {
    ...lead,
    aliases: [...ids.values()],
    severity,
    cvss: [...ratings.values()],
    ...(severitySource ? { severitySource } : {}),
    ...(fixedVersion ? { fixedVersion } : {}),
    ...(fixState ? { fixState } : {}),
    ...(epss ? { epss } : {}),
    ...(firstSeen ? { firstSeen } : {}),
    ...(lastSeen ? { lastSeen } : {}),
    ...(title ? { title } : {}),
    ...(severityScore !== undefined ? { severityScore } : {}),
  };
}

function locationsOf(members: readonly Finding[]): string[] {
  const out: string[] = [];
  for (const m of members) {
    const l = m.package?.path ?? m.target;
    if (l !== undefined && !out.includes(l)) out.push(l);
    if (out.length === 10) break;
  }
  return out;
}

function indexVex(vex: readonly VexStatement[], aliases: AliasIndex): Map<string, VexStatement[]> {
  const map = new Map<string, VexStatement[]>();
  for (const s of vex) {
    const k = aliases.canonical(s.vulnerability);
    const list = map.get(k);
    if (list) list.push(s);
    else map.set(k, [s]);
  }
  return map;
}

function vexSuppression(f: Finding, ids: readonly string[], vexById: ReadonlyMap<string, VexStatement[]>, ctx: KeyContext): Suppression | undefined {
  let chosen: VexStatement | undefined;
  const seen = new Set<string>();
  for (const id of ids) {
    const k = ctx.aliases.canonical(id);
    if (seen.has(k)) continue;
    seen.add(k);
    for (const s of vexById.get(k) ?? EMPTY) if (vexApplies(s, f, ctx.identity)) chosen = chosen ? latest(chosen, s) : s;
  }
  if (!chosen || (chosen.status !== "not_affected" && chosen.status !== "fixed")) return undefined;
  return { status: chosen.status, source: chosen.source, ...(chosen.justification ? { justification: chosen.justification } : {}) };
}

function packageGroups(clusters: readonly FindingCluster[], ctx: KeyContext, artifacts: ArtifactKeys): PackageGroup[] {
  const byKey = new Map<string, { group: PackageGroup; artifacts: Set<string> }>();
  for (const c of clusters) {
    if (c.suppressed) continue;
    const f = c.finding;
    const k = packageAcrossImagesKey(f, ctx);
    if (k === undefined) continue;
    const a = artifacts.key(f.artifact);
    const entry = byKey.get(k);
    if (entry) entry.artifacts.add(a);
    else {
      byKey.set(k, {
        group: { key: k, vulnerabilityId: c.ids[0]!, package: ctx.identity(f), version: f.package!.version ?? "", artifacts: EMPTY },
        artifacts: new Set([a]),
      });
    }
  }
  const out: PackageGroup[] = [];
  for (const { group, artifacts: set } of byKey.values()) if (set.size > 1) out.push({ ...group, artifacts: [...set].sort() });
  return out;
}
