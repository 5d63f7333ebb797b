import { describe, expect, it } from "@jest/globals";
import { ImageDecisionIndex, normaliseDigest } from "./image-index.js";

const d = (n: number) => "sha256:" + n.toString(16).padStart(64, "0");
const HEXY = "sha256:" + "abcd".repeat(16);

function index() {
  return new ImageDecisionIndex<string>();
}

describe("ImageDecisionIndex", () => {
  it.each([
    // [ScanResult image, ScanResult digest, pod image, expected match, expected payload]
    ["ghcr.io/acme/api:1.0", d(1), `ghcr.io/acme/api@${d(1)}`, "digest", "A"],
    ["ghcr.io/acme/api:1.0", d(1), "ghcr.io/acme/api:1.0", "tag", "A"],
    ["ghcr.io/acme/api:1.0", d(1), `ghcr.io/acme/api:1.0@${d(1)}`, "digest", "A"],
    // the pod pins another digest: the tag entry names digest 1, so it is not this image
    ["ghcr.io/acme/api:1.0", d(1), `ghcr.io/acme/api:1.0@${d(2)}`, "none", undefined],
    // a tag-only scan serves a tag+digest pod when no scan has that digest
    ["ghcr.io/acme/api:1.0", undefined, `ghcr.io/acme/api:1.0@${d(2)}`, "tag", "A"],
    ["nginx", undefined, "docker.io/library/nginx:latest", "tag", "A"],
    ["docker.io/library/nginx:1.25", undefined, "nginx:1.25", "tag", "A"],
    [`nginx@${d(3)}`, undefined, `docker.io/library/nginx@${d(3)}`, "digest", "A"],
    // digest-only scan implies no tag: a pod using :latest does not match it
    [`nginx@${d(3)}`, undefined, "nginx", "none", undefined],
    // digests match across repositories (content address)
    [`ghcr.io/acme/api@${d(4)}`, undefined, `mirror.local/acme/api@${d(4)}`, "digest", "A"],
    ["ghcr.io/acme/api:1.0", undefined, "ghcr.io/acme/api:1.1", "none", undefined],
    ["index.docker.io/library/nginx", undefined, "nginx:latest", "tag", "A"],
    ["registry-1.docker.io/bitnami/redis:7", undefined, "bitnami/redis:7", "tag", "A"],
    ["GHCR.IO/acme/api:v1", undefined, "ghcr.io/acme/api:v1", "tag", "A"],
    ["localhost:5000/team/app", undefined, "localhost:5000/team/app:latest", "tag", "A"],
    // upper-case hex in the pod's digest still matches
    ["ghcr.io/acme/api", HEXY, `ghcr.io/acme/api@${HEXY.replace("ab", "AB").replace("cd", "CD")}`, "digest", "A"],
    ["ghcr.io/acme/api:1.0", undefined, "not a ref!", "none", undefined],
  ] as const)("scan %s (%s) ← pod %s: %s", (scanImage, scanDigest, podImage, matchedBy, payload) => {
    const idx = index();
    expect(idx.upsert({ scanResult: { namespace: "shop", name: "s1" }, image: scanImage, ...(scanDigest ? { digest: scanDigest } : {}), assessment: "A" })).toBe("added");
    const hit = idx.lookup("shop", podImage);
    expect(hit.matchedBy).toBe(matchedBy);
    expect(hit.entries[0]?.assessment).toBe(payload);
  });

  it("keeps namespaces apart (a namespace is a tenant)", () => {
    const idx = index();
    idx.upsert({ scanResult: { namespace: "a", name: "s" }, image: "ghcr.io/x/y:1", digest: d(1), assessment: "A" });
    expect(idx.lookup("b", `ghcr.io/x/y@${d(1)}`).matchedBy).toBe("none");
    expect(idx.lookup("b", "ghcr.io/x/y:1").matchedBy).toBe("none");
    expect(idx.lookup("a", "ghcr.io/x/y:1").matchedBy).toBe("tag");
  });

  it("orders several scans of one image newest first, and re-keys on update", () => {
    const idx = index();
    idx.upsert({ scanResult: { namespace: "n", name: "old" }, image: "ghcr.io/x/y:1", digest: d(1), scannedAt: "2026-01-01T00:00:00Z", assessment: "old" });
    idx.upsert({ scanResult: { namespace: "n", name: "new" }, image: "ghcr.io/x/y:1", digest: d(1), scannedAt: "2026-02-01T00:00:00Z", assessment: "new" });
    expect(idx.lookup("n", "ghcr.io/x/y:1").entries.map((e) => e.assessment)).toEqual(["new", "old"]);

    // "new" now names another image: it leaves the old keys
    expect(idx.upsert({ scanResult: { namespace: "n", name: "new" }, image: "ghcr.io/x/y:2", digest: d(2), assessment: "moved" })).toBe("updated");
    expect(idx.lookup("n", "ghcr.io/x/y:1").entries.map((e) => e.assessment)).toEqual(["old"]);
    expect(idx.lookup("n", `ghcr.io/x/y@${d(2)}`).entries.map((e) => e.assessment)).toEqual(["moved"]);
    expect(idx.size).toEqual({ scanResults: 2, digests: 2, tags: 2 });
  });

  it("deletes by ScanResult key and leaves no empty buckets", () => {
    const idx = index();
    idx.upsert({ scanResult: { namespace: "n", name: "s" }, image: "ghcr.io/x/y:1", digest: d(1), assessment: "A" });
    expect(idx.delete({ namespace: "n", name: "s" })).toBe(true);
    expect(idx.delete({ namespace: "n", name: "s" })).toBe(false);
    expect(idx.lookup("n", "ghcr.io/x/y:1").matchedBy).toBe("none");
    expect(idx.size).toEqual({ scanResults: 0, digests: 0, tags: 0 });
  });

  it.each([
    ["invalid image", { image: "UPPER/Case", assessment: "A" }],
    ["digest disagreeing with the image's digest", { image: `ghcr.io/x/y@${d(1)}`, digest: d(2), assessment: "A" }],
    ["malformed digest", { image: "ghcr.io/x/y:1", digest: "sha256:nothex", assessment: "A" }],
  ])("does not index a ScanResult with an %s, and drops its previous entry", (_why, bad) => {
    const idx = index();
    idx.upsert({ scanResult: { namespace: "n", name: "s" }, image: "ghcr.io/x/y:1", assessment: "A" });
    expect(idx.upsert({ scanResult: { namespace: "n", name: "s" }, ...bad })).toBe("unindexable");
    expect(idx.size.scanResults).toBe(0);
    expect(idx.lookup("n", "ghcr.io/x/y:1").matchedBy).toBe("none");
  });

  it("lists indexed ScanResults and reports sync state", () => {
    const idx = index();
    idx.upsert({ scanResult: { namespace: "n", name: "a" }, image: "x:1", assessment: "A" });
    idx.upsert({ scanResult: { namespace: "m", name: "b" }, image: "y:1", assessment: "B" });
    expect([...idx.scanResults()]).toEqual([
      { namespace: "n", name: "a" },
      { namespace: "m", name: "b" },
    ]);
    expect(idx.synced).toBe(false);
    idx.markSynced();
    expect(idx.synced).toBe(true);
  });

  it("holds 10,000 digests with constant-time lookups", () => {
    const idx = index();
    for (let i = 0; i < 10_000; i++) {
      idx.upsert({ scanResult: { namespace: "shop", name: `s${i}` }, image: `registry.example.com/team${i % 50}/svc${i}:1.0.${i % 7}`, digest: d(i + 1), assessment: `v${i}` });
    }
    expect(idx.size).toEqual({ scanResults: 10_000, digests: 10_000, tags: 10_000 });
    for (const i of [0, 4_999, 9_999]) {
      expect(idx.lookup("shop", `registry.example.com/team${i % 50}/svc${i}@${d(i + 1)}`).entries[0]?.assessment).toBe(`v${i}`);
      expect(idx.lookup("shop", `registry.example.com/team${i % 50}/svc${i}:1.0.${i % 7}`).entries[0]?.assessment).toBe(`v${i}`);
    }
  });
});

describe("normaliseDigest", () => {
  it.each([
    [d(1), d(1)],
    ["sha256:" + "ABCD".repeat(16), HEXY],
    ["sha512:" + "0".repeat(128), "sha512:" + "0".repeat(128)],
    ["sha256:xyz", null],
    ["md5", null],
  ])("%s → %s", (input, out) => expect(normaliseDigest(input)).toBe(out));
});
