// SARIF 2.1.0 from any tool. Severity, in order of preference: `security-severity` (GitHub's 0–10
// score, on the result or its rule), a CVSS v3 score some tools put in properties (OWASP
// dependency-check), a severity word in properties, then the SARIF level (error → HIGH,
// warning → MEDIUM, note → LOW). Results marked suppressed (accepted) are kept as suppressed;
// results that passed, do not apply, or are absent from this run are skipped and counted.
import type { ArtifactRef, Finding, ParsedReport, ScannerRef, Severity, SourceLocation, Suppression } from "../model.js";
import { EMPTY, severityFromScore, severityFromWord } from "../model.js";
import { describeKeys, forEachElement, timestampOf, type Obj, Reader } from "./read.js";

const r = new Reader("sarif");

const LEVELS: Readonly<Record<string, Severity>> = { error: "HIGH", warning: "MEDIUM", note: "LOW", none: "LOW" };
const VULN_ID = /^(CVE-\d{4}-\d{4,}|GHSA(-[23456789cfghjmpqrvwx]{4}){3})$/i;

interface Rule {
  readonly id: string;
  readonly name?: string;
  readonly title?: string;
  readonly level?: string;
  readonly properties?: Obj;
  readonly messages?: Obj;
}

export function parseSarif(root: unknown, subject: ArtifactRef): ParsedReport {
  const doc = r.object(root, "$");
  const version = r.optText(doc, "version", "$");
  const runs = r.optArray(doc, "runs", "$");
  if (!runs) throw r.error(`not a SARIF log: $.runs is missing (${describeKeys(doc)})`, "$");
  if (version !== undefined && !version.startsWith("2.1")) throw r.error(`unsupported SARIF version ${JSON.stringify(version)} (FixOps reads 2.1.0)`, "$.version");
  const findings: Finding[] = [];
  const skipped: Record<string, number> = {};
  let first: ScannerRef | undefined;
  forEachElement(runs, "$.runs", (rv, rp) => {
    const scanner = readRun(r.object(rv, rp), rp, subject, findings, skipped);
    first ??= scanner;
  });
  return { format: "sarif", scanner: first ?? { name: "sarif" }, artifact: subject, findings, vex: [], inventory: [], skipped };
}

function readRun(run: Obj, path: string, artifact: ArtifactRef, findings: Finding[], skipped: Record<string, number>): ScannerRef {
  const tp = `${path}.tool`;
  const tool = r.object(r.member(run, "tool"), tp);
  const driver = r.object(r.member(tool, "driver"), `${tp}.driver`);
  const name = r.string(driver, "name", `${tp}.driver`);
  const version = r.optText(driver, "semanticVersion", `${tp}.driver`) ?? r.optText(driver, "version", `${tp}.driver`);
  const scanner: ScannerRef = { name, ...(version ? { version } : {}) };
  const driverRules = readRules(driver, `${tp}.driver`);
  const byId = new Map<string, Rule>();
  for (const rule of driverRules) byId.set(rule.id, rule);
  const extensions = r.optArray(tool, "extensions", tp);
  if (extensions) forEachElement(extensions, `${tp}.extensions`, (e, ep) => readRules(r.object(e, ep), ep).forEach((rule) => byId.has(rule.id) || byId.set(rule.id, rule)));

  const results = r.optArray(run, "results", path);
  if (!results) return scanner;
  const skip = (why: string) => (skipped[why] = (skipped[why] ?? 0) + 1);
  forEachElement(results, `${path}.results`, (v, p) => {
    const res = r.object(v, p);
    const kind = r.optText(res, "kind", p) ?? "fail";
    if (kind === "pass" || kind === "notApplicable") return skip(`results of kind ${kind}`);
    if (r.optText(res, "baselineState", p) === "absent") return skip("results absent from this run (baselineState absent)");
    findings.push(result(res, p, { scanner, artifact, driverRules, byId }));
  });
  return scanner;
}

