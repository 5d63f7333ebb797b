// Pure: validate a RemediationTask, find the RiskException covering it, build the ticket it opens, and
// project the ledger (state, SLA, tickets, transitions) into its status.
import {
  RemediationTaskSpec,
  RiskExceptionSpec,
  type RemediationTaskResource,
  type RemediationTaskStatus,
  type RiskExceptionResource,
  type Severity,
  type TaskState,
} from "../../api/v1alpha1/index.js";
import type { Block } from "../../connectors/types.js";
import { idKey, imageGlobToRegExp, imageMatchesRegExp } from "../../engine/index.js";
import type { CreatePayload, DeliveryView } from "../../outbox/store.js";
import type { ConditionInput } from "../../operator/conditions.js";
import { ready } from "../shared/ready.js";
import type { Plan } from "../shared/reconcile-status.js";
import { parseSpec } from "../shared/spec.js";
import { isOpen, type Sla } from "../../remediation/lifecycle.js";

export type RemediationTaskPlan = Plan<Omit<RemediationTaskStatus, "conditions" | "observedGeneration">>;

/** Retry the task's dead letters: set (or change) this annotation's value. */
export const ANNOTATION_RETRY = "fixops.io/retry";

export function validateRemediationTask(obj: RemediationTaskResource, integrations: ReadonlySet<string>): { ok: true; spec: RemediationTaskSpec } | { ok: false; reason: string; message: string } {
  const parsed = parseSpec(RemediationTaskSpec, obj.spec);
  if (!parsed.ok) return { ok: false, reason: "InvalidSpec", message: parsed.message };
  const missing = parsed.spec.integrationRefs.map((r) => r.name).filter((n) => !integrations.has(n));
  if (missing.length) {
    return {
      ok: false,
      reason: "IntegrationNotFound",
      message: `integrationRefs names ${missing.map((m) => JSON.stringify(m)).join(", ")}, not found in namespace ${obj.metadata.namespace}`,
    };
  }
  return { ok: true, spec: parsed.spec };
}

export interface CoveringException {
  name: string;
  approver: string;
  expiresAt: Date;
}

/**
 * The active RiskException of the task's namespace that covers it (all of its vulnerability ids, and its
 * image when the exception names images), the one expiring last; and when the answer can next change.
 */
export function coveringException(
  spec: RemediationTaskSpec,
  namespace: string,
  exceptions: readonly RiskExceptionResource[],
  now: Date,
): { exception?: CoveringException; nextChangeAt?: Date } {
  let best: CoveringException | undefined;
  let next: number | undefined;
  const ids = spec.vulnerabilityIds.map(idKey);
  for (const e of exceptions) {
    if (e.metadata.namespace !== namespace) continue;
    const r = RiskExceptionSpec.safeParse(e.spec ?? {});
    if (!r.success) continue;
    const x = r.data;
    if (!x.vulnerabilityIds?.length && !x.images?.length) continue;
    const expires = Date.parse(x.expiresAt);
    if (Number.isNaN(expires) || expires <= now.getTime()) continue;
    if (x.vulnerabilityIds?.length) {
      const covered = new Set(x.vulnerabilityIds.map(idKey));
      if (ids.length === 0 || !ids.every((id) => covered.has(id))) continue;
    }
    if (x.images?.length) {
      let match = false;
      for (const g of x.images) {
        try {
          if (imageMatchesRegExp(spec.artifact.image, imageGlobToRegExp(g))) match = true;
        } catch {
          // An invalid glob matches nothing (the RiskException controller reports it).
        }
      }
      if (!match) continue;
    }
    next = next === undefined ? expires : Math.min(next, expires);
    if (!best || expires > best.expiresAt.getTime()) best = { name: e.metadata.name, approver: x.approver, expiresAt: new Date(expires) };
  }
  return { ...(best ? { exception: best } : {}), ...(next !== undefined ? { nextChangeAt: new Date(next) } : {}) };
}

const SEVERITY_LABEL: Record<Severity, string> = { CRITICAL: "critical", HIGH: "high", MEDIUM: "medium", LOW: "low", UNKNOWN: "unknown" };

