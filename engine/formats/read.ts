// Typed reading of untrusted report JSON. Every reader names the JSON path of what it rejects, so a
// wrong schema gives "trivy: $.Results[0].Vulnerabilities[3].PkgName must be a string" rather than
// a TypeError. Unknown members are ignored (scanners add fields all the time); wrong types are not.
import { ReportParseError } from "../errors.js";
import { LazyArray, type ArrayLike } from "./json.js";

export type Obj = Readonly<Record<string, unknown>>;

export class Reader {
  constructor(readonly format: string) {}

  error(problem: string, path: string): ReportParseError {
    return new ReportParseError(this.format, problem, { path });
  }

  isObject(v: unknown): v is Obj {
    return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof LazyArray);
  }

  object(v: unknown, path: string): Obj {
    if (!this.isObject(v)) throw this.error(`expected an object, found ${kindOf(v)}`, path);
    return v;
  }

  /** Own member (absent and JSON null both read as undefined). */
  member(o: Obj, key: string): unknown {
    if (!Object.hasOwn(o, key)) return undefined;
    const v = o[key];
    return v === null ? undefined : v;
  }

  optString(o: Obj, key: string, path: string): string | undefined {
    const v = this.member(o, key);
    if (v === undefined) return undefined;
    if (typeof v !== "string") throw this.error(`expected a string, found ${kindOf(v)}`, `${path}.${key}`);
    return v;
  }

  /** A non-empty string (empty strings read as absent: scanners write "" for "none"). */
  optText(o: Obj, key: string, path: string): string | undefined {
    const v = this.optString(o, key, path);
    return v === undefined || v.length === 0 ? undefined : v;
  }

  string(o: Obj, key: string, path: string): string {
    const v = this.optText(o, key, path);
    if (v === undefined) throw this.error(`required member ${JSON.stringify(key)} is missing or empty`, `${path}.${key}`);
    return v;
  }

  optNumber(o: Obj, key: string, path: string): number | undefined {
    const v = this.member(o, key);
    if (v === undefined) return undefined;
    // Some scanners quote their numbers ("7.5"); accept those, reject anything else.
    if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
    if (typeof v !== "number" || !Number.isFinite(v)) throw this.error(`expected a number, found ${kindOf(v)}`, `${path}.${key}`);
    return v;
  }

  optObject(o: Obj, key: string, path: string): Obj | undefined {
    const v = this.member(o, key);
    if (v === undefined) return undefined;
    return this.object(v, `${path}.${key}`);
  }

  /** An array member, lazy or not; undefined when absent. */
  optArray(o: Obj, key: string, path: string): ArrayLike | undefined {
    const v = this.member(o, key);
    if (v === undefined) return undefined;
    if (v instanceof LazyArray || Array.isArray(v)) return v as ArrayLike;
    throw this.error(`expected an array, found ${kindOf(v)}`, `${path}.${key}`);
  }

  optStrings(o: Obj, key: string, path: string): string[] | undefined {
    const arr = this.optArray(o, key, path);
    if (arr === undefined) return undefined;
    const out: string[] = [];
    forEachElement(arr, `${path}.${key}`, (v, p) => {
      if (typeof v !== "string") throw this.error(`expected a string, found ${kindOf(v)}`, p);
      if (v.length > 0) out.push(v);
    });
    return out;
  }
}

/** Visits the elements of a lazy or ordinary array with their JSON paths. */
export function forEachElement(arr: ArrayLike, path: string, visit: (value: unknown, path: string, index: number) => void): void {
  if (arr instanceof LazyArray) {
    for (let i = 0; i < arr.length; i++) visit(arr.at(i), `${path}[${i}]`, i);
  } else {
    for (let i = 0; i < arr.length; i++) visit(arr[i], `${path}[${i}]`, i);
  }
}

export function kindOf(v: unknown): string {
  if (v === undefined) return "nothing (the member is missing)";
  if (v === null) return "null";
  if (Array.isArray(v) || v instanceof LazyArray) return "an array";
  if (typeof v === "object") return "an object";
  if (typeof v === "string") return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)})`;
  return `a ${typeof v} (${String(v)})`;
}

/** Top-level member names, for "this does not look like X" messages. */
export function describeKeys(v: unknown): string {
  if (typeof v !== "object" || v === null || Array.isArray(v) || v instanceof LazyArray) return `the document is ${kindOf(v)}`;
  const keys = Object.keys(v);
  if (keys.length === 0) return "the document is an empty object";
  return `its top-level members are ${keys.slice(0, 8).map((k) => JSON.stringify(k)).join(", ")}${keys.length > 8 ? ", …" : ""}`;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** `sha256:<hex>` from a digest or a `repo@sha256:…` reference; undefined otherwise. */
export function digestOf(s: string | undefined): string | undefined {
  if (!s) return undefined;
  const at = s.lastIndexOf("@");
  const d = (at >= 0 ? s.slice(at + 1) : s).toLowerCase();
  return DIGEST.test(d) ? d : undefined;
}

/** A timestamp as the report wrote it, or undefined when it is not one. */
export function timestampOf(s: string | undefined): string | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  // Go's zero time (0001-01-01T00:00:00Z) means "unset".
  return Number.isNaN(t) || t <= -62135596800000 ? undefined : s;
}

/**
 * Per-report string and value pool. Large reports repeat the same package names, versions, purls,
 * CVSS vectors and titles thousands of times, each a separate string after JSON.parse; sharing one
 * copy keeps 100k findings in tens of MB. Bounded, so unique strings cannot grow it without limit.
 */
export class Interner {
  private readonly strings = new Map<string, string>();
  private readonly values = new Map<string, unknown>();
  constructor(private readonly limit = 200_000) {}

  s(v: string): string;
  s(v: string | undefined): string | undefined;
  s(v: string | undefined): string | undefined {
    if (v === undefined) return undefined;
    const hit = this.strings.get(v);
    if (hit !== undefined) return hit;
    if (this.strings.size < this.limit) this.strings.set(v, v);
    return v;
  }

  /** One shared copy of a value per key (for immutable objects such as package records). */
  value<T>(key: string, make: () => T): T {
    const hit = this.values.get(key);
    if (hit !== undefined) return hit as T;
    const v = make();
    if (v !== undefined) this.set(key, v);
    return v;
  }

  set(key: string, v: unknown): void {
    if (this.values.size < this.limit) this.values.set(key, v);
  }
}
