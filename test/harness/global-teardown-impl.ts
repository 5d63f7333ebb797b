import { removeDir } from "./controlplane.js";

export default async function globalTeardown(): Promise<void> {
  const h = globalThis.__FIXOPS_HARNESS__;
  if (!h) return;
  globalThis.__FIXOPS_HARNESS__ = undefined;
  await Promise.all([h.cp.stop(), h.db.stop()]);
  // Logs are kept when tests failed (the failure reporter printed their tails and path).
  if (process.env.FIXOPS_TEST_FAILED !== "1" && process.env.FIXOPS_KEEP_CP !== "1") removeDir(h.cp.dir);
}
