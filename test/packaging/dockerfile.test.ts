// The image cannot be built on the test machine (no Docker engine); what can drift is checked here:
// the Dockerfile copies every folder the production build compiles, and runs the built CLI.
import { describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../harness/env.js";

describe("Dockerfile", () => {
  it("copies every source folder tsconfig.build.json compiles, and starts dist/cli/main.js", () => {
    const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");
    const build = JSON.parse(readFileSync(join(ROOT, "tsconfig.build.json"), "utf8")) as { include: string[] };
    const copied = [...dockerfile.matchAll(/^COPY ([\w/]+)\/ \1\/$/gm)].map((m) => m[1]!);
    expect(build.include.filter((d) => !copied.includes(d))).toEqual([]);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/nodejs\/bin\/node", "\/app\/dist\/cli\/main\.js"\]$/m);
    expect(dockerfile).toMatch(/^USER 65532:65532$/m);
  });
});
