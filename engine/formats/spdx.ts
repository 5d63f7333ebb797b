// SPDX 2.x JSON. Mostly an inventory (packages with purls, for matching and for VEX). SPDX 2 has no
// vulnerability container: the only vulnerability signal is a SECURITY external reference of an
// advisory type whose locator names a CVE or GHSA id; those become findings of UNKNOWN severity
// (the format carries no score). CPE references identify a package and never become findings.
// SPDX 3 (JSON-LD) is a different serialisation and is refused with a clear message.
import type { ArtifactRef, Finding, InventoryPackage, ParsedReport, ScannerRef } from "../model.js";
import { EMPTY } from "../model.js";
import { describeKeys, forEachElement, timestampOf, type Obj, Reader } from "./read.js";

const r = new Reader("spdx");

const ADVISORY_TYPES = new Set(["advisory", "fix", "url", "swid"]);
const VULN_IDS = /CVE-\d{4}-\d{4,}|GHSA(?:-[23456789cfghjmpqrvwx]{4}){3}/gi;

export function parseSpdx(root: unknown, subject: ArtifactRef): ParsedReport {
  const doc = r.object(root, "$");
  const version = r.optText(doc, "spdxVersion", "$");
  if (version?.startsWith("SPDX-3") || (version === undefined && (r.member(doc, "@graph") !== undefined || r.member(doc, "@context") !== undefined))) {
    throw r.error(
      `SPDX ${version?.slice(5) ?? "3"} (JSON-LD) is not supported: export the SBOM as SPDX 2.3 JSON, or as CycloneDX`,
      version ? "$.spdxVersion" : "$.@context",
    );
  }
  if (version === undefined) throw r.error(`not an SPDX document: $.spdxVersion is missing (${describeKeys(doc)})`, "$");
  if (!/^SPDX-2\.\d+$/.test(version)) throw r.error(`unsupported spdxVersion ${JSON.stringify(version)} (FixOps reads SPDX 2.2 and 2.3 JSON)`, "$.spdxVersion");

  const creation = r.optObject(doc, "creationInfo", "$");
  const scanner = creation ? creatorTool(creation) : { name: "spdx" };
  const inventory: InventoryPackage[] = [];
  const findings: Finding[] = [];
  const packages = r.optArray(doc, "packages", "$");
  if (packages) forEachElement(packages, "$.packages", (p, pp) => readPackage(r.object(p, pp), pp, subject, scanner, inventory, findings));
  const scannedAt = creation ? timestampOf(r.optString(creation, "created", "$.creationInfo")) : undefined;
  return { format: "spdx", scanner, artifact: subject, findings, vex: [], inventory, skipped: {}, ...(scannedAt ? { scannedAt } : {}) };
}

/** `Tool: syft-1.50.0` → { name: syft, version: 1.50.0 }. */
function creatorTool(creation: Obj): ScannerRef {
  const creators = r.optStrings(creation, "creators", "$.creationInfo") ?? [];
  const tool = creators.find((c) => c.startsWith("Tool:"));
  if (!tool) return { name: "spdx" };
  const t = tool.slice(5).trim();
  const m = /^(.*?)-v?(\d[\w.+-]*)$/.exec(t);
  return m ? { name: m[1]!, version: m[2]! } : { name: t };
}

const clean = (s: string | undefined): string | undefined => (s === undefined || s === "NOASSERTION" || s === "NONE" ? undefined : s);

function readPackage(p: Obj, path: string, artifact: ArtifactRef, scanner: ScannerRef, inventory: InventoryPackage[], findings: Finding[]): void {
  const name = clean(r.optText(p, "name", path));
  const version = clean(r.optText(p, "versionInfo", path));
  let purl: string | undefined;
  const advisories: { locator: string; comment?: string }[] = [];
  const refs = r.optArray(p, "externalRefs", path);
  if (refs) {
    forEachElement(refs, `${path}.externalRefs`, (ref, rp) => {
      const o = r.object(ref, rp);
      // SPDX 2.3 JSON spells the category PACKAGE-MANAGER; some generators write PACKAGE_MANAGER.
      const category = r.optText(o, "referenceCategory", rp)?.toUpperCase().replace("_", "-");
      const type = r.optText(o, "referenceType", rp);
      const locator = clean(r.optText(o, "referenceLocator", rp));
      if (!locator) return;
      if (category === "PACKAGE-MANAGER" && type === "purl") purl ??= locator;
      else if (category === "SECURITY" && type !== undefined && ADVISORY_TYPES.has(type)) {
        const comment = r.optText(o, "comment", rp);
        advisories.push({ locator, ...(comment ? { comment } : {}) });
      }
    });
  }
  if (!name) return;
  const pkg = { name, ...(version ? { version } : {}), ...(purl ? { purl } : {}) };
  inventory.push(pkg);
  const spdxId = r.optText(p, "SPDXID", path) ?? name;
  const seen = new Set<string>();
  for (const a of advisories) {
    for (const m of `${a.locator} ${a.comment ?? ""}`.matchAll(VULN_IDS)) {
      const id = m[0].toUpperCase().startsWith("GHSA") ? `GHSA${m[0].slice(4).toLowerCase()}` : m[0].toUpperCase();
      // An advisory and a fix reference often name the same id: one finding per package and id.
      if (seen.has(id)) continue;
      seen.add(id);
      findings.push({
        kind: "vulnerability",
        id,
        aliases: EMPTY,
        severity: "UNKNOWN",
        cvss: EMPTY,
        artifact,
        scanner,
        package: pkg,
        toolKey: `${spdxId}|${id}`,
        target: a.locator,
      });
    }
  }
}
