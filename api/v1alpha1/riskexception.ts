import { z } from "zod";
import { Conditions, dateTime } from "./common.js";

export const RiskExceptionSpec = z.object({
  vulnerabilityIds: z.array(z.string().min(1)).optional().describe("CVE/GHSA/vendor ids (aliases match too)"),
  images: z.array(z.string().min(1)).optional().describe("Image globs; with vulnerabilityIds both must match"),
  expiresAt: dateTime().describe("Hard expiry; the exception stops applying at this instant everywhere"),
  approver: z.string().min(1),
  ticket: z.string().min(1).optional().describe("Link or key of the approval ticket"),
  reason: z.string().min(1),
});
export type RiskExceptionSpec = z.infer<typeof RiskExceptionSpec>;

export const RiskExceptionStatus = z.object({
  observedGeneration: z.number().int().optional(),
  conditions: Conditions.optional(),
  state: z.enum(["Active", "Expired", "Invalid"]).optional(),
  suppresses: z
    .object({
      scanResults: z.number().int(),
      findings: z.number().int(),
      items: z.array(z.object({ scanResult: z.string(), vulnerabilityId: z.string() })).max(20).optional(),
    })
    .optional(),
});
export type RiskExceptionStatus = z.infer<typeof RiskExceptionStatus>;
