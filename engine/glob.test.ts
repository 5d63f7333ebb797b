import { describe, expect, it } from "@jest/globals";
import { ImageGlobError } from "./errors.js";
import { checkImageGlob, imageGlobToRegExp, matchImageGlob } from "./glob.js";
import { parseImageRef } from "./image-ref.js";

describe("image globs", () => {
  it.each([
    ["ghcr.io/acme/*", "ghcr.io/acme/api", true],
    ["ghcr.io/acme/*", "ghcr.io/acme/team/api", false],
    ["ghcr.io/acme/**", "ghcr.io/acme/team/api:1.2", true],
    ["ghcr.io/acme/api:*", "ghcr.io/acme/api:1.4.2", true],
    ["ghcr.io/acme/api:?.?", "ghcr.io/acme/api:1.4", true],
    ["ghcr.io/acme/api", "ghcr.io/acme/api-v2", false],
    ["ghcr.io/acme.io/x", "ghcr.io/acmexio/x", false],
  ])("%s matches %s: %s", (glob, image, expected) => {
    expect(matchImageGlob(glob, image)).toBe(expected);
  });

  it.each([
    ["", /empty/],
    ["ghcr.io/[a-z]/x", /character classes/],
    ["ghcr.io/{a,b}/x", /braces/],
    ["ghcr.io/***", /\*\*\*/],
    ["ghcr.io/a b", /white space/],
  ])("rejects %j", (glob, msg) => {
    expect(checkImageGlob(glob)).toMatch(msg);
    expect(() => matchImageGlob(glob, "x")).toThrow(/invalid image glob/);
  });
});

describe("image globs against normalised references", () => {
  it.each([
    ["docker.io/library/nginx:*", "nginx:1.27", true],
    ["docker.io/library/nginx:latest", "nginx", true],
    ["docker.io/library/**", "index.docker.io/library/redis:7", true],
    ["ghcr.io/acme/**", "ghcr.io/acme", true],
    ["ghcr.io/**/api", "ghcr.io/acme/team/api", true],
    ["ghcr.io/**/api", "ghcr.io/api", true],
    ["ghcr.io/acme/api", `ghcr.io/acme/api@sha256:${"c".repeat(64)}`, true],
    ["ghcr.io/acme/api:1.0", `ghcr.io/acme/api:1.0@sha256:${"c".repeat(64)}`, true],
    ["ghcr.io/acme/api:1.0", "ghcr.io/acme/api:1.0.1", false],
    ["**", "anything/at/all:1", true],
  ])("%s matches %s: %s", (glob, image, expected) => {
    expect(matchImageGlob(glob, image)).toBe(expected);
  });

  it.each([
    ["ghcr.io/acme**", /whole path segment/],
    ["/ghcr.io/acme", /start or end with \//],
    ["ghcr.io//acme", /empty path segment/],
    ["a@b@c", /at most one @/],
    ["ghcr.io/acme/api$", /contains "\$"/],
  ])("rejects %j", (glob, msg) => {
    expect(checkImageGlob(glob)).toMatch(msg);
    expect(() => imageGlobToRegExp(glob)).toThrow(ImageGlobError);
  });
});

describe("image references", () => {
  it.each([
    ["nginx", { registry: "docker.io", repository: "library/nginx", tag: "latest", canonical: "docker.io/library/nginx:latest" }],
    ["localhost:5000/app:dev", { registry: "localhost:5000", repository: "app", tag: "dev", canonical: "localhost:5000/app:dev" }],
    [`ghcr.io/acme/api@sha256:${"C".repeat(64)}`, { registry: "ghcr.io", repository: "acme/api", digest: `sha256:${"c".repeat(64)}`, canonical: `ghcr.io/acme/api@sha256:${"c".repeat(64)}` }],
  ])("%s", (ref, expected) => {
    expect(parseImageRef(ref)).toMatchObject(expected);
  });

  it.each(["", "ghcr.io/Acme/api", "ghcr.io/acme/api:", "ghcr.io/acme/api@sha256:short", "a b"])("rejects %j", (ref) => {
    expect(parseImageRef(ref)).toBeUndefined();
  });
});
