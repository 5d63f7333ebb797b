// EPSS and CISA KEV snapshots from their published text. No I/O here: callers fetch (URL, file,
// ConfigMap) and pass the text; snapshots carry their version and date so every decision can say
// which feed data it used.
import { gunzipSync } from "node:zlib";
import { z } from "zod";
import { FeedParseError } from "./errors.js";
import { idKey } from "./model.js";

export interface EpssScore {
  /** Probability of exploitation activity in the next 30 days, 0..1. */
  readonly probability: number;
  /** Rank among all scored CVEs, 0..1. */
  readonly percentile: number;
}

export interface EpssSnapshot {
  readonly feed: "epss";
  readonly modelVersion?: string;
  /** `YYYY-MM-DD` of the scores. */
  readonly scoreDate?: string;
  readonly count: number;
  /** `epss:<model>@<date>`, recorded in decisions. */
  readonly version: string;
  get(cve: string): EpssScore | undefined;
}

export interface KevEntry {
  readonly cveId: string;
  readonly dateAdded: string;
  /** Remediation due date CISA set for federal agencies (`YYYY-MM-DD`). */
  readonly dueDate: string;
  readonly knownRansomwareCampaignUse?: string;
  readonly vulnerabilityName?: string;
}

export interface KevSnapshot {
  readonly feed: "kev";
  readonly catalogVersion: string;
  readonly dateReleased: string;
  readonly count: number;
  /** `kev:<catalogVersion>`, recorded in decisions. */
  readonly version: string;
  get(cve: string): KevEntry | undefined;
}

/** The feed data a decision is made with; either may be missing (lower confidence, not failure). */
export interface FeedSnapshots {
  readonly epss?: EpssSnapshot;
  readonly kev?: KevSnapshot;
}

// ---- EPSS --------------------------------------------------------------------------------------

/**
 * Parses the EPSS CSV (already decompressed): an optional `#model_version:…,score_date:…` line, the
 * header `cve,epss,percentile`, then one row per CVE.
 */
export function parseEpssCsv(text: string): EpssSnapshot {
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let lineNo = 0;
  const nextLine = (): string | undefined => {
    if (pos >= text.length) return undefined;
    let end = text.indexOf("\n", pos);
    if (end < 0) end = text.length;
    const line = text.slice(pos, end > pos && text.charCodeAt(end - 1) === 13 ? end - 1 : end);
    pos = end + 1;
    lineNo++;
    return line;
  };

  let modelVersion: string | undefined;
  let scoreDate: string | undefined;
  let line = nextLine();
  while (line !== undefined && line.startsWith("#")) {
    // `#model_version:v2025.03.14,score_date:2026-04-10T00:00:00+0000`: split on ",", then on the first ":".
    for (const part of line.slice(1).split(",")) {
      const colon = part.indexOf(":");
      if (colon < 0) continue;
      const key = part.slice(0, colon).trim();
      const value = part.slice(colon + 1).trim();
      if (key === "model_version") modelVersion = value;
      else if (key === "score_date") scoreDate = dateOnly(value, lineNo);
    }
    line = nextLine();
  }
  if (line === undefined) throw new FeedParseError("epss", "no header line: expected cve,epss,percentile", { line: lineNo + 1 });
  const header = line.split(",").map((h) => h.trim().toLowerCase());
  const iCve = header.indexOf("cve");
  const iEpss = header.indexOf("epss");
  const iPct = header.indexOf("percentile");
  if (iCve < 0 || iEpss < 0 || iPct < 0) throw new FeedParseError("epss", `header is ${JSON.stringify(line)}; expected cve,epss,percentile`, { line: lineNo });

  // Scores live in typed arrays, CVE ids in one Map: ~300k rows cost a few tens of MB, not hundreds.
  const index = new Map<string, number>();
  let probs: Float64Array = new Float64Array(1 << 16);
  let pcts: Float64Array = new Float64Array(1 << 16);
  let n = 0;
  for (line = nextLine(); line !== undefined; line = nextLine()) {
    if (line.length === 0) continue;
    const cols = line.split(",");
    const cve = cols[iCve]?.trim();
    const p = Number(cols[iEpss]);
    const q = Number(cols[iPct]);
    if (!cve || !/^CVE-\d{4}-\d{4,}$/i.test(cve)) throw new FeedParseError("epss", `${JSON.stringify(cols[iCve] ?? "")} is not a CVE id`, { line: lineNo });
    if (!(p >= 0 && p <= 1) || !(q >= 0 && q <= 1)) throw new FeedParseError("epss", `epss and percentile must be numbers in 0..1 (got ${cols[iEpss]}, ${cols[iPct]})`, { line: lineNo });
    if (n === probs.length) {
      probs = grow(probs);
      pcts = grow(pcts);
    }
    index.set(idKey(cve), n);
    probs[n] = p;
    pcts[n] = q;
    n++;
  }
  if (n === 0) throw new FeedParseError("epss", "the feed has a header but no scores", { line: lineNo });
  const version = `epss:${modelVersion ?? "unknown-model"}@${scoreDate ?? "unknown-date"}`;
  const finalProbs = probs;
  const finalPcts = pcts;
  return {
    feed: "epss",
    count: n,
    version,
    ...(modelVersion ? { modelVersion } : {}),
    ...(scoreDate ? { scoreDate } : {}),
    get(cve: string): EpssScore | undefined {
      const i = index.get(idKey(cve));
      return i === undefined ? undefined : { probability: finalProbs[i]!, percentile: finalPcts[i]! };
    },
  };
}

