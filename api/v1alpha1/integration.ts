import { z } from "zod";
import { Conditions, KeySelector, LocalObjectReference, dateTime, duration } from "./common.js";

export const IntegrationType = z.enum(["jira", "servicenow", "gitlab", "azuredevops", "github", "slack", "confluence", "webhook"]);
export type IntegrationType = z.infer<typeof IntegrationType>;

export const TaskState = z.enum(["OPEN", "ASSIGNED", "IN_PROGRESS", "VERIFICATION", "RESOLVED", "ACCEPTED_RISK", "FALSE_POSITIVE"]);
export type TaskState = z.infer<typeof TaskState>;

export const IntegrationSpec = z.object({
  type: IntegrationType,
  url: z.string().min(1).max(2048).meta({ format: "uri" }).describe("Base URL of the ALM, e.g. https://acme.atlassian.net"),
  credentialsSecretRef: LocalObjectReference.describe(
    "Secret in the Integration's namespace. Keys by type: jira (cloud) username+token, jira (datacenter) token, servicenow username+password, gitlab/github/azuredevops token, slack/webhook url or secret, confluence username+token.",
  ).optional(),
  jira: z
    .object({
      flavor: z.enum(["cloud", "datacenter"]).default("cloud"),
      projectKey: z.string().min(1),
      issueType: z.string().min(1).default("Bug"),
      labels: z.array(z.string().regex(/^\S+$/, "Jira labels may not contain spaces")).optional(),
      fields: z.record(z.string(), z.string()).optional().describe("Extra create fields, e.g. customfield_10010: value"),
    })
    .optional(),
  servicenow: z
    .object({
      table: z.string().min(1).default("incident"),
      assignmentGroup: z.string().optional(),
      closeCode: z.string().default("Solved (Permanently)"),
    })
    .optional(),
  gitlab: z.object({ projectId: z.string().min(1).describe("Numeric id or URL-encoded path") }).optional(),
  github: z.object({ owner: z.string().min(1), repo: z.string().min(1) }).optional(),
  azuredevops: z
    .object({ organization: z.string().min(1), project: z.string().min(1), workItemType: z.string().min(1).default("Bug") })
    .optional(),
  confluence: z.object({ spaceKey: z.string().min(1), parentPageId: z.string().optional() }).optional(),
  stateMapping: z
    .record(z.string(), TaskState)
    .optional()
    .describe("External state (or status category) → task state, overriding the built-in mapping"),
  inbound: z
    .object({
      secretRef: KeySelector.describe("Secret key holding the shared webhook secret / token / basic-auth password"),
    })
    .optional(),
  rateLimit: z
    .object({
      requestsPerSecond: z.number().min(0.1).max(1000).default(5),
      burst: z.number().int().min(1).max(1000).default(10),
    })
    .optional(),
  syncInterval: duration().default("10m"),
  network: z
    .object({
      allowPrivateAddresses: z.boolean().default(false).describe("Allow loopback and RFC 1918 targets (self-hosted ALMs)"),
      allowLinkLocal: z.boolean().default(false).describe("Allow link-local / cloud metadata addresses (almost never right)"),
    })
    .optional(),
});
export type IntegrationSpec = z.infer<typeof IntegrationSpec>;

export const IntegrationStatus = z.object({
  observedGeneration: z.number().int().optional(),
  conditions: Conditions.optional(),
  account: z.string().optional().describe("Identity the credential check authenticated as"),
  lastCheckTime: dateTime().optional(),
  lastSync: z
    .object({
      time: dateTime(),
      result: z.enum(["Succeeded", "Failed", "Partial"]),
      itemsChecked: z.number().int(),
      driftFound: z.number().int(),
      repaired: z.number().int().default(0),
      drift: z
        .array(z.object({ task: z.string(), ticket: z.string(), kind: z.string(), detail: z.string() }))
        .max(20)
        .optional()
        .describe("The first drifts found (all of them are counted in driftByKind)"),
      driftByKind: z
        .object({
          closedWithFindingPresent: z.number().int().default(0),
          ticketDeleted: z.number().int().default(0),
          stateMismatch: z.number().int().default(0),
        })
        .optional(),
      request: z.string().max(253).optional().describe("Value of the fixops.io/sync-requested annotation this sync answered"),
      message: z.string().optional(),
    })
    .optional(),
});
export type IntegrationStatus = z.infer<typeof IntegrationStatus>;
