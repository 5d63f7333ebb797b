// A validating, streaming JSON reader for large reports. One pass over the bytes checks the whole
// document against the JSON grammar (so every syntax error has an exact line and column), builds
// only the small "spine" of the document, and records the big arrays (findings, components,
// results) as element offsets. Format parsers then ask for elements one at a time; each is decoded
// and JSON.parse'd and becomes garbage once normalised. Bytes come from a ByteSource through a
// sliding window, so a 200 MB report is never in memory at once — and the engine does no I/O: the
// caller supplies the source (a file, a Buffer, a decompressed blob).
import { ReportParseError } from "../errors.js";

/** Random-access bytes: a file, or memory. */
export interface ByteSource {
  readonly size: number;
  /** Copies up to `length` bytes starting at `position` into `into[0…]`; returns how many it copied. */
  read(into: Uint8Array, position: number, length: number): number;
}

/** A ByteSource over bytes already in memory (no copies are made). */
export class MemorySource implements ByteSource {
  constructor(readonly bytes: Uint8Array) {}
  get size(): number {
    return this.bytes.length;
  }
  read(into: Uint8Array, position: number, length: number): number {
    const part = this.bytes.subarray(position, Math.min(this.bytes.length, position + length));
    into.set(part);
    return part.length;
  }
}

/** Text is encoded once; bytes and sources are used as they are. */
export function toSource(input: string | Uint8Array | ByteSource): ByteSource {
  if (typeof input === "string") return new MemorySource(new TextEncoder().encode(input));
  if (input instanceof Uint8Array) return new MemorySource(input);
  return input;
}

/** Which arrays to keep lazy. Keys are object member names; "[]" stands for any array element. */
export interface LazyPlan {
  readonly [member: string]: LazyPlan | "lazy";
}

const WINDOW = 4 << 20;
const decoder = new TextDecoder("utf-8");

/** Reads byte ranges of a source through one reusable window (elements are read in order). */
class RangeReader {
  private buf: Uint8Array;
  private base = 0;
  private len = 0;

  constructor(
    private readonly source: ByteSource,
    window: number,
  ) {
    this.buf = source instanceof MemorySource ? source.bytes : new Uint8Array(Math.min(window, Math.max(1, source.size)));
    if (source instanceof MemorySource) this.len = source.size;
  }

  range(start: number, end: number): Uint8Array {
    if (start >= this.base && end <= this.base + this.len) return this.buf.subarray(start - this.base, end - this.base);
    if (end - start > this.buf.length) this.buf = new Uint8Array(end - start);
    this.base = start;
    this.len = readFully(this.source, this.buf, start, Math.min(this.buf.length, this.source.size - start));
    return this.buf.subarray(0, end - start);
  }
}

function readFully(source: ByteSource, into: Uint8Array, position: number, length: number): number {
  let done = 0;
  while (done < length) {
    const n = source.read(done === 0 ? into : into.subarray(done), position + done, length - done);
    if (n <= 0) break;
    done += n;
  }
  return done;
}

/** An array whose elements are parsed on demand. */
export class LazyArray {
  constructor(
    private readonly doc: JsonDocument,
    /** JSON path of the array, e.g. `$.Results[0].Vulnerabilities`. */
    readonly path: string,
    private readonly bounds: number[],
  ) {}

  get length(): number {
    return this.bounds.length / 2;
  }

  /** Parses element `i` (not cached: callers keep what they need). */
  at(i: number): unknown {
    return this.doc.parseRange(this.bounds[2 * i]!, this.bounds[2 * i + 1]!, `${this.path}[${i}]`);
  }
}

/** Either an ordinary parsed array or a lazy one: format parsers read both through `forEachElement`. */
export type ArrayLike = LazyArray | readonly unknown[];

export class JsonDocument {
  readonly root: unknown;
  private readonly reader: RangeReader;

  constructor(
    private readonly source: ByteSource,
    private readonly format: string,
    plan: LazyPlan,
    opts: { windowBytes?: number } = {},
  ) {
    this.reader = new RangeReader(source, opts.windowBytes ?? WINDOW);
    this.root = new Scanner(source, format, this, opts.windowBytes ?? WINDOW).document(plan);
  }

