import { describe, expect, it } from "@jest/globals";
import type { Informer, KubeObject } from "../../operator/kube/port.js";
import { breachedTaskMapper, specChangeFilter } from "./index.js";

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

describe("breachedTaskMapper", () => {
  const D = `sha256:${"b".repeat(64)}`;
  const scans = new Map<string, KubeObject>();
  const tasks = new Map<string, KubeObject>();
  const informer = (m: Map<string, KubeObject>) =>
    ({ get: (ns: string | undefined, n: string) => m.get(`${ns}/${n}`), list: (ns?: string) => [...m.values()].filter((o) => o.metadata.namespace === ns) }) as unknown as Informer<KubeObject>;
  const scan = (name: string, image: string, digest?: string): KubeObject => ({ metadata: { name, namespace: "a" }, spec: { artifact: { image, ...(digest ? { digest } : {}) } } } as KubeObject);
  for (const s of [scan("web", "ghcr.io/acme/web:2.0"), scan("web-pinned", `ghcr.io/acme/web@${D}`, D), scan("api", "ghcr.io/acme/api:1.0")]) scans.set(`a/${s.metadata.name}`, s);
  const task = (state: string, breached: boolean, over: { gate?: string; digest?: string; tickets?: number } = {}): KubeObject =>
    ({
      metadata: { name: "rt", namespace: "a" },
      spec: { artifact: { image: "ghcr.io/acme/web:2.0", ...(over.digest ? { digest: over.digest } : {}) }, ...(over.gate === "" ? {} : { gateRef: { name: over.gate ?? "prod" } }), vulnerabilityIds: ["CVE-1"] },
      status: { state, sla: { dueAt: "2026-01-05T00:00:00Z", breached }, tickets: over.tickets ?? 0 },
    }) as KubeObject;
  const mapper = breachedTaskMapper(informer(tasks), informer(scans));
  const event = (map: (o: KubeObject) => string[], o: KubeObject | undefined, last: KubeObject) => {
    if (o) tasks.set("a/rt", o);
    else tasks.delete("a/rt");
    return map(o ?? last).sort();
  };

  it.each<[string, [state: string, breached: boolean, over?: { gate?: string; digest?: string; tickets?: number }] | null, string[]]>([
    ["a new open task within its SLA changes no decision", ["OPEN", false], []],
    ["moving between open states does not either", ["IN_PROGRESS", false, { tickets: 1 }], []],
    ["its breach re-decides the ScanResults of its artifact (by image)", ["IN_PROGRESS", true, { tickets: 1 }], ["a/web"]],
    ["a status write that keeps the breach maps nothing", ["ASSIGNED", true, { tickets: 2 }], []],
    ["learning the digest adds the ScanResults pinned to it", ["ASSIGNED", true, { digest: D }], ["a/web", "a/web-pinned"]],
    ["the end of the task (risk accepted) re-decides them again", ["ACCEPTED_RISK", true, { digest: D }], ["a/web", "a/web-pinned"]],
    ["a breached task no gate asked for escalates nothing", ["OPEN", true, { gate: "" }], []],
    ["breached again, then deleted", ["OPEN", true], ["a/web"]],
    ["deletion", null, ["a/web"]],
  ])("%s", (_n, t, expected) => {
    expect(event(mapper, t ? task(...t) : undefined, task("OPEN", true))).toEqual(expected);
  });
});
