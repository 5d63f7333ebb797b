import { z } from "zod";
import { ArtifactRef, Conditions, KeySelector, Outcome, Severity, dateTime } from "./common.js";

export const ReportFormat = z.enum(["trivy", "grype", "sarif", "cyclonedx", "spdx", "openvex"]);
export type ReportFormat = z.infer<typeof ReportFormat>;

export const ScanResultSpec = z.object({
  artifact: ArtifactRef,
  scanner: z.object({ name: z.string().min(1), version: z.string().optional() }).optional(),
  format: ReportFormat.optional().describe("Auto-detected when absent"),
  report: z
    .object({
      inline: z.string().optional().describe("The report itself (keep objects small; prefer a stored report)"),
      configMapKeyRef: KeySelector.optional(),
      secretKeyRef: KeySelector.optional(),
      storedRef: z
        .object({ digest: z.string().regex(/^sha256:[a-f0-9]{64}$/) })
        .optional()
        .describe("Report stored in the FixOps ledger by `fixops push`"),
    })
    .describe("Exactly one source"),
  scannedAt: dateTime().optional(),
});
export type ScanResultSpec = z.infer<typeof ScanResultSpec>;

const SeverityCounts = z.object({
  CRITICAL: z.number().int(),
  HIGH: z.number().int(),
  MEDIUM: z.number().int(),
  LOW: z.number().int(),
  UNKNOWN: z.number().int(),
});

export const TopFinding = z.object({
  id: z.string(),
  package: z.string().optional(),
  version: z.string().optional(),
  severity: Severity,
  riskScore: z.number(),
  kev: z.boolean().optional(),
  epss: z.number().optional(),
  fixedVersion: z.string().optional(),
});

export const GateVerdict = z.object({
  name: z.string(),
  mode: z.enum(["enforce", "warn", "audit"]),
  outcome: Outcome,
  reasons: z.array(z.string().max(1024)).max(20),
});

export const ScanResultStatus = z.object({
  observedGeneration: z.number().int().optional(),
  conditions: Conditions.optional(),
  reportDigest: z.string().optional(),
  format: ReportFormat.optional(),
  summary: z
    .object({
      raw: z.number().int(),
      unique: z.number().int(),
      suppressed: z.number().int(),
      noiseReductionPercent: z.number(),
      bySeverity: SeverityCounts,
    })
    .optional(),
  decision: z
    .object({
      outcome: Outcome,
      riskScore: z.number(),
      confidence: z.number().min(0).max(1),
      decidedAt: dateTime(),
      gates: z.array(GateVerdict).max(50),
      exceptionsApplied: z.array(z.string()).max(50).optional(),
      suppressed: z
        .array(z.object({ exception: z.string(), count: z.number().int(), vulnerabilityIds: z.array(z.string()).max(20) }))
        .max(50)
        .optional()
        .describe("What each applied RiskException took out of a matching rule"),
      feeds: z.object({ epss: z.string().optional(), kev: z.string().optional() }).optional(),
      topFindings: z.array(TopFinding).max(10),
    })
    .optional(),
});
export type ScanResultStatus = z.infer<typeof ScanResultStatus>;
