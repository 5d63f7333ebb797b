// Local FixOps: a real control plane and PostgreSQL on loopback, the CRDs, the samples in namespace
// fixops-demo, and the operator in the foreground. Everything is torn down on Ctrl-C / SIGTERM.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { loadOperatorConfig } from "../operator/config.js";
import { KubeClient } from "../operator/kube/client.js";
import { Resources } from "../operator/kube/port.js";
import { createLogger } from "../operator/logger.js";
import { startOperator } from "../operator/main.js";
import { applyObjects, installCrds, readManifests } from "../test/harness/apply.js";
import { ensureControlPlaneBinaries, startControlPlane } from "../test/harness/controlplane.js";
import { ROOT } from "../test/harness/env.js";
import { startPostgres } from "../test/harness/postgres.js";

const DEMO_NS = "fixops-demo";
const stateDir = join(ROOT, ".fixops-dev");
rmSync(stateDir, { recursive: true, force: true });
mkdirSync(stateDir, { recursive: true });

const log = createLogger(process.env.FIXOPS_LOG_LEVEL ?? "info");
const WEBHOOK_PORT = Number(process.env.FIXOPS_WEBHOOK_PORT ?? 9443);
const [cp, db] = await Promise.all([startControlPlane({ binDir: ensureControlPlaneBinaries(), dir: join(stateDir, "controlplane") }), startPostgres()]);
const teardown = async () => {
  await Promise.allSettled([cp.stop(), db.stop()]);
};
try {
  const kube = await KubeClient.create({ kubeconfigPath: cp.kubeconfigPath, fieldManager: "fixops-dev-up", log });
  await installCrds(kube, join(ROOT, "crds"));
  if (!(await kube.get(Resources.Namespace, undefined, DEMO_NS))) await kube.create(Resources.Namespace, { metadata: { name: DEMO_NS } });
  await applyObjects(kube, readManifests(join(ROOT, "crds", "samples")), DEMO_NS);
  kube.close();

  const config = loadOperatorConfig(
    {
      kubeconfig: cp.kubeconfigPath,
      databaseUrl: db.url,
      identity: "dev-up",
      healthAddr: "127.0.0.1",
      healthPort: Number(process.env.FIXOPS_HEALTH_PORT ?? 8080),
      // Out of cluster, the local API server calls the webhook on loopback (registered by URL).
      ...(process.env.FIXOPS_WEBHOOK_URL ? {} : { webhookHost: "127.0.0.1", webhookPort: WEBHOOK_PORT, webhookUrl: `https://127.0.0.1:${WEBHOOK_PORT}` }),
    },
    process.env,
  );
  const op = await startOperator(config, { log });
  process.stdout.write(
    [
      "",
      "FixOps is running locally.",
      `  kubeconfig:  export KUBECONFIG=${cp.kubeconfigPath}`,
      `  database:    ${db.url}`,
      `  health:      http://127.0.0.1:${op.healthPort}/readyz   metrics: http://127.0.0.1:${op.healthPort}/metrics`,
      op.admission ? `  admission:   ${op.admission.url()} (registered with the local API server; namespaces with a PolicyGate are gated)` : "  admission:   off",
      "  look:        kubectl get integrations,policygates,scanresults,remediationtasks,riskexceptions -A",
      "  (the sample Integration points at acme.atlassian.net, which this machine cannot reach: expect it not Ready)",
      "Ctrl-C stops everything.",
      "",
    ].join("\n"),
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await op.stop();
    await teardown();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
} catch (err) {
  process.stderr.write(`dev-up failed: ${err instanceof Error ? err.message : String(err)}\n${cp.logs(20)}\n`);
  await teardown();
  process.exit(1);
}
