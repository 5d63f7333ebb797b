import type { ConditionInput } from "../../operator/conditions.js";

export const ready = (status: "True" | "False" | "Unknown", reason: string, message: string, generation?: number): ConditionInput => ({
  type: "Ready",
  status,
  reason,
  message,
  observedGeneration: generation,
});
