// I/O shell of the RemediationTask controller: make sure the ledger row and its ticket creates exist,
// make the transitions the task's inputs call for (each with its audit event and outbox rows, in one
// transaction), record an SLA breach at its instant, and project the ledger into status.
import { PolicyGateSpec, type IntegrationType, type RemediationTaskResource, type SlaDays } from "../../api/v1alpha1/index.js";
import { deliveriesOf } from "../../outbox/store.js";
import type { ControllerDeps } from "../shared/deps.js";
import { ready } from "../shared/ready.js";
import { ANNOTATION_RETRY, coveringException, planTaskStatus, ticketDraft, validateRemediationTask, type RemediationTaskPlan } from "./decide.js";
import { ensureTask, readTask, recentTransitions, recordSlaBreach, retryOnce, StaleStateError, takeResolution, transition, type LedgerRow } from "../../remediation/ledger.js";
import { DEFAULT_SLA_DAYS, nextTransition, slaBreached, slaDue, slaRecheckMs, ticketWork } from "../../remediation/lifecycle.js";
import { ANNOTATION_KEV_DUE } from "../../remediation/plan.js";
import type { TaskState } from "../../api/v1alpha1/index.js";

/** Integration types that hold tickets (the others notify or publish; they get no create rows). */
export const TICKET_TYPES: ReadonlySet<IntegrationType> = new Set(["jira", "servicenow", "gitlab", "github", "azuredevops"]);
const MAX_STEPS = 3;

export type TaskDeps = Pick<ControllerDeps, "informers" | "pool" | "metrics" | "log">;

export async function planRemediationTask(deps: TaskDeps, obj: RemediationTaskResource, now: Date): Promise<RemediationTaskPlan> {
  const namespace = obj.metadata.namespace ?? "";
  const name = obj.metadata.name;
  const gen = obj.metadata.generation;
  // Only the task's own namespace: a task can never reach another tenant's Integration.
  const integrations = deps.informers.integrations.list(namespace);
  const v = validateRemediationTask(obj, new Set(integrations.map((i) => i.metadata.name)));
  if (!v.ok) {
    const row = await readTask(deps.pool, namespace, name);
    return { status: { state: row?.state ?? obj.status?.state ?? "OPEN" }, conditions: [ready("False", v.reason, v.message, gen)] };
  }
  const spec = v.spec;
  const ticketRefs = spec.integrationRefs
    .map((r) => r.name)
    .filter((n) => {
      const type = (integrations.find((i) => i.metadata.name === n)?.spec as { type?: IntegrationType } | undefined)?.type;
      return type !== undefined && TICKET_TYPES.has(type);
    });
  const gate = spec.gateRef ? deps.informers.policyGates.get(namespace, spec.gateRef.name) : undefined;
  const gateSpec = gate ? PolicyGateSpec.safeParse(gate.spec ?? {}) : undefined;
  const days: SlaDays = (gateSpec?.success ? gateSpec.data.remediation?.slaDays : undefined) ?? DEFAULT_SLA_DAYS;
  const kevDue = obj.metadata.annotations?.[ANNOTATION_KEV_DUE];
  let sla;
  try {
    const existing = await readTask(deps.pool, namespace, name);
    sla = slaDue(existing?.created_at ?? now, spec.severity, days, kevDue);
  } catch (err) {
    return { status: { state: obj.status?.state ?? "OPEN" }, conditions: [ready("False", "InvalidAnnotation", `${ANNOTATION_KEV_DUE}: ${(err as Error).message}`, gen)] };
  }
  const cover = coveringException(spec, namespace, deps.informers.riskExceptions.list(namespace), now);
  // A task that is closed from the start (resolution, exception) opens no ticket.
  const opens = !spec.resolution && !cover.exception;
  const draft = ticketDraft(namespace, name, spec, sla);
  const ensured = await ensureTask(
    deps.pool,
    { namespace, name, ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}), clusterKey: spec.clusterKey, severity: spec.severity, sla },
    opens ? ticketRefs.map((integration) => ({ integration, work: { operation: "create", payload: draft } })) : [],
  );
  let row: LedgerRow = ensured.row;

  const token = obj.metadata.annotations?.[ANNOTATION_RETRY];
  if (token) {
    const n = await retryOnce(deps.pool, namespace, name, token, "annotation");
    if (n !== undefined) deps.log.info({ task: `${namespace}/${name}`, requeued: n }, "dead letters requeued by annotation");
  }

  let deliveries = await deliveriesOf(deps.pool, namespace, name);
  const made: { from: TaskState; to: TaskState; reason: string }[] = [];
  for (let step = 0; step < MAX_STEPS; step++) {
    const next = nextTransition({
      current: row.state,
      ...(spec.resolution ? { resolution: spec.resolution } : {}),
      ...(cover.exception ? { exception: cover.exception } : {}),
      ticketed: deliveries.some((d) => d.link && ticketRefs.includes(d.integration)),
    });
    if (!next) break;
    const from = row.state;
    try {
      row = await transition(deps.pool, namespace, name, from, next, spec.resolution ? spec.resolution.by : "fixops-operator", () => ticketWork(next, deliveries, ticketRefs));
    } catch (err) {
      if (!(err instanceof StaleStateError)) throw err;
      row = (await readTask(deps.pool, namespace, name))!;
      continue;
    }
    made.push({ from, to: next.to, reason: next.reason });
    deps.metrics.remediationTransitions.inc({ to: next.to });
    deliveries = await deliveriesOf(deps.pool, namespace, name);
  }

  if (row.state === "RESOLVED") {
    const mttr = await takeResolution(deps.pool, namespace, name);
    if (mttr) deps.metrics.remediationMttrSeconds.observe({ severity: mttr.severity }, mttr.seconds);
  }
  const breached = slaBreached(sla, row.state, now);
  const breachedNow = breached && !row.sla_breached_at && (await recordSlaBreach(deps.pool, namespace, name, sla.dueAt));
  if (breachedNow) deps.metrics.remediationSlaBreaches.inc({ severity: spec.severity });
  const waits = [slaRecheckMs(sla, row.state, now), cover.nextChangeAt ? Math.max(1, cover.nextChangeAt.getTime() - now.getTime()) : undefined].filter((x): x is number => x !== undefined);
  return planTaskStatus({
    ...(gen !== undefined ? { generation: gen } : {}),
    state: row.state,
    sla,
    breached,
    breachedNow,
    deliveries,
    transitions: await recentTransitions(deps.pool, namespace, name),
    made,
    integrationRefs: ticketRefs,
    ...(waits.length ? { requeueAfterMs: Math.min(...waits) } : {}),
  });
}

