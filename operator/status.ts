// Status is written only when it changed, through the status subresource, guarded by the
// resourceVersion the reconcile read (a concurrent change → 409 → ConflictError → requeue).
import { isDeepStrictEqual } from "node:util";
import type { KubeObject, KubePort, ResourceType } from "./kube/port.js";
import type { OperatorMetrics } from "./metrics.js";

/** Drop undefined members so that a missing optional field compares equal to an absent one. */
export function normalise(v: unknown): unknown {
  return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
}

export function statusChanged(current: unknown, desired: unknown): boolean {
  return !isDeepStrictEqual(normalise(current ?? {}), normalise(desired ?? {}));
}

export class StatusWriter {
  constructor(
    private readonly kube: KubePort,
    private readonly metrics?: OperatorMetrics,
  ) {}

  /** Returns true when a write happened. */
  async write(res: ResourceType, obj: KubeObject, desired: Record<string, unknown>): Promise<boolean> {
    const current = (obj.status ?? {}) as Record<string, unknown>;
    if (!statusChanged(current, desired)) return false;
    const patch: Record<string, unknown> = { ...(normalise(desired) as Record<string, unknown>) };
    // JSON merge patch: a member we no longer want must be sent as null.
    for (const k of Object.keys(current)) if (!(k in patch)) patch[k] = null;
    await this.kube.patchStatus(res, obj.metadata.namespace!, obj.metadata.name, patch, obj.metadata.resourceVersion!);
    this.metrics?.statusWrites.inc({ kind: res.kind });
    return true;
  }
}
