// I/O shell: validate, read the credentials Secret from the Integration's own namespace, and make a
// real authenticated call to the ALM. Ready reflects what the ALM answered, never an assumption.
import { parseDurationMs, type IntegrationResource } from "../../api/v1alpha1/index.js";
import { AuthError, SsrfBlockedError, TerminalError, checkIntegrationUrl, createConnector, createTicketConnector, type Credentials } from "../../connectors/index.js";
import { errorMessage } from "../../operator/errors.js";
import type { ControllerDeps } from "../shared/deps.js";
import { readIntegrationCredentials } from "../shared/integration-credentials.js";
import { ready } from "../shared/ready.js";
import type { Plan } from "../shared/reconcile-status.js";
import { syncDue, syncIntegration, type LastSync, type SyncDeps } from "./sync.js";
import { checkSecretKeys, planFromCredentialCheck, validateIntegration, type CredentialOutcome, type IntegrationPlan } from "./decide.js";

export { decodeSecret } from "../shared/integration-credentials.js";

export async function checkCredentials(
  integration: IntegrationResource,
  credentials: Credentials,
  log: ControllerDeps["log"],
): Promise<CredentialOutcome> {
  const connector = createConnector(integration.spec, credentials, { log });
  try {
    const { account } = await connector.checkCredentials();
    return { kind: "ok", account };
  } catch (err) {
    if (err instanceof AuthError || err instanceof SsrfBlockedError || err instanceof TerminalError) return { kind: "rejected", message: errorMessage(err) };
    return { kind: "unreachable", message: errorMessage(err) };
  } finally {
    await connector.close();
  }
}

export async function planIntegration(deps: Pick<ControllerDeps, "kube" | "log"> & { sync?: SyncDeps }, obj: IntegrationResource, now: Date): Promise<IntegrationPlan> {
  const gen = obj.metadata.generation;
  const v = validateIntegration(obj, checkIntegrationUrl);
  if (!v.ok) return { status: {}, conditions: [ready("False", "InvalidSpec", v.message, gen)] };
  const spec = v.spec;
  const recheckMs = parseDurationMs(spec.syncInterval);
  const secretName = spec.credentialsSecretRef!.name;
  // Only the Integration's own namespace: a tenant can never point at another tenant's Secret.
  const read = await readIntegrationCredentials(deps.kube, obj.metadata.namespace ?? "", spec);
  if (!read.ok) return { status: {}, conditions: [ready("False", read.reason, read.message, gen)], requeueAfterMs: Math.min(recheckMs, 30_000) };
  const secret = read.secret;
  const keyProblem = checkSecretKeys(spec.type, new Set(Object.keys(secret.data ?? {})));
  if (keyProblem) return { status: {}, conditions: [ready("False", "InvalidSecret", `Secret ${secretName}: ${keyProblem}`, gen)], requeueAfterMs: Math.min(recheckMs, 30_000) };
  const outcome = await checkCredentials({ ...obj, spec }, read.credentials, deps.log);
  const plan = planFromCredentialCheck({ ...obj, spec }, outcome, now, recheckMs);
  if (outcome.kind !== "ok" || !deps.sync || !isTicketType(spec.type)) return plan;
  const due = syncDue(obj, recheckMs, now);
  if (!due.due) return plan;
  const ns = obj.metadata.namespace ?? "";
  const connector = createTicketConnector(spec, read.credentials, { log: deps.log });
  let lastSync: LastSync;
  try {
    lastSync = await syncIntegration(deps.sync, ns, obj.metadata.name, spec, connector, now, due.request);
  } catch (err) {
    lastSync = { time: plan.status.lastCheckTime ?? now.toISOString(), result: "Failed", itemsChecked: 0, driftFound: 0, repaired: 0, ...(due.request !== undefined ? { request: due.request } : {}), message: errorMessage(err).slice(0, 1024) };
  } finally {
    await connector.close();
  }
  const events: NonNullable<IntegrationPlan["events"]> = lastSync.driftFound
    ? [{ type: "Warning", reason: "DriftFound", message: `sync checked ${lastSync.itemsChecked} ticket(s): ${lastSync.driftFound} drifted, ${lastSync.repaired} repaired` }]
    : [];
  return { ...plan, status: { ...plan.status, lastSync }, events: [...(plan.events ?? []), ...events] };
}

function isTicketType(t: IntegrationResource["spec"]["type"]): boolean {
  return t === "jira" || t === "servicenow" || t === "gitlab" || t === "github" || t === "azuredevops";
}

export type { Plan };
