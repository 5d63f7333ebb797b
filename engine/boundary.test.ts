// The engine is shared by the controllers, the admission webhook and the CLI: it must stay pure.
import { describe, expect, it } from "@jest/globals";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ENGINE = dirname(fileURLToPath(import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === "testing" ? [] : sources(p);
    return name.endsWith(".ts") && !name.endsWith(".test.ts") ? [p] : [];
  });
}

const FORBIDDEN: [RegExp, string][] = [
  [/from\s+"(@kubernetes\/client-node|kubernetes-fluent-client|pg|undici|node:https?|node:net|node:fs|node:child_process)"/, "imports I/O"],
  [/from\s+"\.\.\/(controllers|webhooks|operator|store|connectors|cli)\//, "imports a caller"],
  [/process\.env/, "reads the environment"],
  [/Date\.now\(|new Date\(\)|performance\.now\(/, "reads the clock"],
];

describe("engine boundaries", () => {
  const files = sources(ENGINE);
  it("has sources to check", () => expect(files.length).toBeGreaterThan(15));
  it.each(files.map((f) => [relative(ENGINE, f), f]))("%s does no I/O, reads no clock or environment", (_name, file) => {
    const text = readFileSync(file, "utf8");
    for (const [re, what] of FORBIDDEN) expect([what, re.test(text)]).toEqual([what, false]);
  });
});
