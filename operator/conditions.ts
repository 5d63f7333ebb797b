// Conditions per the Kubernetes API conventions: one entry per type; lastTransitionTime changes
// only when status flips; observedGeneration says which spec the condition describes.
import type { Condition } from "../api/v1alpha1/index.js";

export type ConditionInput = Omit<Condition, "lastTransitionTime">;

export function setCondition(existing: readonly Condition[] | undefined, next: ConditionInput, now: Date): Condition[] {
  const list = [...(existing ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const prev = i >= 0 ? list[i] : undefined;
  const lastTransitionTime = prev && prev.status === next.status ? prev.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, "Z");
  const cond: Condition = { ...next, lastTransitionTime };
  if (i >= 0) list[i] = cond;
  else list.push(cond);
  return list;
}

export function setConditions(existing: readonly Condition[] | undefined, next: ConditionInput[], now: Date): Condition[] {
  return next.reduce<Condition[]>((acc, c) => setCondition(acc, c, now), [...(existing ?? [])]);
}

export function removeCondition(existing: readonly Condition[] | undefined, type: string): Condition[] {
  return (existing ?? []).filter((c) => c.type !== type);
}

export function findCondition(existing: readonly Condition[] | undefined, type: string): Condition | undefined {
  return existing?.find((c) => c.type === type);
}

export function isTrue(existing: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(existing, type)?.status === "True";
}
