import { Command, Option } from "commander";
import { loadOperatorConfig } from "../operator/config.js";
import { startOperator } from "../operator/main.js";

export function registerOperator(program: Command): void {
  program
    .command("operator")
    .description("Run the FixOps operator (controllers on the leader, health and metrics on every replica)")
    .option("--kubeconfig <path>", "kubeconfig to use (default: in-cluster or $KUBECONFIG)")
    .option("--namespace <ns>", "namespace the operator runs in (Lease); env FIXOPS_NAMESPACE")
    .option("--watch-namespace <ns>", "only watch this namespace; env FIXOPS_WATCH_NAMESPACE")
    .option("--database-url <url>", "PostgreSQL URL; env DATABASE_URL")
    .option("--identity <id>", "leader-election identity; env POD_NAME/HOSTNAME")
    .option("--health-port <port>", "port for /healthz, /readyz, /metrics; env FIXOPS_HEALTH_PORT")
    .option("--health-addr <addr>", "address for the health server; env FIXOPS_HEALTH_ADDR")
    .option("--lease-duration-seconds <n>", "leader lease duration")
    .option("--renew-deadline-seconds <n>", "leader renew deadline")
    .option("--retry-period-seconds <n>", "leader election retry period")
    .option("--workers <n>", "reconcile workers per controller")
    .option("--no-webhook", "do not serve the validating admission webhook on this replica (on by default); env FIXOPS_WEBHOOK_ENABLED=false")
    .option("--webhook-host <addr>", "address for the webhook server; env FIXOPS_WEBHOOK_HOST")
    .option("--webhook-port <port>", "port for the webhook server (default 9443); env FIXOPS_WEBHOOK_PORT")
    .option("--webhook-url <url>", "register the webhook by this base https URL (out of cluster); env FIXOPS_WEBHOOK_URL")
    .option("--webhook-config-name <name>", "name of the ValidatingWebhookConfiguration; env FIXOPS_WEBHOOK_CONFIG_NAME")
    .addOption(new Option("--webhook-cert-mode <mode>", "self-managed (operator keeps and rotates its CA) or cert-manager (read the Secret only); env FIXOPS_WEBHOOK_CERT_MODE").choices(["self-managed", "cert-manager"]))
    .option("--webhook-service-name <name>", "Service the API server calls the webhook through when no URL is set (default fixops-webhook); env FIXOPS_WEBHOOK_SERVICE_NAME")
    .option("--webhook-service-namespace <ns>", "namespace of that Service (default: the operator's); env FIXOPS_WEBHOOK_SERVICE_NAMESPACE")
    .option("--webhook-service-port <port>", "port of that Service (default 443); env FIXOPS_WEBHOOK_SERVICE_PORT")
    .option("--epss-source <source>", "EPSS feed: none, URL, file:/path or configmap:ns/name/key (default: FIRST's URL); env FIXOPS_EPSS_SOURCE")
    .option("--kev-source <source>", "CISA KEV feed: none, URL, file:/path or configmap:ns/name/key (default: CISA's URL); env FIXOPS_KEV_SOURCE")
    .option("--feed-refresh-seconds <n>", "age at which a URL feed is downloaded again (default 21600)")
    .option("--feed-poll-seconds <n>", "how often feeds are re-read from files, ConfigMaps and the store (default 60)")
    .option("--no-migrate", "do not apply database migrations at start-up")
    .addOption(new Option("--log-level <level>", "log level").choices(["trace", "debug", "info", "warn", "error", "fatal"]))
    .action(async (opts: Record<string, unknown>) => {
      const { migrate, webhook, ...rest } = opts;
      // Only flags actually given: a key set to undefined would hide the FIXOPS_* variable behind it.
      const config = loadOperatorConfig({ ...rest, ...(migrate === false ? { migrateOnStart: false } : {}), ...(webhook === false ? { webhookEnabled: false } : {}) }, process.env);
      const op = await startOperator(config);
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals) => {
        if (++signals > 1) process.exit(1);
        process.stderr.write(`received ${sig}, shutting down\n`);
        op.stop().then(
          () => process.exit(0),
          (err: unknown) => {
            process.stderr.write(`shutdown failed: ${String(err)}\n`);
            process.exit(1);
          },
        );
      };
      process.on("SIGTERM", onSignal);
      process.on("SIGINT", onSignal);
    });
}
