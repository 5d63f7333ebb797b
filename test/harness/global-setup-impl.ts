// Jest global setup for the integration project: one control plane and one PostgreSQL per test run.
// Their coordinates reach the test files through environment variables.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureControlPlaneBinaries, startControlPlane, type ControlPlane } from "./controlplane.js";
import { startPostgres, type TestPostgres } from "./postgres.js";
import { installCrds } from "./apply.js";
import { KubeClient } from "../../operator/kube/client.js";
import { createLogger } from "../../operator/logger.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

declare global {
  // eslint-disable-next-line no-var
  var __FIXOPS_HARNESS__: { cp: ControlPlane; db: TestPostgres } | undefined;
}

export default async function globalSetup(): Promise<void> {
  const binDir = ensureControlPlaneBinaries();
  const [cp, db] = await Promise.all([startControlPlane({ binDir }), startPostgres()]);
  globalThis.__FIXOPS_HARNESS__ = { cp, db };
  process.env.FIXOPS_TEST_KUBECONFIG = cp.kubeconfigPath;
  process.env.FIXOPS_TEST_CP_DIR = cp.dir;
  process.env.FIXOPS_TEST_DATABASE_URL = db.url;
  try {
    const kube = await KubeClient.create({ kubeconfigPath: cp.kubeconfigPath, fieldManager: "fixops-test", log: createLogger("silent") });
    await installCrds(kube, join(ROOT, "crds"));
    kube.close();
  } catch (err) {
    await Promise.all([cp.stop(), db.stop()]);
    throw err;
  }
}
