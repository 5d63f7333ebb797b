// Writes crds/<plural>.fixops.io.yaml (and the chart's copy) from the zod API (`npm run gen:crds`). The drift test
// (api/crd.test.ts) fails when the committed files differ from what this would write.
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CRD_DIRS, renderCrdFiles } from "./render.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
for (const dir of CRD_DIRS) {
  mkdirSync(join(root, dir), { recursive: true });
  for (const { file, yaml } of renderCrdFiles()) {
    writeFileSync(join(root, dir, file), yaml);
    console.log(`wrote ${dir}/${file}`);
  }
}
