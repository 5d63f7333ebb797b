// OpenVEX documents (v0.2.0, and the v0.0.x forms still in circulation). They carry no findings;
// their statements suppress findings of other reports during correlation (strategy vex-suppressed).
import type { ArtifactRef, ParsedReport, VexStatement, VexStatus } from "../model.js";
import { EMPTY } from "../model.js";
import { describeKeys, forEachElement, timestampOf, type Obj, Reader } from "./read.js";

const r = new Reader("openvex");

const STATUSES: ReadonlySet<string> = new Set<VexStatus>(["not_affected", "affected", "fixed", "under_investigation"]);

export function parseOpenVex(root: unknown, subject: ArtifactRef, source?: string): ParsedReport {
  const doc = r.object(root, "$");
  const context = r.optText(doc, "@context", "$");
  if (!context?.startsWith("https://openvex.dev/ns")) {
    throw r.error(`not an OpenVEX document: $.@context is ${context === undefined ? "missing" : JSON.stringify(context)} (${describeKeys(doc)})`, "$.@context");
  }
  const docId = r.optText(doc, "@id", "$") ?? source ?? "openvex";
  const docTime = timestampOf(r.optString(doc, "timestamp", "$"));
  const tooling = r.optText(doc, "tooling", "$");
  const statements = r.optArray(doc, "statements", "$");
  if (!statements) throw r.error("an OpenVEX document must have a statements array", "$.statements");
  const vex: VexStatement[] = [];
  forEachElement(statements, "$.statements", (s, p) => vex.push(statement(r.object(s, p), p, docId, docTime)));
  return { format: "openvex", scanner: { name: tooling ?? "openvex" }, artifact: subject, findings: [], vex, inventory: [], skipped: {}, ...(docTime ? { scannedAt: docTime } : {}) };
}

function statement(s: Obj, path: string, source: string, docTime: string | undefined): VexStatement {
  const v = r.member(s, "vulnerability");
  let vulnerability: string;
  let aliases: readonly string[] = EMPTY;
  if (typeof v === "string" && v.length > 0) vulnerability = v; // v0.0.x: a bare id
  else {
    const o = r.object(v, `${path}.vulnerability`);
    vulnerability = r.optText(o, "name", `${path}.vulnerability`) ?? r.string(o, "@id", `${path}.vulnerability`);
    aliases = r.optStrings(o, "aliases", `${path}.vulnerability`) ?? EMPTY;
  }
  const status = r.string(s, "status", path);
  if (!STATUSES.has(status)) throw r.error(`status ${JSON.stringify(status)} is not one of ${[...STATUSES].join(", ")}`, `${path}.status`);
  const products: string[] = [];
  const subcomponents: string[] = [];
  const list = r.optArray(s, "products", path);
  if (list) forEachElement(list, `${path}.products`, (p, pp) => products.push(...productIds(p, pp, subcomponents)));
  if (products.length === 0) throw r.error("a statement must name at least one product", `${path}.products`);
  const justification = r.optText(s, "justification", path) ?? r.optText(s, "impact_statement", path);
  const timestamp = timestampOf(r.optString(s, "timestamp", path)) ?? docTime;
  return {
    vulnerability,
    aliases,
    products,
    subcomponents,
    status: status as VexStatus,
    source,
    ...(justification ? { justification } : {}),
    ...(timestamp ? { timestamp } : {}),
  };
}

/** A product is a string (v0.0.x) or { @id, identifiers { purl, … }, subcomponents }. */
function productIds(p: unknown, path: string, subcomponents: string[]): string[] {
  if (typeof p === "string") return p.length ? [p] : [];
  const o = r.object(p, path);
  const ids: string[] = [];
  const id = r.optText(o, "@id", path);
  if (id) ids.push(id);
  const identifiers = r.optObject(o, "identifiers", path);
  const purl = identifiers ? r.optText(identifiers, "purl", `${path}.identifiers`) : undefined;
  if (purl && purl !== id) ids.push(purl);
  const subs = r.optArray(o, "subcomponents", path);
  if (subs) {
    forEachElement(subs, `${path}.subcomponents`, (sc, sp) => {
      if (typeof sc === "string") return void subcomponents.push(sc);
      const so = r.object(sc, sp);
      const sid = r.optText(so, "@id", sp);
      const sident = r.optObject(so, "identifiers", sp);
      const spurl = sident ? r.optText(sident, "purl", `${sp}.identifiers`) : undefined;
      if (sid) subcomponents.push(sid);
      if (spurl && spurl !== sid) subcomponents.push(spurl);
    });
  }
  return ids;
}