  /** JSON.parse of a byte range; a syntax error is located exactly by a strict scan of the range. */
  parseRange(start: number, end: number, path = "$"): unknown {
    const bytes = this.reader.range(start, end);
    try {
      return JSON.parse(decoder.decode(bytes));
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      // Copy: the strict scan must not see the reader's window change under it.
      const element = new MemorySource(bytes.slice());
      new Scanner(element, this.format, this, WINDOW, { origin: start, positions: this.source }).element(path);
      // The strict scan found nothing JSON.parse objects to: report JSON.parse's own words.
      const { line, column } = positionOf(this.source, start);
      throw new ReportParseError(this.format, `invalid JSON: ${err.message}`, { line, column, path });
    }
  }
}

/** 1-based line and column of a byte offset (columns count characters, not bytes). */
export function positionOf(source: ByteSource, offset: number): { line: number; column: number } {
  const buf = new Uint8Array(Math.min(WINDOW, Math.max(1, offset)));
  let line = 1;
  let column = 1;
  for (let pos = 0; pos < offset; ) {
    const n = readFully(source, buf, pos, Math.min(buf.length, offset - pos));
    if (n <= 0) break;
    for (let i = 0; i < n; i++) {
      const c = buf[i]!;
      if (c === 0x0a) {
        line++;
        column = 1;
      } else if ((c & 0xc0) !== 0x80) column++;
    }
    pos += n;
  }
  return { line, column };
}

// Byte constants.
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const EOF = -1;

/** Byte classes for the structural skip: 0 other, 1 quote, 2 open bracket, 3 close bracket. */
const STRING = 1;
const OPEN = 2;
const CLOSE = 3;
const STRUCTURE = new Uint8Array(256);
STRUCTURE[QUOTE] = STRING;
STRUCTURE[LBRACE] = OPEN;
STRUCTURE[LBRACKET] = OPEN;
STRUCTURE[RBRACE] = CLOSE;
STRUCTURE[RBRACKET] = CLOSE;

const enum Ctx {
  Object = 1,
  Array = 2,
}

/**
 * The grammar check and spine builder. `i` indexes the window `b`, whose first byte is at absolute
 * offset `base`; `keep` is the absolute offset of the earliest byte still needed (the start of a
 * value being materialised), or -1 when nothing before the cursor is needed.
 */
class Scanner {
  private b: Uint8Array;
  private n: number;
  private base = 0;
  private i = 0;
  private keep = -1;
  private readonly streaming: boolean;

  /** Where positions are counted: `origin` is this source's offset within `positions`. */
  private readonly origin: number;
  private readonly positions: ByteSource;

  constructor(
    private readonly source: ByteSource,
    private readonly format: string,
    private readonly doc: JsonDocument,
    window: number,
    where: { origin: number; positions: ByteSource } = { origin: 0, positions: source },
  ) {
    this.origin = where.origin;
    this.positions = where.positions;
    this.streaming = !(source instanceof MemorySource);
    if (source instanceof MemorySource) {
      this.b = source.bytes;
      this.n = source.size;
    } else {
      this.b = new Uint8Array(Math.min(window, Math.max(1, source.size)));
      this.n = readFully(source, this.b, 0, this.b.length);
    }
    // A UTF-8 byte order mark is not JSON, but editors write it; skip it.
    if (this.n >= 3 && this.b[0] === 0xef && this.b[1] === 0xbb && this.b[2] === 0xbf) this.i = 3;
  }

  /**
   * Makes window index `i` (at or after the cursor) readable if the source has it. The window
   * slides forward, keeping bytes from `keep` (or from the cursor), and grows when what must be
   * kept does not fit. Returns the shift: every window index (the cursor included) moved down by it.
   */
  private slide(i: number): number {
    if (!this.streaming || this.base + i >= this.source.size) return 0;
    const cursor = this.base + this.i;
    const from = this.keep >= 0 ? Math.min(this.keep, cursor) : cursor;
    const shift = from - this.base;
    const kept = this.n - shift;
    if (kept >= this.b.length / 2) {
      const bigger = new Uint8Array(this.b.length * 2);
      bigger.set(this.b.subarray(shift, this.n));
      this.b = bigger;
    } else this.b.copyWithin(0, shift, this.n);
    this.base = from;
    this.n = kept + readFully(this.source, this.b.subarray(kept), this.base + kept, this.b.length - kept);
    this.i -= shift;
    return shift;
  }

