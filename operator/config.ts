// Operator configuration: read once, from flags and environment, into one typed object.
import { z } from "zod";
import type { FeedName } from "../engine/index.js";
import { OFFICIAL_FEED_URLS, parseFeedSource } from "../feeds/source.js";

/** A feed source setting, checked at start (see feeds/source.ts); defaults to the official URL. */
const feedSource = (feed: FeedName) =>
  z
    .string()
    .default(OFFICIAL_FEED_URLS[feed])
    .superRefine((v, ctx) => {
      try {
        parseFeedSource(feed, v);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: err instanceof Error ? err.message : String(err) });
      }
    });

export const OperatorConfig = z.object({
  kubeconfig: z.string().optional().describe("Path to a kubeconfig; in-cluster or $KUBECONFIG when absent"),
  namespace: z.string().min(1).default("fixops-system").describe("Namespace the operator runs in (Lease, Secrets)"),
  watchNamespace: z.string().optional().describe("Restrict watches to one namespace; all when absent"),
  databaseUrl: z.string().min(1).describe("PostgreSQL connection string"),
  databasePoolSize: z.coerce.number().int().min(1).max(100).default(10),
  migrateOnStart: z.boolean().default(true),
  identity: z.string().min(1).describe("Leader-election identity (pod name)"),
  leaseName: z.string().min(1).default("fixops-operator-leader"),
  leaseDurationSeconds: z.coerce.number().int().min(2).default(15),
  renewDeadlineSeconds: z.coerce.number().int().min(1).default(10),
  retryPeriodSeconds: z.coerce.number().int().min(1).default(2),
  healthAddr: z.string().default("0.0.0.0"),
  healthPort: z.coerce.number().int().min(0).max(65535).default(8080),
  workers: z.coerce.number().int().min(1).max(64).default(4),
  logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  fieldManager: z.string().default("fixops-operator"),
  epssSource: feedSource("epss").describe("EPSS feed: none, an http(s) URL, file:/path or configmap:<namespace>/<name>/<key>"),
  kevSource: feedSource("kev").describe("CISA KEV feed: none, an http(s) URL, file:/path or configmap:<namespace>/<name>/<key>"),
  feedRefreshSeconds: z.coerce.number().int().min(60).default(21_600).describe("Age at which the leader downloads a URL feed again"),
  feedPollSeconds: z.coerce.number().int().min(1).default(60).describe("How often feeds are re-read from files/ConfigMaps and the store"),
  outboxConcurrency: z.coerce.number().int().min(1).max(256).default(32).describe("Outbox rows delivered at once (all integrations)"),
  outboxPerIntegration: z.coerce.number().int().min(1).max(256).default(8).describe("Outbox rows delivered at once per integration"),
  outboxMaxAttempts: z.coerce.number().int().min(1).max(100).default(10).describe("Failed attempts before an outbox row is dead-lettered"),
  outboxBackoffMaxSeconds: z.coerce.number().min(1).max(86_400).default(300).describe("Longest wait between two attempts of an outbox row (exponential from 0.5 s, with jitter)"),
  almRequestTimeoutSeconds: z.coerce.number().min(0.1).max(300).default(15).describe("Time an ALM has to answer one request (headers, then each body chunk)"),
  almCircuitCoolDownSeconds: z.coerce.number().min(0.1).max(3600).default(30).describe("How long an ALM that failed repeatedly is left alone before one probe"),
  whatIfRefreshSeconds: z.coerce.number().int().min(1).default(60).describe("How often a PolicyGate's what-if re-lists the running Pods of its namespace"),
  webhookEnabled: z.boolean().default(true).describe("Serve the validating admission webhook on this replica (the operator is an admission controller: on unless turned off)"),
  webhookHost: z.string().default("0.0.0.0"),
  webhookPort: z.coerce.number().int().min(0).max(65535).default(9443),
  webhookUrl: z.string().url().optional().describe("Register the webhook by URL (out of cluster, tests): base https URL without path"),
  webhookServiceName: z.string().min(1).default("fixops-webhook").describe("In cluster (no webhookUrl): the Service the API server calls the webhook through"),
  webhookServiceNamespace: z.string().min(1).optional().describe("Namespace of that Service; the operator's namespace when absent"),
  webhookServicePort: z.coerce.number().int().min(1).max(65535).default(443).describe("Port of that Service"),
  webhookConfigName: z.string().min(1).default("fixops-admission"),
  webhookCertSecret: z.string().min(1).default("fixops-webhook-tls"),
  webhookCertMode: z
    .enum(["self-managed", "cert-manager"])
    .default("self-managed")
    .describe("self-managed: the operator keeps a CA and serving certificate in webhookCertSecret and rotates them; cert-manager: it only reads that Secret (tls.crt, tls.key, ca.crt) and never writes it"),
  webhookDnsNames: z.string().optional().describe("Comma-separated DNS names for the serving certificate"),
  webhookIpAddresses: z.string().optional().describe("Comma-separated IP addresses for the serving certificate"),
  webhookNamespaceLabel: z
    .string()
    .regex(/^[^=\s]+=[^=\s]*$/, "must be key=value")
    .optional()
    .describe("Only namespaces with this label (key=value) are sent to any of the webhooks (shared test clusters, staged roll-outs)"),
});
export type OperatorConfig = z.infer<typeof OperatorConfig>;

