import { describe, expect, it } from "@jest/globals";
import { findingIdentity, findingsStillPresent, reopenComment, reopenWork } from "./verify.js";

const key = (artifact: string, id: string, pkg: string) => `finding/v1|${artifact}|${id}|pkg:maven/${pkg}@1.0.0`;

describe("verification", () => {
  it("a finding is the same problem whatever digest the rebuilt image has", () => {
    expect(findingIdentity(key("sha256:aaa", "CVE-1", "log4j"))).toBe(findingIdentity(key("sha256:bbb", "CVE-1", "log4j")));
    expect(findingIdentity(key("sha256:aaa", "CVE-1", "log4j"))).not.toBe(findingIdentity(key("sha256:aaa", "CVE-2", "log4j")));
    expect(findingIdentity("no-artifact")).toBe("no-artifact");
  });

  it.each([
    ["still present in the new digest", [key("sha256:new", "CVE-1", "log4j")], [key("sha256:old", "CVE-1", "log4j")]],
    ["gone", [key("sha256:new", "CVE-9", "netty")], []],
  ])("findingsStillPresent: %s", (_name, scanKeys, expected) => {
    expect(findingsStillPresent({ findingKeys: [key("sha256:old", "CVE-1", "log4j")], clusterKey: "group" }, scanKeys)).toEqual(expected);
  });

  it("falls back to the cluster key when the task lists no finding keys", () => {
    expect(findingsStillPresent({ findingKeys: [], clusterKey: key("img", "CVE-1", "a") }, [key("img2", "CVE-1", "a")])).toHaveLength(1);
  });

  it("reopens only tickets that exist, with a comment naming the scan", () => {
    const comment = reopenComment("team-a", "api-nightly", new Date("2026-01-02T03:04:05Z"), ["CVE-1", "CVE-2"]);
    expect(comment).toBe("FixOps: reopened — ScanResult team-a/api-nightly (scanned 2026-01-02T03:04:05.000Z) still has CVE-1, CVE-2.");
    const link = { namespace: "team-a", task: "t", integration: "jira", ticket_ref: "SEC-1", ticket_key: "SEC-1", url: "u", state: "Done", category: "done", synced_at: new Date() };
    expect(reopenWork([{ integration: "jira", link, dead: false }, { integration: "github", dead: true }], comment)).toEqual([
      { integration: "jira", work: { operation: "set_state", payload: { target: "open", comment } } },
    ]);
  });
});