  /** Byte at window index i (≥ cursor), sliding the window as needed; EOF past the end. */
  private byteAt(i: number): number {
    if (i < this.n) return this.b[i]!;
    const j = i - this.slide(i);
    return j < this.n ? this.b[j]! : EOF;
  }

  private peek(): number {
    return this.i < this.n ? this.b[this.i]! : this.byteAt(this.i);
  }

  /** Materialises [start, cursor) (absolute start) with JSON.parse. */
  private parsed(start: number): unknown {
    return JSON.parse(decoder.decode(this.b.subarray(start - this.base, this.i)));
  }

  /** Strictly scans one value (an element JSON.parse rejected), failing at its first error. */
  element(path: string): void {
    this.ws();
    this.skipValue(path);
    this.ws();
    if (this.peek() !== EOF) this.fail(`unexpected ${this.describe()} after the value`, path);
  }

  document(plan: LazyPlan): unknown {
    this.ws();
    if (this.peek() === EOF) this.fail("the document is empty", "$");
    const root = this.value(plan, "$");
    this.ws();
    if (this.peek() !== EOF) this.fail(`unexpected ${this.describe()} after the end of the JSON document`, "$");
    return root;
  }

  /** The value at the cursor: spine containers are built here, everything else is sliced and parsed. */
  private value(plan: LazyPlan | undefined, path: string): unknown {
    const c = this.peek();
    if (plan !== undefined && c === LBRACE) return this.spineObject(plan, path);
    if (plan !== undefined && c === LBRACKET) return this.spineArray(plan, path);
    const start = this.base + this.i;
    const outer = this.keep;
    this.keep = start;
    this.skipValue(path);
    const v = this.parsed(start);
    this.keep = outer;
    return v;
  }

  private spineObject(plan: LazyPlan, path: string): Record<string, unknown> {
    // Null prototype: a member called "__proto__" must stay data.
    const obj = Object.create(null) as Record<string, unknown>;
    this.i++;
    this.ws();
    if (this.peek() === RBRACE) {
      this.i++;
      return obj;
    }
    for (;;) {
      this.ws();
      if (this.peek() !== QUOTE) this.fail(`expected a member name in double quotes, found ${this.describe()}`, path);
      const keyStart = this.base + this.i;
      const outer = this.keep;
      this.keep = keyStart;
      this.string(path);
      const key = this.parsed(keyStart) as string;
      this.keep = outer;
      this.ws();
      if (this.peek() !== COLON) this.fail(`expected ":" after member name ${JSON.stringify(key)}, found ${this.describe()}`, path);
      this.i++;
      this.ws();
      const memberPath = `${path}.${key}`;
      const child = plan[key];
      if (child === "lazy" && this.peek() === LBRACKET) obj[key] = this.lazyArray(memberPath);
      else obj[key] = this.value(typeof child === "object" ? child : undefined, memberPath);
      this.ws();
      const c = this.peek();
      if (c === COMMA) {
        this.i++;
        continue;
      }
      if (c === RBRACE) {
        this.i++;
        return obj;
      }
      this.fail(`expected "," or "}" after a member, found ${this.describe()}`, path);
    }
  }

  private spineArray(plan: LazyPlan, path: string): unknown[] {
    const out: unknown[] = [];
    const elementPlan = plan["[]"];
    this.i++;
    this.ws();
    if (this.peek() === RBRACKET) {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      const elementPath = `${path}[${out.length}]`;
      if (elementPlan === "lazy" && this.peek() === LBRACKET) out.push(this.lazyArray(elementPath));
      else out.push(this.value(typeof elementPlan === "object" ? elementPlan : undefined, elementPath));
      this.ws();
      const c = this.peek();
      if (c === COMMA) {
        this.i++;
        continue;
      }
      if (c === RBRACKET) {
        this.i++;
        return out;
      }
      this.fail(`expected "," or "]" after an array element, found ${this.describe()}`, path);
    }
  }

