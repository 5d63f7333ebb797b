// The FixOps API, group fixops.io, version v1alpha1: one entry per kind with everything the CRD
// generator, the operator and the CLI need. Types come from the zod schemas; nothing is written twice.
import { z } from "zod";
import { API_VERSION, ObjectMeta } from "./common.js";
import { IntegrationSpec, IntegrationStatus } from "./integration.js";
import { PolicyGateSpec, PolicyGateStatus } from "./policygate.js";
import { RemediationTaskSpec, RemediationTaskStatus } from "./remediationtask.js";
import { RiskExceptionSpec, RiskExceptionStatus } from "./riskexception.js";
import { ScanResultSpec, ScanResultStatus } from "./scanresult.js";

export * from "./common.js";
export * from "./integration.js";
export * from "./policygate.js";
export * from "./remediationtask.js";
export * from "./riskexception.js";
export * from "./scanresult.js";

export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface KindDef<Spec extends z.ZodType = z.ZodType, Status extends z.ZodType = z.ZodType> {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  spec: Spec;
  status: Status;
  printerColumns: PrinterColumn[];
  description: string;
}

const readyColumns: PrinterColumn[] = [
  { name: "Ready", type: "string", jsonPath: `.status.conditions[?(@.type=="Ready")].status` },
  { name: "Reason", type: "string", jsonPath: `.status.conditions[?(@.type=="Ready")].reason`, priority: 1 },
];
const age: PrinterColumn = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" };

export const Integration = {
  kind: "Integration",
  plural: "integrations",
  singular: "integration",
  shortNames: ["fxint"],
  spec: IntegrationSpec,
  status: IntegrationStatus,
  description: "A connection to an ALM or notification system (Jira, ServiceNow, GitLab, Azure DevOps, GitHub, Slack, Confluence, webhook).",
  printerColumns: [
    { name: "Type", type: "string", jsonPath: ".spec.type" },
    { name: "URL", type: "string", jsonPath: ".spec.url", priority: 1 },
    ...readyColumns,
    { name: "Last-Sync", type: "date", jsonPath: ".status.lastSync.time" },
    age,
  ],
} satisfies KindDef;

export const PolicyGate = {
  kind: "PolicyGate",
  plural: "policygates",
  singular: "policygate",
  shortNames: ["gate", "fxgate"],
  spec: PolicyGateSpec,
  status: PolicyGateStatus,
  description: "Rules that decide ALLOW / BLOCK / NEEDS_REVIEW for images in this namespace, and what happens at admission.",
  printerColumns: [
    { name: "Mode", type: "string", jsonPath: ".spec.mode" },
    { name: "Block", type: "integer", jsonPath: ".status.counts.block" },
    { name: "Review", type: "integer", jsonPath: ".status.counts.needsReview" },
    { name: "Would-Deny", type: "integer", jsonPath: ".status.whatIf.wouldDeny" },
    ...readyColumns,
    age,
  ],
} satisfies KindDef;

export const ScanResult = {
  kind: "ScanResult",
  plural: "scanresults",
  singular: "scanresult",
  shortNames: ["scan", "fxscan"],
  spec: ScanResultSpec,
  status: ScanResultStatus,
  description: "One scanner report for one image, and the decision FixOps made for it.",
  printerColumns: [
    { name: "Image", type: "string", jsonPath: ".spec.artifact.image" },
    { name: "Decision", type: "string", jsonPath: ".status.decision.outcome" },
    { name: "Risk", type: "number", jsonPath: ".status.decision.riskScore" },
    { name: "Critical", type: "integer", jsonPath: ".status.summary.bySeverity.CRITICAL" },
    { name: "High", type: "integer", jsonPath: ".status.summary.bySeverity.HIGH" },
    { name: "Scanner", type: "string", jsonPath: ".spec.scanner.name", priority: 1 },
    ...readyColumns,
    age,
  ],
} satisfies KindDef;

export const RemediationTask = {
  kind: "RemediationTask",
  plural: "remediationtasks",
  singular: "remediationtask",
  shortNames: ["rtask", "fxtask"],
  spec: RemediationTaskSpec,
  status: RemediationTaskStatus,
  description: "Work to fix one correlated cluster of findings, tracked in the ALMs its integrations name.",
  printerColumns: [
    { name: "Severity", type: "string", jsonPath: ".spec.severity" },
    { name: "State", type: "string", jsonPath: ".status.state" },
    // A future instant: kubectl shows "date" columns as an age, which is "<invalid>" for the future.
    { name: "Due", type: "string", jsonPath: ".status.sla.dueAt" },
    { name: "Breached", type: "boolean", jsonPath: ".status.sla.breached" },
    { name: "Title", type: "string", jsonPath: ".spec.title", priority: 1 },
    ...readyColumns,
    age,
  ],
} satisfies KindDef;

export const RiskException = {
  kind: "RiskException",
  plural: "riskexceptions",
  singular: "riskexception",
  shortNames: ["rex", "fxex"],
  spec: RiskExceptionSpec,
  status: RiskExceptionStatus,
  description: "Accepted risk for vulnerabilities and/or images in this namespace, with a hard expiry.",
  printerColumns: [
    { name: "State", type: "string", jsonPath: ".status.state" },
    { name: "Expires", type: "string", jsonPath: ".spec.expiresAt" },
    { name: "Approver", type: "string", jsonPath: ".spec.approver" },
    { name: "Suppresses", type: "integer", jsonPath: ".status.suppresses.findings" },
    ...readyColumns,
    age,
  ],
} satisfies KindDef;

export const KINDS = [Integration, PolicyGate, ScanResult, RemediationTask, RiskException] as const;
export type KindName = (typeof KINDS)[number]["kind"];

export function kindDef(kind: string): (typeof KINDS)[number] {
  const def = KINDS.find((k) => k.kind === kind);
  if (!def) throw new Error(`unknown FixOps kind ${kind}`);
  return def;
}

/** A FixOps object as read from the API server (spec already validated/defaulted by zod). */
export interface Resource<Spec, Status> {
  apiVersion: typeof API_VERSION;
  kind: string;
  metadata: ObjectMeta;
  spec: Spec;
  status?: Status;
}
export type IntegrationResource = Resource<IntegrationSpec, IntegrationStatus>;
export type PolicyGateResource = Resource<PolicyGateSpec, PolicyGateStatus>;
export type ScanResultResource = Resource<ScanResultSpec, ScanResultStatus>;
export type RemediationTaskResource = Resource<RemediationTaskSpec, RemediationTaskStatus>;
export type RiskExceptionResource = Resource<RiskExceptionSpec, RiskExceptionStatus>;
