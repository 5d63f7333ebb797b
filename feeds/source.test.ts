import { describe, expect, it } from "@jest/globals";
import { loadOperatorConfig } from "../operator/config.js";
import { OFFICIAL_FEED_URLS, describeFeedSource, parseFeedSource } from "./source.js";

describe("feed source settings", () => {
  it.each([
    ["none", { kind: "none" }],
    ["https://mirror.example.org/epss.csv.gz", { kind: "url", url: "https://mirror.example.org/epss.csv.gz" }],
    ["file:/var/lib/fixops/kev.json", { kind: "file", path: "/var/lib/fixops/kev.json" }],
    ["file:///var/lib/fixops/kev.json", { kind: "file", path: "/var/lib/fixops/kev.json" }],
    ["/var/lib/fixops/kev.json", { kind: "file", path: "/var/lib/fixops/kev.json" }],
    ["configmap:fixops-system/feeds/kev.json", { kind: "configMap", namespace: "fixops-system", name: "feeds", key: "kev.json" }],
  ])("%s", (text, want) => {
    const s = parseFeedSource("kev", text);
    expect(s).toEqual(want);
    expect(parseFeedSource("kev", describeFeedSource(s))).toEqual(s);
  });

  it.each([
    ["ftp://x/y", /expected none, an http\(s\) URL/],
    ["file:relative/kev.json", /absolute path/],
    ["configmap:fixops-system/feeds", /configmap:<namespace>\/<name>\/<key>/],
    ["configmap:Fixops/feeds/kev.json", /Kubernetes object names/],
    ["configmap:ns/feeds/kev json", /the key may contain/],
    ["https://[::1", /not a valid URL/],
  ])("rejects %j", (text, why) => {
    expect(() => parseFeedSource("epss", text)).toThrow(why);
    expect(() => parseFeedSource("epss", text)).toThrow(/^epss feed source/);
  });

  it("defaults to the publishers' URLs and refuses a bad setting at start", () => {
    const base = { databaseUrl: "postgres://x/y", identity: "a" };
    const c = loadOperatorConfig(base, {});
    expect([c.epssSource, c.kevSource]).toEqual([OFFICIAL_FEED_URLS.epss, OFFICIAL_FEED_URLS.kev]);
    expect(loadOperatorConfig(base, { FIXOPS_KEV_SOURCE: "configmap:fixops-system/feeds/kev.json" }).kevSource).toBe("configmap:fixops-system/feeds/kev.json");
    expect(() => loadOperatorConfig(base, { FIXOPS_EPSS_SOURCE: "s3://bucket/epss" })).toThrow(/invalid operator configuration: epssSource: epss feed source "s3:\/\/bucket\/epss"/);
  });
});