function readRules(component: Obj, path: string): Rule[] {
  const list = r.optArray(component, "rules", path);
  if (!list) return [];
  const out: Rule[] = [];
  forEachElement(list, `${path}.rules`, (v, p) => {
    const rule = r.object(v, p);
    const id = r.string(rule, "id", p);
    const name = r.optText(rule, "name", p);
    const short = r.optObject(rule, "shortDescription", p);
    const title = short ? r.optText(short, "text", `${p}.shortDescription`) : undefined;
    const config = r.optObject(rule, "defaultConfiguration", p);
    const level = config ? r.optText(config, "level", `${p}.defaultConfiguration`) : undefined;
    const properties = r.optObject(rule, "properties", p);
    const messages = r.optObject(rule, "messageStrings", p);
    out.push({ id, ...(name ? { name } : {}), ...(title ? { title } : {}), ...(level ? { level } : {}), ...(properties ? { properties } : {}), ...(messages ? { messages } : {}) });
  });
  return out;
}

interface RunContext {
  readonly scanner: ScannerRef;
  readonly artifact: ArtifactRef;
  readonly driverRules: readonly Rule[];
  readonly byId: ReadonlyMap<string, Rule>;
}

function result(res: Obj, path: string, run: RunContext): Finding {
  const ruleIndex = r.optNumber(res, "ruleIndex", path);
  const ruleRef = r.optObject(res, "rule", path);
  const ruleId = r.optText(res, "ruleId", path) ?? (ruleRef ? r.optText(ruleRef, "id", `${path}.rule`) : undefined);
  const rule = (ruleId !== undefined ? run.byId.get(ruleId) : undefined) ?? (ruleIndex !== undefined ? run.driverRules[ruleIndex] : undefined);
  const id = ruleId ?? rule?.id;
  if (id === undefined) throw r.error("a result must name its rule (ruleId, rule.id or ruleIndex)", path);
  const level = r.optText(res, "level", path) ?? rule?.level ?? "warning";
  const props = r.optObject(res, "properties", path);
  const { severity, score } = severityOf(props, rule?.properties, level, path);
  const message = messageText(r.optObject(res, "message", path), rule, `${path}.message`);
  const title = rule?.title ?? rule?.name ?? message;
  const location = firstLocation(res, path);
  const partialFingerprints = stringMap(r.optObject(res, "partialFingerprints", path), `${path}.partialFingerprints`);
  const fingerprints = stringMap(r.optObject(res, "fingerprints", path), `${path}.fingerprints`);
  const provenance = r.optObject(res, "provenance", path);
  const firstSeen = provenance ? timestampOf(r.optString(provenance, "firstDetectionTimeUtc", `${path}.provenance`)) : undefined;
  const lastSeen = provenance ? timestampOf(r.optString(provenance, "lastDetectionTimeUtc", `${path}.provenance`)) : undefined;
  const suppression = suppressionOf(res, path);
  return {
    kind: VULN_ID.test(id) ? "vulnerability" : "code",
    id,
    aliases: EMPTY,
    severity,
    cvss: EMPTY,
    artifact: run.artifact,
    scanner: run.scanner,
    rule: { id, ...(rule?.name ? { name: rule.name } : {}) },
    ...(score !== undefined ? { severityScore: score } : {}),
    ...(title ? { title: title.length > 200 ? `${title.slice(0, 199)}…` : title } : {}),
    ...(location ? { location, target: location.uri } : {}),
    ...(partialFingerprints ? { partialFingerprints } : {}),
    ...(fingerprints ? { toolKey: Object.keys(fingerprints).sort().map((k) => `${k}=${fingerprints[k]}`).join("|") } : {}),
    ...(firstSeen ? { firstSeen } : {}),
    ...(lastSeen ? { lastSeen } : {}),
    ...(suppression ? { suppression } : {}),
  };
}

function severityOf(props: Obj | undefined, ruleProps: Obj | undefined, level: string, path: string): { severity: Severity; score?: number } {
  for (const [p, where] of [
    [props, `${path}.properties`],
    [ruleProps, `${path}(rule).properties`],
  ] as const) {
    if (!p) continue;
    const s = r.optNumber(p, "security-severity", where);
    if (s !== undefined) return { severity: severityFromScore(s), score: s };
  }
  const dc = props ? r.optNumber(props, "cvssv3_baseScore", `${path}.properties`) : undefined;
  if (dc !== undefined) return { severity: severityFromScore(dc), score: dc };
  for (const p of [props, ruleProps]) {
    const word = p && typeof p.severity === "string" ? severityFromWord(p.severity) : undefined;
    if (word) return { severity: word };
  }
  return { severity: Object.hasOwn(LEVELS, level) ? LEVELS[level]! : "MEDIUM" };
}

