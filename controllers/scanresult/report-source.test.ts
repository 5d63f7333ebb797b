import { describe, expect, it } from "@jest/globals";
import type { KubeObject, KubePort, ResourceType } from "../../operator/kube/port.js";
import { readClusterReport } from "./report-source.js";

const objects: Record<string, KubeObject> = {
  "ConfigMap/text": { metadata: { name: "text" }, data: { "report.json": '{"a":1}' } },
  "ConfigMap/bin": { metadata: { name: "bin" }, binaryData: { "report.json": Buffer.from('{"b":2}').toString("base64") } },
  "Secret/s": { metadata: { name: "s" }, data: { "report.json": Buffer.from('{"c":3}').toString("base64") } },
};
const kube: Pick<KubePort, "get"> = {
  get: async <T extends KubeObject>(res: ResourceType, _ns: string | undefined, name: string) => (objects[`${res.kind}/${name}`] as T | undefined) ?? null,
};

describe("readClusterReport", () => {
  it.each([
    ["inline text", { kind: "inline" as const, text: '{"i":0}' }, '{"i":0}'],
    ["a ConfigMap data key", { kind: "configMap" as const, name: "text", key: "report.json" }, '{"a":1}'],
    ["a ConfigMap binaryData key", { kind: "configMap" as const, name: "bin", key: "report.json" }, '{"b":2}'],
    ["a Secret key", { kind: "secret" as const, name: "s", key: "report.json" }, '{"c":3}'],
  ])("reads %s", async (_n, src, expected) => {
    const r = await readClusterReport(kube, "team-a", src);
    expect(r.ok && r.bytes.toString("utf8")).toBe(expected);
  });

  it.each([
    [{ kind: "configMap" as const, name: "nope", key: "k" }, "ConfigMap team-a/nope not found"],
    [{ kind: "configMap" as const, name: "text", key: "other" }, 'ConfigMap team-a/text has no key "other"'],
    [{ kind: "secret" as const, name: "nope", key: "k" }, "Secret team-a/nope not found"],
    [{ kind: "secret" as const, name: "s", key: "other" }, 'Secret team-a/s has no key "other"'],
  ])("names what is missing: %j", async (src, message) => {
    expect(await readClusterReport(kube, "team-a", src)).toEqual({ ok: false, reason: "ReportNotFound", message });
  });
});