  private lazyArray(path: string): LazyArray {
    const bounds: number[] = [];
    this.i++;
    this.ws();
    if (this.peek() === RBRACKET) {
      this.i++;
      return new LazyArray(this.doc, path, bounds);
    }
    const outer = this.keep;
    // Elements are re-read from the source later: nothing needs to stay in the window.
    this.keep = -1;
    for (;;) {
      this.ws();
      const start = this.base + this.i;
      const first = this.peek();
      if (first === LBRACE || first === LBRACKET) this.skipContainer(`${path}[${bounds.length / 2}]`);
      else this.skipValue(`${path}[${bounds.length / 2}]`);
      bounds.push(start, this.base + this.i);
      this.ws();
      const c = this.peek();
      if (c === COMMA) {
        this.i++;
        continue;
      }
      if (c === RBRACKET) {
        this.i++;
        this.keep = outer;
        return new LazyArray(this.doc, path, bounds);
      }
      this.fail(`expected "," or "]" after an array element, found ${this.describe()}`, path);
    }
  }

  /**
   * Moves past one object or array looking only at its structure: brackets and strings. Most bytes of
   * a report are here, so this is the fast path; the element's finer grammar is checked when it is
   * JSON.parse'd, and an error there is located by the strict scan (parseRange).
   */
  private skipContainer(path: string): void {
    let b = this.b;
    let n = this.n;
    let i = this.i + 1;
    let depth = 1;
    for (;;) {
      if (i >= n) {
        this.i = i;
        i -= this.slide(i);
        b = this.b;
        n = this.n;
        if (i >= n) {
          this.i = i;
          this.fail("the document ends inside an object or array (is it truncated?)", path);
        }
      }
      const k = STRUCTURE[b[i]!]!;
      if (k === 0) {
        i++;
        continue;
      }
      if (k === OPEN) depth++;
      else if (k === CLOSE) {
        if (--depth === 0) {
          this.i = i + 1;
          return;
        }
      } else {
        // A string: jump to its closing quote (native search), skipping escaped quotes. The window
        // keeps the whole string (cursor at its start) so that backslashes before a quote are visible.
        const start = i;
        let q = i + 1;
        for (;;) {
          q = b.indexOf(QUOTE, q);
          // The window buffer may hold stale bytes past n: a hit there is no hit.
          if (q < 0 || q >= n) {
            this.i = start;
            const shift = this.slide(n);
            b = this.b;
            q = n - shift;
            n = this.n;
            i = start - shift;
            if (q >= n) {
              this.i = i;
              this.fail("unterminated string (the document ends inside it)", path);
            }
            continue;
          }
          let s = q - 1;
          while (s > i && b[s] === BACKSLASH) s--;
          if ((q - 1 - s) % 2 === 0) break;
          q++;
        }
        i = q;
      }
      i++;
    }
  }

  /**
   * Validates one value and moves past it. Iterative (an explicit stack) so that deeply nested
   * input cannot overflow the call stack.
   */
  private skipValue(path: string): void {
    const stack: Ctx[] = [];
    for (;;) {
      // A value starts here.
      this.ws();
      const c = this.peek();
      if (c === LBRACE) {
        this.i++;
        this.ws();
        if (this.peek() === RBRACE) this.i++;
        else {
          stack.push(Ctx.Object);
          this.memberName(path);
          continue;
        }
      } else if (c === LBRACKET) {
        this.i++;
        this.ws();
        if (this.peek() === RBRACKET) this.i++;
        else {
          stack.push(Ctx.Array);
          continue;
        }
      } else if (c === QUOTE) this.string(path);
      else if (c === MINUS || (c >= ZERO && c <= NINE)) this.number(path);
      else if (c === 0x74) this.literal("true", path);
      else if (c === 0x66) this.literal("false", path);
      else if (c === 0x6e) this.literal("null", path);
      else this.fail(`expected a value, found ${this.describe()}`, path);

      // After a value: close containers until one continues with ",".
      for (;;) {
        if (stack.length === 0) return;
        const top = stack[stack.length - 1];
        this.ws();
        const d = this.peek();
        if (d === COMMA) {
          this.i++;
          if (top === Ctx.Object) this.memberName(path);
          break;
        }
        if ((top === Ctx.Object && d === RBRACE) || (top === Ctx.Array && d === RBRACKET)) {
          this.i++;
          stack.pop();
          continue;
        }
        this.fail(top === Ctx.Object ? `expected "," or "}" after a member, found ${this.describe()}` : `expected "," or "]" after an array element, found ${this.describe()}`, path);
      }
    }
  }

