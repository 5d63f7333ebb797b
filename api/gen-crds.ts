// Writes crds/<plural>.fixops.io.yaml from the zod API (`npm run gen:crds`). The drift test
// (api/crd.test.ts) fails when the committed files differ from what this would write.
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { renderCrdFiles } from "./render.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
mkdirSync(join(root, "crds"), { recursive: true });
for (const { file, yaml } of renderCrdFiles()) {
  writeFileSync(join(root, "crds", file), yaml);
  console.log(`wrote crds/${file}`);
}
