// CVSS vectors: parsing for v2, v3.0, v3.1 and v4.0; base scores for v2 and v3.x per their
// specifications. v4.0 scores come from macro-vector lookup tables, not a formula, so for v4 we
// validate the vector and use the score the vendor published.
import { CvssError } from "./errors.js";
import type { CvssRating, CvssVersion } from "./model.js";

export interface CvssVector {
  readonly version: CvssVersion;
  /** Metric abbreviation → value, e.g. { AV: "N", AC: "L", … }. */
  readonly metrics: Readonly<Record<string, string>>;
  /** The vector in canonical form (with its version prefix). */
  readonly vector: string;
}

type MetricSpec = Readonly<Record<string, readonly string[]>>;

const V2_BASE: MetricSpec = { AV: ["L", "A", "N"], AC: ["H", "M", "L"], Au: ["M", "S", "N"], C: ["N", "P", "C"], I: ["N", "P", "C"], A: ["N", "P", "C"] };
const V2_OPTIONAL: MetricSpec = {
  E: ["U", "POC", "F", "H", "ND"],
  RL: ["OF", "TF", "W", "U", "ND"],
  RC: ["UC", "UR", "C", "ND"],
  CDP: ["N", "L", "LM", "MH", "H", "ND"],
  TD: ["N", "L", "M", "H", "ND"],
  CR: ["L", "M", "H", "ND"],
  IR: ["L", "M", "H", "ND"],
  AR: ["L", "M", "H", "ND"],
};

const CIA3 = ["H", "L", "N"];
const V3_BASE: MetricSpec = { AV: ["N", "A", "L", "P"], AC: ["L", "H"], PR: ["N", "L", "H"], UI: ["N", "R"], S: ["U", "C"], C: CIA3, I: CIA3, A: CIA3 };
const V3_OPTIONAL: MetricSpec = {
  E: ["X", "H", "F", "P", "U"],
  RL: ["X", "U", "W", "T", "O"],
  RC: ["X", "C", "R", "U"],
  CR: ["X", "H", "M", "L"],
  IR: ["X", "H", "M", "L"],
  AR: ["X", "H", "M", "L"],
  MAV: ["X", "N", "A", "L", "P"],
  MAC: ["X", "L", "H"],
  MPR: ["X", "N", "L", "H"],
  MUI: ["X", "N", "R"],
  MS: ["X", "U", "C"],
  MC: ["X", ...CIA3],
  MI: ["X", ...CIA3],
  MA: ["X", ...CIA3],
};

const V4_BASE: MetricSpec = {
  AV: ["N", "A", "L", "P"],
  AC: ["L", "H"],
  AT: ["N", "P"],
  PR: ["N", "L", "H"],
  UI: ["N", "P", "A"],
  VC: CIA3,
  VI: CIA3,
  VA: CIA3,
  SC: CIA3,
  SI: CIA3,
  SA: CIA3,
};
const V4_OPTIONAL: MetricSpec = {
  E: ["X", "A", "P", "U"],
  CR: ["X", "H", "M", "L"],
  IR: ["X", "H", "M", "L"],
  AR: ["X", "H", "M", "L"],
  MAV: ["X", "N", "A", "L", "P"],
  MAC: ["X", "L", "H"],
  MAT: ["X", "N", "P"],
  MPR: ["X", "N", "L", "H"],
  MUI: ["X", "N", "P", "A"],
  MVC: ["X", ...CIA3],
  MVI: ["X", ...CIA3],
  MVA: ["X", ...CIA3],
  MSC: ["X", ...CIA3],
  MSI: ["X", "S", ...CIA3],
  MSA: ["X", "S", ...CIA3],
  S: ["X", "N", "P"],
  AU: ["X", "N", "Y"],
  R: ["X", "A", "U", "I"],
  V: ["X", "D", "C"],
  RE: ["X", "L", "M", "H"],
  U: ["X", "Clear", "Green", "Amber", "Red"],
};

const SPECS: Readonly<Record<CvssVersion, { base: MetricSpec; optional: MetricSpec }>> = {
  "2.0": { base: V2_BASE, optional: V2_OPTIONAL },
  "3.0": { base: V3_BASE, optional: V3_OPTIONAL },
  "3.1": { base: V3_BASE, optional: V3_OPTIONAL },
  "4.0": { base: V4_BASE, optional: V4_OPTIONAL },
};

