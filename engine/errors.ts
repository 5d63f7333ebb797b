// Typed errors of the engine. Callers branch on the class (and its fields), never on message text.

export interface ReportPlace {
  /** JSON path of the offending value, e.g. `$.Results[0].Vulnerabilities[3].PkgName`. */
  path?: string;
  /** 1-based line and column, for JSON syntax errors. */
  line?: number;
  column?: number;
}

/** A report that cannot be read: the format (or "unknown"), the place, and what is wrong. */
export class ReportParseError extends Error {
  override readonly name = "ReportParseError";
  readonly format: string;
  readonly path?: string;
  readonly line?: number;
  readonly column?: number;
  /** The bare problem, without format and place. */
  readonly problem: string;

  constructor(format: string, problem: string, place: ReportPlace = {}) {
    super(`${format}: ${problem}${describePlace(place)}`);
    this.format = format;
    this.problem = problem;
    if (place.path !== undefined) this.path = place.path;
    if (place.line !== undefined) this.line = place.line;
    if (place.column !== undefined) this.column = place.column;
  }
}

function describePlace(p: ReportPlace): string {
  const parts: string[] = [];
  if (p.line !== undefined) parts.push(`line ${p.line}, column ${p.column ?? 1}`);
  if (p.path !== undefined) parts.push(p.line !== undefined ? `in ${p.path}` : `at ${p.path}`);
  return parts.length ? ` (${parts.join(", ")})` : "";
}

/** An EPSS or KEV feed that cannot be read. */
export class FeedParseError extends Error {
  override readonly name = "FeedParseError";
  constructor(
    readonly feed: "epss" | "kev",
    readonly problem: string,
    readonly place: { line?: number; path?: string } = {},
  ) {
    super(`${feed} feed: ${problem}${place.line !== undefined ? ` (line ${place.line})` : place.path !== undefined ? ` (at ${place.path})` : ""}`);
  }
}

/** A CVSS vector that does not follow its specification. */
export class CvssError extends Error {
  override readonly name = "CvssError";
  constructor(
    readonly vector: string,
    readonly problem: string,
  ) {
    super(`invalid CVSS vector ${JSON.stringify(vector)}: ${problem}`);
  }
}

/** An image glob that is not valid syntax. */
export class ImageGlobError extends Error {
  override readonly name = "ImageGlobError";
  constructor(
    readonly glob: string,
    readonly problem: string,
  ) {
    super(`invalid image glob ${JSON.stringify(glob)}: ${problem}`);
  }
}