  /** `"name"` `:` — leaves the cursor at the member's value. */
  private memberName(path: string): void {
    this.ws();
    if (this.peek() !== QUOTE) this.fail(`expected a member name in double quotes, found ${this.describe()}`, path);
    this.string(path);
    this.ws();
    if (this.peek() !== COLON) this.fail(`expected ":" after a member name, found ${this.describe()}`, path);
    this.i++;
  }

  /** The hottest loop: most report bytes are inside strings. */
  private string(path: string): void {
    let b = this.b;
    let n = this.n;
    let i = this.i + 1;
    for (;;) {
      if (i >= n) {
        i -= this.slide(i);
        b = this.b;
        n = this.n;
        if (i >= n) {
          this.i = i;
          this.fail("unterminated string (the document ends inside it)", path);
        }
      }
      const c = b[i]!;
      if (c === QUOTE) {
        this.i = i + 1;
        return;
      }
      if (c === BACKSLASH) {
        // Escapes are rare: step through them with the cursor on the backslash.
        this.i = i;
        const e = this.byteAt(i + 1);
        if (e === 0x75) {
          for (let k = 2; k < 6; k++) {
            if (!isHex(this.byteAt(this.i + k))) this.fail("invalid \\u escape in string (expected 4 hex digits)", path);
          }
          i = this.i + 6;
        } else if (e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
          i = this.i + 2;
        } else {
          this.fail(e === EOF ? "unterminated string (the document ends inside it)" : `invalid escape \\${String.fromCharCode(e)} in string`, path);
        }
        b = this.b;
        n = this.n;
        continue;
      }
      if (c < 0x20) {
        this.i = i;
        this.fail(c === 0x0a ? "unterminated string (raw line break inside a string)" : "raw control character inside a string (must be escaped)", path);
      }
      i++;
    }
  }

  private number(path: string): void {
    const digits = () => {
      while (isDigit(this.peek())) this.i++;
    };
    if (this.peek() === MINUS) this.i++;
    if (this.peek() === ZERO) this.i++;
    else if (isDigit(this.peek())) digits();
    else this.fail("invalid number (expected a digit)", path);
    if (this.peek() === DOT) {
      this.i++;
      if (!isDigit(this.peek())) this.fail("invalid number (expected a digit after the decimal point)", path);
      digits();
    }
    const e = this.peek();
    if (e === 0x65 || e === 0x45) {
      this.i++;
      const s = this.peek();
      if (s === PLUS || s === MINUS) this.i++;
      if (!isDigit(this.peek())) this.fail("invalid number (expected a digit in the exponent)", path);
      digits();
    }
  }

  private literal(word: string, path: string): void {
    const start = this.base + this.i;
    for (let k = 0; k < word.length; k++) {
      if (this.peek() !== word.charCodeAt(k)) {
        // Point at the start of the broken literal (absolute: the window may have moved).
        this.i = start - this.base;
        this.fail(`expected a value (${word}?), found something else`, path);
      }
      this.i++;
    }
  }

  private ws(): void {
    for (;;) {
      const b = this.b;
      const n = this.n;
      let i = this.i;
      while (i < n) {
        const c = b[i]!;
        if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
          this.i = i;
          return;
        }
        i++;
      }
      this.i = i;
      if (this.peek() === EOF) return;
    }
  }

  private describe(): string {
    const c = this.peek();
    if (c === EOF) return "the end of the document (is it truncated?)";
    if (c >= 0x20 && c < 0x7f) return JSON.stringify(String.fromCharCode(c));
    return `byte 0x${c.toString(16).padStart(2, "0")}`;
  }

  private fail(problem: string, path: string): never {
    const { line, column } = positionOf(this.positions, this.origin + this.base + this.i);
    throw new ReportParseError(this.format, `invalid JSON: ${problem}`, { line, column, path });
  }
}

const isDigit = (c: number): boolean => c >= ZERO && c <= NINE;
const isHex = (c: number): boolean => (c >= ZERO && c <= NINE) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