/**
 * Parses a CVSS vector. v3.x and v4.0 vectors carry their version prefix; v2 vectors have none
 * (NVD sometimes wraps them in parentheses). `assumeVersion` covers reports that drop the v3 prefix
 * (CycloneDX ratings often do, naming the version in `method` instead).
 */
export function parseCvssVector(vector: string, opts: { assumeVersion?: CvssVersion } = {}): CvssVector {
  let body = vector.trim();
  if (body.startsWith("(") && body.endsWith(")")) body = body.slice(1, -1);
  let version: CvssVersion;
  const prefix = /^CVSS:(\d\.\d)\//.exec(body);
  if (prefix) {
    const v = prefix[1];
    if (v !== "3.0" && v !== "3.1" && v !== "4.0") throw new CvssError(vector, `unsupported version CVSS:${v}`);
    version = v;
    body = body.slice(prefix[0].length);
  } else if (opts.assumeVersion) {
    version = opts.assumeVersion;
  } else if (/(^|\/)Au:/.test(body)) {
    version = "2.0";
  } else {
    throw new CvssError(vector, "missing the CVSS:3.x/ or CVSS:4.0/ prefix");
  }
  const spec = SPECS[version];
  const metrics: Record<string, string> = {};
  for (const part of body.split("/")) {
    const colon = part.indexOf(":");
    if (colon <= 0) throw new CvssError(vector, `${JSON.stringify(part)} is not a metric:value pair`);
    const name = part.slice(0, colon);
    const value = part.slice(colon + 1);
    // Own members only: "constructor" is not a CVSS metric.
    const allowed = Object.hasOwn(spec.base, name) ? spec.base[name] : Object.hasOwn(spec.optional, name) ? spec.optional[name] : undefined;
    if (!allowed) throw new CvssError(vector, `unknown metric ${name} for CVSS ${version}`);
    if (!allowed.includes(value)) throw new CvssError(vector, `metric ${name} has value ${JSON.stringify(value)}; allowed: ${allowed.join(", ")}`);
    if (Object.hasOwn(metrics, name)) throw new CvssError(vector, `metric ${name} appears twice`);
    metrics[name] = value;
  }
  const missing = Object.keys(spec.base).filter((m) => !Object.hasOwn(metrics, m));
  if (missing.length) throw new CvssError(vector, `missing base metric${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`);
  const canonical = Object.entries(metrics)
    .map(([k, v]) => `${k}:${v}`)
    .join("/");
  return { version, metrics, vector: version === "2.0" ? canonical : `CVSS:${version}/${canonical}` };
}

// ---- v3.x --------------------------------------------------------------------------------------

const W3 = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  CIA: { H: 0.56, L: 0.22, N: 0 },
} as const;

const prWeight = (pr: string, scopeChanged: boolean): number => (pr === "N" ? 0.85 : pr === "L" ? (scopeChanged ? 0.68 : 0.62) : scopeChanged ? 0.5 : 0.27);

/**
 * CVSS v3.1 Roundup (specification Appendix A): works on integers so that float error cannot push
 * a score over a tenth (4.000000001 must give 4.0, not 4.1). v3.0 defined Roundup the same way in
 * words; implementations that used a plain ceil() could be off by 0.1, so we use this for both.
 */
export function roundUp1(x: number): number {
  const i = Math.round(x * 100000);
  if (i % 10000 === 0) return i / 100000;
  return (Math.floor(i / 10000) + 1) / 10;
}

/** Base score of a v3.0/v3.1 vector per the specification (§7.1). */
export function cvss3BaseScore(v: CvssVector | string): number {
  const vec = typeof v === "string" ? parseCvssVector(v) : v;
  if (vec.version !== "3.0" && vec.version !== "3.1") throw new CvssError(vec.vector, `not a CVSS 3.x vector (version ${vec.version})`);
  const m = vec.metrics as Record<string, string>;
  const changed = m.S === "C";
  const cia = W3.CIA as Record<string, number>;
  const iss = 1 - (1 - cia[m.C!]!) * (1 - cia[m.I!]!) * (1 - cia[m.A!]!);
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15) : 6.42 * iss;
  const exploitability = 8.22 * (W3.AV as Record<string, number>)[m.AV!]! * (W3.AC as Record<string, number>)[m.AC!]! * prWeight(m.PR!, changed) * (W3.UI as Record<string, number>)[m.UI!]!;
  if (impact <= 0) return 0;
  return changed ? roundUp1(Math.min(1.08 * (impact + exploitability), 10)) : roundUp1(Math.min(impact + exploitability, 10));
}