function grow(a: Float64Array): Float64Array {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}

/** score_date has been seen as `…T00:00:00+0000`, `…Z` and a bare date. */
function dateOnly(value: string, line: number): string {
  const m = /^(\d{4}-\d{2}-\d{2})/.exec(value);
  if (!m) throw new FeedParseError("epss", `score_date ${JSON.stringify(value)} is not a date`, { line });
  return m[1]!;
}

// ---- KEV ---------------------------------------------------------------------------------------

const ymd = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be YYYY-MM-DD");
const KevCatalog = z.object({
  catalogVersion: z.string().min(1),
  dateReleased: z.string().refine((s) => !Number.isNaN(Date.parse(s)), "must be a date-time"),
  count: z.number().int().min(0),
  vulnerabilities: z.array(
    z.looseObject({
      cveID: z.string().regex(/^CVE-\d{4}-\d{4,19}$/, "must be a CVE id"),
      vendorProject: z.string(),
      product: z.string(),
      vulnerabilityName: z.string(),
      dateAdded: ymd,
      shortDescription: z.string(),
      requiredAction: z.string(),
      dueDate: ymd,
      knownRansomwareCampaignUse: z.string().optional(),
    }),
  ),
});

/** Parses the CISA KEV catalog JSON (`known_exploited_vulnerabilities.json`). */
export function parseKevCatalog(text: string): KevSnapshot {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new FeedParseError("kev", `not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = KevCatalog.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new FeedParseError("kev", issue.message, { path: `$${issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("")}` });
  }
  const cat = parsed.data;
  const entries = new Map<string, KevEntry>();
  for (const v of cat.vulnerabilities) {
    entries.set(idKey(v.cveID), {
      cveId: v.cveID,
      dateAdded: v.dateAdded,
      dueDate: v.dueDate,
      vulnerabilityName: v.vulnerabilityName,
      ...(v.knownRansomwareCampaignUse ? { knownRansomwareCampaignUse: v.knownRansomwareCampaignUse } : {}),
    });
  }
  return {
    feed: "kev",
    catalogVersion: cat.catalogVersion,
    dateReleased: cat.dateReleased,
    count: entries.size,
    version: `kev:${cat.catalogVersion}`,
    get: (cve: string) => entries.get(idKey(cve)),
  };
}

// ---- Either feed, as published ---------------------------------------------------------------------

export type FeedName = "epss" | "kev";

/**
 * Decodes a feed file as it is published or downloaded: gzip (FIRST publishes EPSS as .csv.gz) or
 * plain text, then parses it. Errors are FeedParseErrors naming the feed.
 */
export function decodeFeed(feed: "epss", bytes: Uint8Array): EpssSnapshot;
export function decodeFeed(feed: "kev", bytes: Uint8Array): KevSnapshot;
export function decodeFeed(feed: FeedName, bytes: Uint8Array): EpssSnapshot | KevSnapshot;
export function decodeFeed(feed: FeedName, bytes: Uint8Array): EpssSnapshot | KevSnapshot {
  let data = bytes;
  if (data[0] === 0x1f && data[1] === 0x8b) {
    try {
      data = gunzipSync(data);
    } catch (err) {
      throw new FeedParseError(feed, `looks gzip-compressed but cannot be decompressed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("utf8");
  return feed === "epss" ? parseEpssCsv(text) : parseKevCatalog(text);
}
