import { describe, expect, it } from "@jest/globals";
import { normaliseVersion, packageIdentity, parsePurl } from "./purl.js";

describe("package URLs", () => {
  it.each([
    ["pkg:deb/debian/libc6@2.28-10?arch=amd64", { type: "deb", namespace: "debian", name: "libc6", version: "2.28-10", qualifiers: { arch: "amd64" } }],
    ["pkg:maven/org.apache.logging.log4j/log4j-core@2.13.2", { type: "maven", namespace: "org.apache.logging.log4j", name: "log4j-core", version: "2.13.2", qualifiers: {} }],
    ["pkg:golang/golang.org/x/net@v0.9.0", { type: "golang", namespace: "golang.org/x", name: "net", version: "v0.9.0", qualifiers: {} }],
    ["pkg:generic/java@17.0.10%2B7", { type: "generic", name: "java", version: "17.0.10+7", qualifiers: {} }],
    ["pkg:npm/%40babel/core@7.0.0#lib", { type: "npm", namespace: "@babel", name: "core", version: "7.0.0", qualifiers: {} }],
  ])("parses %s", (purl, expected) => {
    expect(parsePurl(purl)).toEqual(expected);
  });

  it.each(["", "npm/left-pad@1", "pkg:npm", "pkg:/"])("rejects %j", (s) => {
    expect(parsePurl(s)).toBeUndefined();
  });

  it.each([
    [{ name: "commons-compress", purl: "pkg:maven/org.apache.commons/commons-compress@1.14" }, "maven/org.apache.commons/commons-compress"],
    [{ name: "org.apache.commons:commons-compress", type: "jar" }, "maven/org.apache.commons/commons-compress"],
    [{ name: "Django_Rest.Framework", type: "pip" }, "pypi/django-rest-framework"],
    [{ name: "django-rest-framework", purl: "pkg:pypi/Django_Rest_Framework@3" }, "pypi/django-rest-framework"],
    [{ name: "libc6", type: "debian" }, "deb/libc6"],
    [{ name: "x", type: "constructor" }, "constructor/x"],
    [{ name: "x" }, "unknown/x"],
  ])("identity of %j is %s", (pkg, identity) => {
    expect(packageIdentity(pkg)).toBe(identity);
  });

  it("normalises what scanners print differently", () => {
    expect([normaliseVersion("v0.9.0"), normaliseVersion("0.9.0"), normaliseVersion("vim"), normaliseVersion(undefined)]).toEqual(["0.9.0", "0.9.0", "vim", ""]);
  });
});