// ---- v2 ----------------------------------------------------------------------------------------

const W2 = {
  AV: { L: 0.395, A: 0.646, N: 1.0 },
  AC: { H: 0.35, M: 0.61, L: 0.71 },
  Au: { M: 0.45, S: 0.56, N: 0.704 },
  CIA: { N: 0, P: 0.275, C: 0.66 },
} as const;

/** Base score of a v2 vector (CVSS v2 guide §3.2.1), rounded to one decimal. */
export function cvss2BaseScore(v: CvssVector | string): number {
  const vec = typeof v === "string" ? parseCvssVector(v, { assumeVersion: "2.0" }) : v;
  if (vec.version !== "2.0") throw new CvssError(vec.vector, `not a CVSS 2 vector (version ${vec.version})`);
  const m = vec.metrics as Record<string, string>;
  const cia = W2.CIA as Record<string, number>;
  const impact = 10.41 * (1 - (1 - cia[m.C!]!) * (1 - cia[m.I!]!) * (1 - cia[m.A!]!));
  const exploitability = 20 * (W2.AV as Record<string, number>)[m.AV!]! * (W2.AC as Record<string, number>)[m.AC!]! * (W2.Au as Record<string, number>)[m.Au!]!;
  const f = impact === 0 ? 0 : 1.176;
  return Math.round((0.6 * impact + 0.4 * exploitability - 1.5) * f * 10) / 10;
}

// ---- Choosing a rating -------------------------------------------------------------------------

/** Score of one rating: as stated, else computed from its vector (v2/v3.x); undefined if neither works. */
export function ratingScore(r: CvssRating): number | undefined {
  if (r.score !== undefined && r.score >= 0 && r.score <= 10) return r.score;
  if (!r.vector || r.version === "4.0") return undefined;
  try {
    const vec = parseCvssVector(r.vector, { assumeVersion: r.version });
    return vec.version === "2.0" ? cvss2BaseScore(vec) : cvss3BaseScore(vec);
  } catch {
    // A malformed vendor vector leaves this rating without a score; others may still have one.
    return undefined;
  }
}

const VERSION_PREFERENCE: Readonly<Record<CvssVersion, number>> = { "4.0": 3, "3.1": 2, "3.0": 1, "2.0": 0 };
const SOURCE_PREFERENCE = ["nvd", "ghsa", "redhat"];

/**
 * The rating risk scoring uses: from the source the scanner took its severity from, then NVD, GHSA,
 * Red Hat, then any; within a source the newest CVSS version that has a score. Returns the rating
 * itself (no copy: this runs once per finding); its score is `ratingScore(rating)`.
 */
export function chooseCvss(ratings: readonly CvssRating[], preferredSource?: string): CvssRating | undefined {
  let best: CvssRating | undefined;
  let bestRank = -Infinity;
  const preferred = preferredSource?.toLowerCase();
  for (const r of ratings) {
    if (ratingScore(r) === undefined) continue;
    const src = r.source?.toLowerCase();
    const sourceRank = src === undefined ? 0 : src === preferred ? 10 : SOURCE_PREFERENCE.includes(src) ? 9 - SOURCE_PREFERENCE.indexOf(src) : 0;
    const rank = sourceRank * 10 + VERSION_PREFERENCE[r.version];
    if (rank > bestRank) {
      bestRank = rank;
      best = r;
    }
  }
  return best;
}

/** The CVSS version a vector string announces, if it announces one. */
export function versionOfVector(vector: string): CvssVersion | undefined {
  const m = /^\(?CVSS:(3\.0|3\.1|4\.0)\//.exec(vector.trim());
  if (m) return m[1] as CvssVersion;
  return /(^|\/)Au:/.test(vector) ? "2.0" : undefined;
}
