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

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The JSON merge patch (RFC 7386) that turns `current` into `desired`: members we no longer want are
 * sent as null at every depth (objects merge, so a nested member left out would survive); arrays
 * and scalars are replaced whole.
 */
export function mergePatch(current: Record<string, unknown>, desired: Record<string, unknown>): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(desired)) patch[k] = isObject(v) && isObject(current[k]) ? mergePatch(current[k], v) : v;
  for (const k of Object.keys(current)) if (!(k in desired)) patch[k] = null;
  return patch;
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
    const patch = mergePatch(current, normalise(desired) as Record<string, unknown>);
    await this.kube.patchStatus(res, obj.metadata.namespace!, obj.metadata.name, patch, obj.metadata.resourceVersion!);
    this.metrics?.statusWrites.inc({ kind: res.kind });
    return true;
  }
}