/** The message text, resolving `message.id` + `arguments` against the rule's messageStrings. */
function messageText(message: Obj | undefined, rule: Rule | undefined, path: string): string | undefined {
  if (!message) return undefined;
  const text = r.optText(message, "text", path);
  if (text) return text;
  const id = r.optText(message, "id", path);
  const template = id && rule?.messages && Object.hasOwn(rule.messages, id) ? rule.messages[id] : undefined;
  if (typeof template !== "object" || template === null) return undefined;
  const t = (template as Obj).text;
  if (typeof t !== "string") return undefined;
  const args = r.optStrings(message, "arguments", path) ?? [];
  return t.replace(/\{(\d+)\}/g, (m, i: string) => args[Number(i)] ?? m);
}

function firstLocation(res: Obj, path: string): SourceLocation | undefined {
  const locations = r.optArray(res, "locations", path);
  let loc: SourceLocation | undefined;
  if (locations && locations.length > 0) {
    forEachElement(locations, `${path}.locations`, (l, lp) => {
      if (loc) return;
      const o = r.object(l, lp);
      const phys = r.optObject(o, "physicalLocation", lp);
      if (phys) {
        const al = r.optObject(phys, "artifactLocation", `${lp}.physicalLocation`);
        const uri = al ? r.optText(al, "uri", `${lp}.physicalLocation.artifactLocation`) : undefined;
        const base = al ? r.optText(al, "uriBaseId", `${lp}.physicalLocation.artifactLocation`) : undefined;
        const region = r.optObject(phys, "region", `${lp}.physicalLocation`);
        const rp = `${lp}.physicalLocation.region`;
        const startLine = region ? r.optNumber(region, "startLine", rp) : undefined;
        const startColumn = region ? r.optNumber(region, "startColumn", rp) : undefined;
        const endLine = region ? r.optNumber(region, "endLine", rp) : undefined;
        const endColumn = region ? r.optNumber(region, "endColumn", rp) : undefined;
        if (uri) {
          loc = {
            uri: base ? `%${base}%/${uri}` : uri,
            ...(startLine !== undefined ? { startLine } : {}),
            ...(startColumn !== undefined ? { startColumn } : {}),
            ...(endLine !== undefined ? { endLine } : {}),
            ...(endColumn !== undefined ? { endColumn } : {}),
          };
          return;
        }
      }
      const logical = r.optArray(o, "logicalLocations", lp);
      if (logical && logical.length > 0) {
        forEachElement(logical, `${lp}.logicalLocations`, (ll, llp) => {
          const fqn = loc ? undefined : r.optText(r.object(ll, llp), "fullyQualifiedName", llp);
          if (fqn) loc = { uri: fqn };
        });
      }
    });
  }
  if (loc) return loc;
  const target = r.optObject(res, "analysisTarget", path);
  const uri = target ? r.optText(target, "uri", `${path}.analysisTarget`) : undefined;
  return uri ? { uri } : undefined;
}

function stringMap(o: Obj | undefined, path: string): Record<string, string> | undefined {
  if (!o) return undefined;
  const out: Record<string, string> = {};
  let any = false;
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (typeof v !== "string") throw r.error(`expected a string, found ${typeof v}`, `${path}.${k}`);
    out[k] = v;
    any = true;
  }
  return any ? out : undefined;
}

/** SARIF §3.35: a result is suppressed when a suppression has no status or status "accepted". */
function suppressionOf(res: Obj, path: string): Suppression | undefined {
  const list = r.optArray(res, "suppressions", path);
  if (!list) return undefined;
  let found: Suppression | undefined;
  forEachElement(list, `${path}.suppressions`, (s, sp) => {
    const o = r.object(s, sp);
    const status = r.optText(o, "status", sp);
    if (found || (status !== undefined && status !== "accepted")) return;
    const justification = r.optText(o, "justification", sp) ?? r.optText(o, "kind", sp);
    found = { status: "not_affected", source: "sarif:suppression", ...(justification ? { justification } : {}) };
  });
  return found;
}
