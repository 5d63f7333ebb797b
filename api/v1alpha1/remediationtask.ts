import { z } from "zod";
import { ArtifactRef, Conditions, LocalObjectReference, Severity, dateTime } from "./common.js";
import { TaskState } from "./integration.js";

export const RemediationTaskSpec = z.object({
  title: z.string().min(1).max(255),
  artifact: ArtifactRef,
  clusterKey: z.string().min(1).describe("Correlation cluster this task tracks (versioned fingerprint)"),
  findingKeys: z.array(z.string()).max(500).default([]),
  vulnerabilityIds: z.array(z.string()).max(500).default([]),
  severity: Severity,
  gateRef: LocalObjectReference.optional(),
  integrationRefs: z.array(LocalObjectReference).default([]),
  resolution: z
    .object({
      type: z.enum(["FALSE_POSITIVE", "ACCEPTED_RISK"]),
      justification: z.string().min(10),
      by: z.string().min(1),
    })
    .optional()
    .describe("Manual resolution by a person"),
});
export type RemediationTaskSpec = z.infer<typeof RemediationTaskSpec>;

export const RemediationTaskStatus = z.object({
  observedGeneration: z.number().int().optional(),
  conditions: Conditions.optional(),
  state: TaskState.optional(),
  sla: z.object({ dueAt: dateTime(), breached: z.boolean(), source: z.enum(["severity", "kev"]).optional() }).optional(),
  tickets: z
    .array(
      z.object({
        integration: z.string(),
        key: z.string().optional(),
        url: z.string().optional(),
        state: z.string().optional(),
        syncedAt: dateTime().optional(),
        lastError: z.string().max(1024).optional(),
      }),
    )
    .max(20)
    .optional(),
  transitions: z
    .array(z.object({ from: z.string(), to: TaskState, at: dateTime(), reason: z.string().max(512) }))
    .max(10)
    .optional(),
});
export type RemediationTaskStatus = z.infer<typeof RemediationTaskStatus>;
