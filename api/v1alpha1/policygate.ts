import { z } from "zod";
import { Conditions, LabelSelector, LocalObjectReference, Outcome, Severity, dateTime, duration } from "./common.js";

/** A rule matches a finding when every condition it sets holds (AND); at least one must be set. */
export const GateRule = z.object({
  name: z.string().min(1).max(63),
  kev: z.boolean().optional().describe("Finding is in the CISA KEV catalog"),
  minSeverity: Severity.optional(),
  fixAvailable: z.boolean().optional(),
  minEpss: z.number().min(0).max(1).optional().describe("EPSS probability, 0..1"),
  minEpssPercentile: z.number().min(0).max(1).optional(),
  minRiskScore: z.number().min(0).max(100).optional(),
  minAgeDays: z.number().int().min(0).optional().describe("Finding first seen at least this many days ago"),
  vulnerabilityIds: z.array(z.string().min(1)).optional().describe("Match only these ids (or their aliases)"),
});
export type GateRule = z.infer<typeof GateRule>;

export const SlaDays = z.object({
  critical: z.number().int().min(1).default(7),
  high: z.number().int().min(1).default(30),
  medium: z.number().int().min(1).default(90),
  low: z.number().int().min(1).default(180),
});
export type SlaDays = z.infer<typeof SlaDays>;

export const PolicyGateSpec = z.object({
  selector: z
    .object({
      images: z.array(z.string().min(1)).optional().describe("Image globs (* within a path segment, ** across); empty = all"),
      excludeImages: z.array(z.string().min(1)).optional(),
      workloads: LabelSelector.optional().describe("Label selector on the workload (pod template labels)"),
    })
    .default({}),
  mode: z.enum(["enforce", "warn", "audit"]).default("audit"),
  blockRules: z.array(GateRule).default([]),
  reviewRules: z.array(GateRule).default([]),
  needsReviewAction: z.enum(["warn", "deny"]).default("warn"),
  missingScan: z.enum(["allow", "review", "block"]).default("review"),
  maxScanAge: duration().optional().describe("Older scans count as missing"),
  failurePolicy: z.enum(["Fail", "Ignore"]).default("Ignore"),
  remediation: z
    .object({
      minOutcome: z.enum(["BLOCK", "NEEDS_REVIEW"]).default("BLOCK"),
      integrationRefs: z.array(LocalObjectReference).default([]),
      groupBy: z.enum(["vulnerability", "package", "image"]).default("vulnerability"),
      slaDays: SlaDays.default({ critical: 7, high: 30, medium: 90, low: 180 }),
      escalateOnBreach: z.boolean().default(false).describe("BLOCK new rollouts of an artifact while one of this gate's open tasks for it is past its SLA"),
    })
    .optional(),
});
export type PolicyGateSpec = z.infer<typeof PolicyGateSpec>;

export const PolicyGateStatus = z.object({
  observedGeneration: z.number().int().optional(),
  conditions: Conditions.optional(),
  counts: z
    .object({ allow: z.number().int(), block: z.number().int(), needsReview: z.number().int() })
    .optional(),
  whatIf: z
    .object({
      evaluatedAt: dateTime(),
      wouldDeny: z.number().int(),
      workloads: z
        .array(
          z.object({
            kind: z.string(),
            name: z.string(),
            image: z.string(),
            outcome: Outcome,
          }),
        )
        .max(20)
        .optional(),
    })
    .optional(),
});
export type PolicyGateStatus = z.infer<typeof PolicyGateStatus>;
