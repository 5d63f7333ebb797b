// Pure: the RemediationTasks a decision about an artifact should know of — the open ones (named in
// deny messages) and those past their due date (escalateOnBreach turns their gate's verdict to BLOCK).
// Read from task objects as the informers hold them; the controllers and the admission index use the
// same functions, so they reach the same decision.
import type { TaskState } from "../api/v1alpha1/index.js";
import type { SlaBreach } from "../engine/index.js";
import { TERMINAL } from "./lifecycle.js";

export interface TaskRef {
  name: string;
  /** The PolicyGate that asked for the task (spec.gateRef), when any. */
  gate?: string;
  image: string;
  digest?: string;
  open: boolean;
  breached: boolean;
  dueAt?: string;
  vulnerabilityIds: string[];
}

type TaskObject = {
  metadata: { name: string };
  spec?: unknown;
  status?: unknown;
};

/** What a decision needs of each task; objects without an artifact image are skipped. */
export function taskRefs(objects: readonly TaskObject[]): TaskRef[] {
  const out: TaskRef[] = [];
  for (const o of objects) {
    const spec = (o.spec ?? {}) as { artifact?: { image?: unknown; digest?: unknown }; gateRef?: { name?: unknown }; vulnerabilityIds?: unknown };
    const status = (o.status ?? {}) as { state?: TaskState; sla?: { dueAt?: unknown; breached?: unknown } };
    if (typeof spec.artifact?.image !== "string") continue;
    const state = status.state ?? "OPEN";
    out.push({
      name: o.metadata.name,
      ...(typeof spec.gateRef?.name === "string" ? { gate: spec.gateRef.name } : {}),
      image: spec.artifact.image,
      ...(typeof spec.artifact.digest === "string" ? { digest: spec.artifact.digest } : {}),
      open: !TERMINAL.has(state),
      breached: status.sla?.breached === true,
      ...(typeof status.sla?.dueAt === "string" ? { dueAt: status.sla.dueAt } : {}),
      vulnerabilityIds: Array.isArray(spec.vulnerabilityIds) ? spec.vulnerabilityIds.filter((x): x is string => typeof x === "string") : [],
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Open tasks about this artifact: the same image reference, or the same digest. */
export function openTasksFor(tasks: readonly TaskRef[], artifact: { image: string; digest?: string }): TaskRef[] {
  return tasks.filter((t) => t.open && (t.image === artifact.image || (artifact.digest !== undefined && t.digest === artifact.digest)));
}

/** The breaches among them, as the engine takes them. */
export function slaBreaches(tasks: readonly TaskRef[]): SlaBreach[] {
  return tasks
    .filter((t) => t.breached && t.gate !== undefined)
    .map((t) => ({ gate: t.gate!, task: t.name, vulnerabilityIds: t.vulnerabilityIds, dueAt: t.dueAt ?? "its due date" }));
}

/** A short pointer for people: `ns/name`, or `ns/name (+N more)`. */
export function taskPointer(namespace: string, tasks: readonly TaskRef[]): string | undefined {
  if (tasks.length === 0) return undefined;
  return `${namespace}/${tasks[0]!.name}${tasks.length > 1 ? ` (+${tasks.length - 1} more)` : ""}`;
}