/** The ticket a task opens in every referenced ALM. */
export function ticketDraft(namespace: string, name: string, spec: RemediationTaskSpec, sla: Sla): CreatePayload {
  const ids = spec.vulnerabilityIds;
  const description: Block[] = [
    { kind: "paragraph", content: ["FixOps found ", { text: spec.title, strong: true }, ` in `, { text: spec.artifact.image, code: true }, "."] },
    { kind: "heading", level: 3, text: "Vulnerabilities" },
    { kind: "list", items: (ids.length ? ids.slice(0, 50) : ["(rule-based finding)"]).map((id) => [{ text: id, code: true }]) },
    {
      kind: "paragraph",
      content: [`Severity ${SEVERITY_LABEL[spec.severity]}; due ${sla.dueAt.toISOString().slice(0, 10)} (${sla.source === "kev" ? "CISA KEV due date" : "SLA by severity"}).`],
    },
    { kind: "paragraph", content: [`RemediationTask ${namespace}/${name}`, ...(spec.gateRef ? [`, PolicyGate ${spec.gateRef.name}`] : []), "."] },
  ];
  return {
    title: spec.title,
    description,
    severity: spec.severity,
    // The connectors add the "fixops" marker and the idempotency label themselves.
    labels: [`severity-${SEVERITY_LABEL[spec.severity]}`],
    dueDate: sla.dueAt.toISOString().slice(0, 10),
  };
}

export interface StatusInput {
  generation?: number;
  state: TaskState;
  sla: Sla;
  breached: boolean;
  /** True only for the reconcile that recorded the breach. */
  breachedNow: boolean;
  deliveries: readonly DeliveryView[];
  transitions: readonly { from: string; to: TaskState; at: Date; reason: string }[];
  /** Transitions made by this reconcile (for Events). */
  made: readonly { from: TaskState; to: TaskState; reason: string }[];
  integrationRefs: readonly string[];
  requeueAfterMs?: number;
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");
const clip = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

export function planTaskStatus(i: StatusInput): RemediationTaskPlan {
  const byIntegration = new Map(i.deliveries.map((d) => [d.integration, d]));
  const tickets = i.integrationRefs.slice(0, 20).map((integration) => {
    const d = byIntegration.get(integration);
    const l = d?.link;
    return {
      integration,
      ...(l ? { key: l.ticket_key, url: l.url, state: l.state, syncedAt: iso(l.synced_at) } : {}),
      ...(d?.lastError ? { lastError: clip(d.dead ? `dead letter: ${d.lastError}` : d.lastError, 1024) } : {}),
    };
  });
  const dead = i.deliveries.filter((d) => d.dead && i.integrationRefs.includes(d.integration));
  const status: RemediationTaskPlan["status"] = {
    state: i.state,
    sla: { dueAt: iso(i.sla.dueAt), breached: i.breached, source: i.sla.source },
    tickets,
    transitions: i.transitions.slice(-10).map((t) => ({ from: t.from, to: t.to, at: iso(t.at), reason: clip(t.reason, 512) })),
  };
  const conditions: ConditionInput[] = [
    dead.length
      ? ready("False", "DeliveryFailed", clip(dead.map((d) => `${d.integration}: ${d.lastError ?? "dead letter"}`).join("; "), 1024), i.generation)
      : ready("True", "Tracking", `${i.state}; ${tickets.filter((t) => t.key).length} of ${tickets.length} ticket(s) open`, i.generation),
    {
      type: "SlaBreached",
      status: i.breached ? "True" : "False",
      reason: i.breached ? "DueDatePassed" : isOpen(i.state) ? "WithinSla" : "Closed",
      message: i.breached ? `SLA due ${iso(i.sla.dueAt)} passed while ${i.state}` : `due ${iso(i.sla.dueAt)}`,
      observedGeneration: i.generation,
    },
  ];
  const events: NonNullable<RemediationTaskPlan["events"]> = i.made.map((t) => ({ type: "Normal" as const, reason: "StateChanged", message: clip(`${t.from} → ${t.to}: ${t.reason}`, 1024) }));
  if (i.breachedNow) events.push({ type: "Warning", reason: "SlaBreached", message: `SLA due ${iso(i.sla.dueAt)} (${i.sla.source}) passed while ${i.state}` });
  for (const d of dead) events.push({ type: "Warning", reason: "DeliveryFailed", message: clip(`${d.integration}: ${d.lastError ?? "dead letter"}`, 1024) });
  return { status, conditions, ...(events.length ? { events } : {}), ...(i.requeueAfterMs !== undefined ? { requeueAfterMs: i.requeueAfterMs } : {}) };
}
