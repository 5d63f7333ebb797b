import { describe, expect, it } from "@jest/globals";
import type { Informer, KubeObject } from "../../operator/kube/port.js";
import { specChangeFilter } from "./index.js";

describe("specChangeFilter", () => {
  it("passes new objects, spec changes and deletions; drops status-only updates", () => {
    const cache = new Map<string, KubeObject>();
    const informer = { get: (ns: string | undefined, n: string) => cache.get(`${ns}/${n}`) } as unknown as Informer<KubeObject>;
    const changed = specChangeFilter(informer);
    const obj = (generation: number, status?: object): KubeObject => ({ metadata: { name: "ex", namespace: "a", uid: "u1", generation }, ...(status ? { status } : {}) });
    cache.set("a/ex", obj(1));
    expect(changed(obj(1))).toBe(true); // added
    expect(changed(obj(1, { state: "Expired" }))).toBe(false); // status write only
    expect(changed(obj(2))).toBe(true); // spec edit
    cache.delete("a/ex");
    expect(changed(obj(2))).toBe(true); // deleted
    cache.set("a/ex", obj(1));
    expect(changed({ metadata: { name: "ex", namespace: "a", uid: "u2", generation: 1 } })).toBe(true); // re-created
  });
});
