import { describe, expect, it } from "@jest/globals";
import { AnalysisCache, digestOf } from "./reconcile.js";
import type { Analysed } from "./decide.js";

const a = (d: string) => ({ digest: d, format: "trivy" }) as unknown as Analysed;

describe("AnalysisCache", () => {
  it("evicts the least recently used entry beyond its bound", () => {
    const c = new AnalysisCache(2);
    c.set("ns/a@1", a("1"));
    c.set("ns/b@2", a("2"));
    expect(c.get("ns/a@1")?.digest).toBe("1"); // a is now most recent
    c.set("ns/c@3", a("3"));
    expect(c.size).toBe(2);
    expect(c.get("ns/b@2")).toBeUndefined();
    expect(c.get("ns/a@1")?.digest).toBe("1");
    expect(c.get("ns/c@3")?.digest).toBe("3");
  });
});

describe("digestOf", () => {
  it("is sha256 of the bytes", () => {
    expect(digestOf(Buffer.from("abc"))).toBe("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});
