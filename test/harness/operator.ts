// Operators for integration tests: in-process (fast) or as a real `fixops operator` child process
// (for SIGKILL / SIGTERM behaviour).
import { spawn, type ChildProcess } from "node:child_process";
import { openSync, closeSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadOperatorConfig, type OperatorConfig } from "../../operator/config.js";
import { startOperator, type OperatorOverrides, type RunningOperator } from "../../operator/main.js";
import { ROOT, harnessEnv, quietLog, suffix } from "./env.js";
import { freePort, waitFor } from "./ports.js";
import { tailLog } from "./processes.js";

export async function operatorConfig(overrides: Partial<OperatorConfig> & { watchNamespace: string }): Promise<OperatorConfig> {
  const env = harnessEnv();
  return loadOperatorConfig(
    {
      kubeconfig: env.kubeconfigPath,
      databaseUrl: env.databaseUrl,
      namespace: overrides.watchNamespace,
      identity: `test-${suffix()}`,
      healthAddr: "127.0.0.1",
      healthPort: 0,
      logLevel: process.env.FIXOPS_TEST_LOG_LEVEL ?? "silent",
      leaseDurationSeconds: 4,
      renewDeadlineSeconds: 3,
      retryPeriodSeconds: 1,
      // Tests never reach the internet: feeds come from a loopback server, a file or a ConfigMap.
      epssSource: "none",
      kevSource: "none",
      // The webhook is on by default in the operator; a test that wants it asks for webhookOverrides().
      webhookEnabled: false,
      ...overrides,
    },
    {},
  );
}

/**
 * The admission webhook on a free loopback port, registered by URL under a configuration name of its
 * own and scoped to namespaces carrying `label` (key=value), so parallel tests never see each
 * other's webhooks.
 */
export async function webhookOverrides(label: string): Promise<Pick<OperatorConfig, "webhookEnabled" | "webhookHost" | "webhookPort" | "webhookUrl" | "webhookConfigName" | "webhookNamespaceLabel">> {
  const port = await freePort();
  return {
    webhookEnabled: true,
    webhookHost: "127.0.0.1",
    webhookPort: port,
    webhookUrl: `https://127.0.0.1:${port}`,
    webhookConfigName: `fixops-admission-test-${suffix()}`,
    webhookNamespaceLabel: label,
  };
}

export async function runOperatorInProcess(config: OperatorConfig, overrides: OperatorOverrides = {}): Promise<RunningOperator> {
  return startOperator(config, { log: quietLog(), ...overrides });
}

export interface OperatorProcess {
  child: ChildProcess;
  healthPort: number;
  logFile: string;
  identity: string;
  kill(signal?: NodeJS.Signals): Promise<void>;
  logs(lines?: number): string;
}

/** `fixops operator` as a real child process (for SIGKILL / SIGTERM behaviour). */
export async function spawnOperator(args: { watchNamespace: string; identity: string; extraEnv?: Record<string, string> }): Promise<OperatorProcess> {
  const env = harnessEnv();
  const healthPort = await freePort();
  const logFile = join(mkdtempSync(join(tmpdir(), "fixops-op-")), `${args.identity}.log`);
  const fd = openSync(logFile, "a");
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(ROOT, "cli", "main.ts"), "operator"],
    {
      cwd: ROOT,
      stdio: ["ignore", fd, fd],
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        KUBECONFIG: env.kubeconfigPath,
        DATABASE_URL: env.databaseUrl,
        FIXOPS_NAMESPACE: args.watchNamespace,
        FIXOPS_WATCH_NAMESPACE: args.watchNamespace,
        FIXOPS_IDENTITY: args.identity,
        FIXOPS_HEALTH_ADDR: "127.0.0.1",
        FIXOPS_HEALTH_PORT: String(healthPort),
        FIXOPS_LEASE_DURATION_SECONDS: "4",
        FIXOPS_RENEW_DEADLINE_SECONDS: "3",
        FIXOPS_RETRY_PERIOD_SECONDS: "1",
        FIXOPS_LOG_LEVEL: "info",
        FIXOPS_EPSS_SOURCE: "none",
        FIXOPS_KEV_SOURCE: "none",
        // On by default in the operator; these tests do not exercise admission.
        FIXOPS_WEBHOOK_ENABLED: "false",
        ...args.extraEnv,
      },
    },
  );
  closeSync(fd);
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  await waitFor(`operator ${args.identity} /healthz`, async () => {
    if (child.exitCode !== null) throw new Error(`operator exited with ${child.exitCode}:\n${tailLog(logFile)}`);
    const r = await fetch(`http://127.0.0.1:${healthPort}/healthz`).catch(() => undefined);
    return r?.ok ? true : undefined;
  }, 60_000, 200);
  return {
    child,
    healthPort,
    logFile,
    identity: args.identity,
    kill: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
    logs: (lines = 60) => tailLog(logFile, lines),
  };
}

