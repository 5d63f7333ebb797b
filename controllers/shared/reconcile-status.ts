// The I/O shell shared by every controller: re-read the latest object, run the pure `decide`,
// merge conditions (keeping lastTransitionTime), and write status only if it changed.
import type { Condition } from "../../api/v1alpha1/index.js";
import { setConditions, type ConditionInput } from "../../operator/conditions.js";
import type { ReconcileResult } from "../../operator/controller.js";
import { splitKey, type KubeObject, type ResourceType } from "../../operator/kube/port.js";
import type { ControllerDeps } from "./deps.js";

export interface Plan<S> {
  /** Status fields other than conditions/observedGeneration. */
  status: S;
  conditions: ConditionInput[];
  requeueAfterMs?: number;
  /** Events to emit when the status actually changed. */
  events?: { type: "Normal" | "Warning"; reason: string; message: string }[];
}

export async function reconcileWithPlan<T extends KubeObject, S extends object>(
  deps: Pick<ControllerDeps, "kube" | "status" | "recorder" | "clock">,
  res: ResourceType,
  key: string,
  plan: (obj: T, now: Date) => Promise<Plan<S>> | Plan<S>,
  /** Called when the object no longer exists (to drop what the operator kept for it). */
  onGone?: (namespace: string, name: string) => Promise<void>,
): Promise<ReconcileResult | void> {
  const { namespace, name } = splitKey(key);
  const obj = await deps.kube.get<T>(res, namespace, name);
  if (!obj) {
    await onGone?.(namespace ?? "", name);
    return;
  }
  if (obj.metadata.deletionTimestamp) return;
  const now = deps.clock.now();
  const p = await plan(obj, now);
  const current = (obj.status ?? {}) as { conditions?: Condition[] };
  const desired = {
    ...p.status,
    observedGeneration: obj.metadata.generation,
    conditions: setConditions(current.conditions, p.conditions, now),
  };
  const wrote = await deps.status.write(res, obj, desired);
  if (wrote) for (const e of p.events ?? []) await deps.recorder.record(obj, e.type, e.reason, e.message);
  return p.requeueAfterMs !== undefined ? { requeueAfterMs: p.requeueAfterMs } : undefined;
}
