import { describe, expect, it } from "@jest/globals";
import { ReportParseError } from "../errors.js";
import { realFixture, realFixtureNames } from "../testing/fixtures.js";
import { JsonDocument, LazyArray, MemorySource, type ByteSource, type LazyPlan } from "./json.js";

const PLAN: LazyPlan = { items: "lazy", nested: { "[]": { list: "lazy" } }, Results: { "[]": { Vulnerabilities: "lazy" } }, matches: "lazy", runs: { "[]": { results: "lazy" } }, vulnerabilities: "lazy", components: "lazy", packages: "lazy", statements: "lazy" };

/** A source that hands out at most `chunk` bytes per read, as a slow file would. */
function chunked(bytes: Uint8Array, chunk: number): ByteSource {
  return {
    size: bytes.length,
    read: (into, position, length) => {
      const part = bytes.subarray(position, Math.min(bytes.length, position + Math.min(length, chunk)));
      into.set(part);
      return part.length;
    },
  };
}

/** The document with lazy arrays expanded, to compare with JSON.parse. */
function expand(v: unknown): unknown {
  if (v instanceof LazyArray) return Array.from({ length: v.length }, (_, i) => expand(v.at(i)));
  if (Array.isArray(v)) return v.map(expand);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, expand(x)]));
  return v;
}

function parseWith(text: string | Uint8Array, windowBytes?: number, chunk = 1 << 30): unknown {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  const source = windowBytes === undefined ? new MemorySource(bytes) : chunked(bytes, chunk);
  return new JsonDocument(source, "test", PLAN, windowBytes === undefined ? {} : { windowBytes }).root;
}

function errorOf(text: string, windowBytes?: number): ReportParseError {
  try {
    expand(parseWith(text, windowBytes));
  } catch (e) {
    if (e instanceof ReportParseError) return e;
    throw e;
  }
  throw new Error("expected a ReportParseError");
}

describe("JsonDocument reads what JSON.parse reads", () => {
  const files = ["trivy", "anchore_grype", "sarif", "cyclonedx", "spdx", "openvex"].flatMap((d) => realFixtureNames(d).map((f) => `${d}/${f}`));

  it.each(files)("%s, whole in memory and streamed through 16-byte and 1 KiB windows", (rel) => {
    const bytes = realFixture(rel);
    const expected = JSON.parse(bytes.toString("utf8")) as unknown;
    expect(expand(parseWith(bytes))).toEqual(expected);
    expect(expand(parseWith(bytes, 16, 7))).toEqual(expected);
    expect(expand(parseWith(bytes, 1024))).toEqual(expected);
  });

  it.each([
    ['{"items":[1,"two",{"three":[3]},[4],null,true,false,-1.5e3]}', { items: [1, "two", { three: [3] }, [4], null, true, false, -1500] }],
    ['{"items":[]}', { items: [] }],
    ['{"items":{"not":"an array"}}', { items: { not: "an array" } }],
    ['{"items":["a\\"]}\\\\","b"]}', { items: ['a"]}\\', "b"] }],
    ['{"nested":[{"list":[{"x":"\\u00e9"}]}]}', { nested: [{ list: [{ x: "é" }] }] }],
    ["\uFEFF{\"a\":1}", { a: 1 }],
    ['{"__proto__":{"polluted":true},"items":[]}', JSON.parse('{"__proto__":{"polluted":true},"items":[]}')],
  ])("%s", (text, expected) => {
    for (const w of [undefined, 8, 64]) expect(expand(parseWith(text, w))).toEqual(expected);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("keeps lazy arrays lazy: elements are parsed on demand", () => {
    const root = parseWith('{"items":[{"a":1},{"b":2}]}') as { items: unknown };
    expect(root.items).toBeInstanceOf(LazyArray);
    const items = root.items as LazyArray;
    expect(items.length).toBe(2);
    expect(items.path).toBe("$.items");
    expect(items.at(1)).toEqual({ b: 2 });
  });
});

describe("JSON syntax errors name the line, column and path", () => {
  it.each([
    ["", 1, 1, /document is empty/],
    ['{"items":[{"a":1},{"b":2}', 1, 26, /ends inside|expected "," or "]"/],
    ['{"items":[{"a":1}\n  {"b":2}]}', 2, 3, /expected "," or "]" after an array element/],
    ['{"a" 1}', 1, 6, /expected ":"/],
    ['{"a":1,}', 1, 8, /member name in double quotes/],
    ['{"a":"x\\qy"}', 1, 8, /invalid escape \\q/],
    ['{"a":"line\nbreak"}', 1, 11, /raw line break/],
    ['{"a":tru}', 1, 6, /expected a value/],
    ['{"a":01}', 1, 7, /expected "," or "}"/],
    ['{"a":1} x', 1, 9, /after the end of the JSON document/],
    ['{"a":"\\u12G4"}', 1, 7, /\\u escape/],
  ])("%j → line %i, column %i", (text, line, column, problem) => {
    for (const w of [undefined, 4, 32]) {
      const e = errorOf(text, w);
      expect(e.format).toBe("test");
      expect(e.problem).toMatch(problem);
      expect([e.line, e.column]).toEqual([line, column]);
    }
  });

  it("locates an error inside a lazy element exactly (found when the element is parsed)", () => {
    const text = '{\n  "items": [\n    {"ok": 1},\n    {"bad": [1, 2,]}\n  ]\n}';
    for (const w of [undefined, 8]) {
      const e = errorOf(text, w);
      expect(e.problem).toMatch(/expected a value/);
      expect([e.line, e.column, e.path]).toEqual([4, 19, "$.items[1]"]);
    }
  });

  it("reports a truncated lazy element with its path", () => {
    const e = errorOf('{"Results":[{"Target":"x","Vulnerabilities":[{"VulnerabilityID":"CVE-1', 16);
    expect(e.problem).toMatch(/ends inside|unterminated/);
    expect(e.path).toBe("$.Results[0].Vulnerabilities[0]");
    expect(e.message).toMatch(/^test: invalid JSON: .*\(line 1, column \d+, in \$\.Results\[0\]\.Vulnerabilities\[0\]\)$/);
  });

  it("does not overflow the stack on deeply nested input", () => {
    const depth = 200_000;
    const root = parseWith(`{"items":[1,${"[".repeat(depth)}${"]".repeat(depth)}],"x":${"[".repeat(depth)}${"]".repeat(depth)}}`, 64) as { items: LazyArray };
    expect(root.items.length).toBe(2);
    expect(root.items.at(0)).toBe(1);
    expect(errorOf(`{"a":${"[".repeat(depth)}`).problem).toMatch(/ends inside|expected a value/);
  });
});