/** Flag values win over environment variables (FIXOPS_*), which win over defaults. */
export function loadOperatorConfig(flags: Record<string, unknown>, env: NodeJS.ProcessEnv): OperatorConfig {
  const fromEnv = {
    kubeconfig: env.KUBECONFIG,
    namespace: env.FIXOPS_NAMESPACE ?? env.POD_NAMESPACE,
    watchNamespace: env.FIXOPS_WATCH_NAMESPACE,
    databaseUrl: env.DATABASE_URL,
    databasePoolSize: env.FIXOPS_DATABASE_POOL_SIZE,
    migrateOnStart: env.FIXOPS_MIGRATE_ON_START === undefined ? undefined : env.FIXOPS_MIGRATE_ON_START !== "false",
    identity: env.FIXOPS_IDENTITY ?? env.POD_NAME ?? env.HOSTNAME,
    leaseName: env.FIXOPS_LEASE_NAME,
    leaseDurationSeconds: env.FIXOPS_LEASE_DURATION_SECONDS,
    renewDeadlineSeconds: env.FIXOPS_RENEW_DEADLINE_SECONDS,
    retryPeriodSeconds: env.FIXOPS_RETRY_PERIOD_SECONDS,
    healthAddr: env.FIXOPS_HEALTH_ADDR,
    healthPort: env.FIXOPS_HEALTH_PORT,
    workers: env.FIXOPS_WORKERS,
    logLevel: env.FIXOPS_LOG_LEVEL,
    webhookEnabled: env.FIXOPS_WEBHOOK_ENABLED === undefined ? undefined : env.FIXOPS_WEBHOOK_ENABLED === "true",
    webhookHost: env.FIXOPS_WEBHOOK_HOST,
    webhookPort: env.FIXOPS_WEBHOOK_PORT,
    webhookUrl: env.FIXOPS_WEBHOOK_URL,
    webhookServiceName: env.FIXOPS_WEBHOOK_SERVICE_NAME,
    webhookServiceNamespace: env.FIXOPS_WEBHOOK_SERVICE_NAMESPACE,
    webhookServicePort: env.FIXOPS_WEBHOOK_SERVICE_PORT,
    webhookConfigName: env.FIXOPS_WEBHOOK_CONFIG_NAME,
    webhookCertSecret: env.FIXOPS_WEBHOOK_CERT_SECRET,
    webhookCertMode: env.FIXOPS_WEBHOOK_CERT_MODE,
    webhookDnsNames: env.FIXOPS_WEBHOOK_DNS_NAMES,
    webhookIpAddresses: env.FIXOPS_WEBHOOK_IP_ADDRESSES,
    webhookNamespaceLabel: env.FIXOPS_WEBHOOK_NAMESPACE_LABEL,
    epssSource: env.FIXOPS_EPSS_SOURCE,
    kevSource: env.FIXOPS_KEV_SOURCE,
    feedRefreshSeconds: env.FIXOPS_FEED_REFRESH_SECONDS,
    feedPollSeconds: env.FIXOPS_FEED_POLL_SECONDS,
    outboxConcurrency: env.FIXOPS_OUTBOX_CONCURRENCY,
    outboxPerIntegration: env.FIXOPS_OUTBOX_PER_INTEGRATION,
    outboxMaxAttempts: env.FIXOPS_OUTBOX_MAX_ATTEMPTS,
    outboxBackoffMaxSeconds: env.FIXOPS_OUTBOX_BACKOFF_MAX_SECONDS,
    almRequestTimeoutSeconds: env.FIXOPS_ALM_REQUEST_TIMEOUT_SECONDS,
    almCircuitCoolDownSeconds: env.FIXOPS_ALM_CIRCUIT_COOL_DOWN_SECONDS,
    whatIfRefreshSeconds: env.FIXOPS_WHATIF_REFRESH_SECONDS,
  };
  const merged: Record<string, unknown> = {};
  for (const [k, v] of Object.entries({ ...fromEnv, ...flags })) if (v !== undefined && v !== "") merged[k] = v;
  const parsed = OperatorConfig.safeParse(merged);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(config)"}: ${i.message}`).join("; ");
    throw new Error(`invalid operator configuration: ${issues}`);
  }
  const cfg = parsed.data;
  if (cfg.renewDeadlineSeconds >= cfg.leaseDurationSeconds) {
    throw new Error("invalid operator configuration: renewDeadlineSeconds must be less than leaseDurationSeconds");
  }
  return cfg;
}
