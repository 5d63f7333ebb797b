// Parses each provider's webhook payload into one normalised event. Only the parts we read are validated
// (zod, unknown fields pass); states map by category through the same functions the connectors use.
// A malformed body is an InboundPayloadError with a clear message — never another kind of throw.
import { createHash } from "node:crypto";
import { z } from "zod";
import { keyFromLabels } from "../../connectors/idempotency.js";
import { WEBHOOK_DELIVERY_HEADER } from "../../connectors/webhook.js";
import { adoCategory, categoryOfTaskState, githubCategory, githubRawState, gitlabCategory, jiraCategory, servicenowCategory, SERVICENOW_STATES, type StateMapping } from "../../connectors/state.js";
import type { Category } from "../../connectors/types.js";
import { singleHeader, type InboundHeaders, type InboundProvider } from "./verify.js";

/** Bodies larger than this are refused before parsing (the HTTP server should stop reading earlier). */
export const MAX_INBOUND_BODY_BYTES = 1024 * 1024;

export interface InboundEvent {
  provider: InboundProvider;
  /** Unique per delivery and stable across the ALM's retries: the replay-cache key. */
  deliveryId: string;
  deliveryIdSource: "header" | "body";
  /** Same value as Ticket.ref: Jira key, ServiceNow sys_id, GitLab iid, GitHub number, ADO id. */
  ticketKey: string;
  /** Repository / project the ticket lives in, when the payload says (to check it is the integration's). */
  scope?: string;
  /** The project's numeric id, when the payload gives one besides its path (GitLab). */
  scopeId?: string;
  /** From our label / correlation_id / tag when present. */
  idempotencyKey?: string;
  category: Category | "deleted";
  rawState: string;
  /** The account that made the change, in the form checkCredentials reports for our own account. */
  actor: string;
  /** False when the event is about something other than the state (labels, edits, comments). */
  stateChanged: boolean;
  eventType: string;
}

export type ParseResult =
  | { kind: "event"; event: InboundEvent }
  | { kind: "ignored"; provider: InboundProvider; deliveryId: string; reason: string };

export interface ParseOptions {
  stateMapping?: StateMapping;
  /** Azure DevOps state → category for the work item type, when the connector has read it. */
  adoStateCategories?: Record<string, string>;
}

export class InboundPayloadError extends Error {
  override readonly name = "InboundPayloadError";
  constructor(
    readonly provider: InboundProvider,
    message: string,
  ) {
    super(`${provider} webhook: ${message}`);
  }
}

function describeZod(err: z.ZodError): string {
  const issue = err.issues[0];
  if (!issue) return "invalid payload";
  return `${issue.path.length ? issue.path.join(".") : "body"}: ${issue.message}`;
}

function parseBody<S extends z.ZodType>(provider: InboundProvider, rawBody: Buffer, schema: S): z.infer<S> {
  if (rawBody.length > MAX_INBOUND_BODY_BYTES) throw new InboundPayloadError(provider, `body larger than ${MAX_INBOUND_BODY_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString("utf8"));
  } catch {
    throw new InboundPayloadError(provider, "body is not valid JSON");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new InboundPayloadError(provider, describeZod(parsed.error));
  return parsed.data;
}

function header(provider: InboundProvider, headers: InboundHeaders, name: string): string | undefined {
  const h = singleHeader(headers, name);
  if (h.duplicated) throw new InboundPayloadError(provider, `${name} given more than once`);
  return h.value?.trim() || undefined;
}

/** Id from a header, else from the body, else the body's hash (the same bytes are the same delivery). */
function deliveryId(fromHeader: string | undefined, fromBody: string | undefined, rawBody: Buffer): Pick<InboundEvent, "deliveryId" | "deliveryIdSource"> {
  if (fromHeader) return { deliveryId: fromHeader.slice(0, 200), deliveryIdSource: "header" };
  if (fromBody) return { deliveryId: fromBody.slice(0, 200), deliveryIdSource: "body" };
  return { deliveryId: "sha256:" + createHash("sha256").update(rawBody).digest("hex"), deliveryIdSource: "body" };
}

// ---------------- Jira ----------------

const JiraUser = z.object({ accountId: z.string().optional(), name: z.string().optional() }).passthrough();
const JiraPayload = z.object({
  webhookEvent: z.string(),
  timestamp: z.number().optional(),
  user: JiraUser.optional(),
  issue: z
    .object({
      id: z.string(),
      key: z.string(),
      fields: z.object({
        status: z.object({ name: z.string(), statusCategory: z.object({ key: z.string() }) }),
        labels: z.array(z.string()).default([]),
        project: z.object({ key: z.string() }).optional(),
      }),
    })
    .optional(),
  changelog: z.object({ id: z.string().optional(), items: z.array(z.object({ field: z.string() }).passthrough()).default([]) }).optional(),
});

function parseJira(headers: InboundHeaders, rawBody: Buffer, opts: ParseOptions): ParseResult {
  const body = parseBody("jira", rawBody, JiraPayload);
  const fallbackId = body.issue ? `${body.issue.id}:${body.changelog?.id ?? body.timestamp ?? ""}` : undefined;
  const id = deliveryId(header("jira", headers, "x-atlassian-webhook-identifier"), fallbackId, rawBody);
  if (!["jira:issue_created", "jira:issue_updated", "jira:issue_deleted"].includes(body.webhookEvent)) {
    return { kind: "ignored", provider: "jira", deliveryId: id.deliveryId, reason: `event ${body.webhookEvent} does not change a ticket's state` };
  }
  if (!body.issue) throw new InboundPayloadError("jira", `issue: required for ${body.webhookEvent}`);
  const { status, labels } = body.issue.fields;
  const deleted = body.webhookEvent === "jira:issue_deleted";
  const idempotencyKey = keyFromLabels(labels);
  return {
    kind: "event",
    event: {
      provider: "jira",
      ...id,
      ticketKey: body.issue.key,
      ...(body.issue.fields.project ? { scope: body.issue.fields.project.key } : {}),
      ...(idempotencyKey ? { idempotencyKey } : {}),
      category: deleted ? "deleted" : jiraCategory(status.name, status.statusCategory.key, opts.stateMapping),
      rawState: status.name,
      // Cloud identifies users by accountId, Data Center by name: the same forms checkCredentials returns.
      actor: body.user?.accountId ?? body.user?.name ?? "",
      stateChanged: body.webhookEvent !== "jira:issue_updated" || (body.changelog?.items ?? []).some((i) => i.field === "status"),
      eventType: body.webhookEvent,
    },
  };
}

// ---------------- GitHub ----------------

const GitHubPayload = z.object({
  action: z.string(),
  issue: z.object({
    number: z.number(),
    state: z.string(),
    state_reason: z.string().nullish(),
    labels: z.array(z.union([z.string(), z.object({ name: z.string() })])).default([]),
    pull_request: z.unknown().optional(),
  }),
  repository: z.object({ full_name: z.string() }).optional(),
  sender: z.object({ login: z.string() }),
});

function parseGitHub(headers: InboundHeaders, rawBody: Buffer, opts: ParseOptions): ParseResult {
  const event = header("github", headers, "x-github-event");
  if (!event) throw new InboundPayloadError("github", "x-github-event header missing");
  const delivery = header("github", headers, "x-github-delivery");
  if (event !== "issues") {
    if (rawBody.length > MAX_INBOUND_BODY_BYTES) throw new InboundPayloadError("github", `body larger than ${MAX_INBOUND_BODY_BYTES} bytes`);
    return { kind: "ignored", provider: "github", deliveryId: deliveryId(delivery, undefined, rawBody).deliveryId, reason: `event ${event} is not an issue event` };
  }
  const body = parseBody("github", rawBody, GitHubPayload);
  const id = deliveryId(delivery, undefined, rawBody);
  if (body.issue.pull_request !== undefined) return { kind: "ignored", provider: "github", deliveryId: id.deliveryId, reason: "pull request, not an issue" };
  const labels = body.issue.labels.map((l) => (typeof l === "string" ? l : l.name));
  const idempotencyKey = keyFromLabels(labels);
  return {
    kind: "event",
    event: {
      provider: "github",
      ...id,
      ticketKey: String(body.issue.number),
      ...(body.repository ? { scope: body.repository.full_name } : {}),
      ...(idempotencyKey ? { idempotencyKey } : {}),
      category: body.action === "deleted" ? "deleted" : githubCategory(body.issue.state, body.issue.state_reason, opts.stateMapping),
      rawState: githubRawState(body.issue.state, body.issue.state_reason),
      actor: body.sender.login,
      stateChanged: ["opened", "closed", "reopened", "deleted"].includes(body.action),
      eventType: `issues.${body.action}`,
    },
  };
}

// ---------------- GitLab ----------------

const GitLabLabel = z.object({ title: z.string() });
const GitLabPayload = z.object({
  object_kind: z.string(),
  user: z.object({ username: z.string() }),
  project: z.object({ id: z.number().optional(), path_with_namespace: z.string() }).optional(),
  object_attributes: z.object({
    iid: z.number(),
    project_id: z.number().optional(),
    state: z.string(),
    action: z.string().optional(),
    labels: z.array(GitLabLabel).optional(),
  }),
  labels: z.array(GitLabLabel).optional(),
});

function parseGitLab(headers: InboundHeaders, rawBody: Buffer, opts: ParseOptions): ParseResult {
  const event = header("gitlab", headers, "x-gitlab-event");
  const idHeader = header("gitlab", headers, "idempotency-key") ?? header("gitlab", headers, "x-gitlab-event-uuid");
  if (event !== "Issue Hook" && event !== "Confidential Issue Hook") {
    if (rawBody.length > MAX_INBOUND_BODY_BYTES) throw new InboundPayloadError("gitlab", `body larger than ${MAX_INBOUND_BODY_BYTES} bytes`);
    return { kind: "ignored", provider: "gitlab", deliveryId: deliveryId(idHeader, undefined, rawBody).deliveryId, reason: `event ${event ?? "(none)"} is not an issue hook` };
  }
  const body = parseBody("gitlab", rawBody, GitLabPayload);
  const id = deliveryId(idHeader, undefined, rawBody);
  if (body.object_kind !== "issue" && body.object_kind !== "work_item") {
    return { kind: "ignored", provider: "gitlab", deliveryId: id.deliveryId, reason: `object_kind ${body.object_kind}` };
  }
  const attrs = body.object_attributes;
  const labels = (attrs.labels ?? body.labels ?? []).map((l) => l.title);
  const idempotencyKey = keyFromLabels(labels);
  const action = attrs.action ?? "update";
  const projectId = body.project?.id ?? attrs.project_id;
  return {
    kind: "event",
    event: {
      provider: "gitlab",
      ...id,
      ticketKey: String(attrs.iid),
      ...(body.project ? { scope: body.project.path_with_namespace } : {}),
      // iids are per project: a group webhook's events of other projects carry the same small numbers.
      ...(projectId !== undefined ? { scopeId: String(projectId) } : {}),
      ...(idempotencyKey ? { idempotencyKey } : {}),
      category: action === "delete" ? "deleted" : gitlabCategory(attrs.state, opts.stateMapping),
      rawState: attrs.state,
      actor: body.user.username,
      stateChanged: ["open", "close", "reopen", "delete"].includes(action),
      eventType: `issue.${action}`,
    },
  };
}

// ---------------- Azure DevOps ----------------

const AdoIdentity = z.union([z.string(), z.object({ id: z.string().optional(), uniqueName: z.string().optional(), displayName: z.string().optional() })]);
const AdoFieldValue = z.union([z.string(), z.number(), z.boolean(), z.null(), z.record(z.string(), z.unknown())]);
const AdoPayload = z.object({
  id: z.string(),
  eventType: z.string(),
  resource: z.record(z.string(), z.unknown()),
});
const AdoUpdated = z.object({
  workItemId: z.number(),
  revisedBy: z.object({ id: z.string().optional(), uniqueName: z.string().optional() }).optional(),
  fields: z.record(z.string(), z.object({ oldValue: z.unknown().optional(), newValue: z.unknown().optional() })).default({}),
  revision: z.object({ fields: z.record(z.string(), AdoFieldValue) }),
});
const AdoItem = z.object({ id: z.number(), fields: z.record(z.string(), AdoFieldValue) });

function identity(v: unknown): string {
  const p = AdoIdentity.safeParse(v);
  if (!p.success) return "";
  return typeof p.data === "string" ? p.data : (p.data.id ?? p.data.uniqueName ?? "");
}

function adoTags(v: unknown): string[] {
  return typeof v === "string"
    ? v
        .split(";")
        .map((t) => t.trim())
        .filter(Boolean)
    : [];
}

function parseAzureDevOps(_headers: InboundHeaders, rawBody: Buffer, opts: ParseOptions): ParseResult {
  const body = parseBody("azuredevops", rawBody, AdoPayload);
  const id = deliveryId(undefined, body.id, rawBody);
  const sub = <S extends z.ZodType>(schema: S): z.infer<S> => {
    const p = schema.safeParse(body.resource);
    if (!p.success) throw new InboundPayloadError("azuredevops", `resource.${describeZod(p.error)}`);
    return p.data;
  };
  let ticketKey: string;
  let fields: Record<string, unknown>;
  let actor: string;
  let stateChanged: boolean;
  switch (body.eventType) {
    case "workitem.updated": {
      const r = sub(AdoUpdated);
      ticketKey = String(r.workItemId);
      fields = r.revision.fields;
      actor = r.revisedBy?.id ?? r.revisedBy?.uniqueName ?? "";
      stateChanged = "System.State" in r.fields;
      break;
    }
    case "workitem.created":
    case "workitem.restored":
    case "workitem.deleted": {
      const r = sub(AdoItem);
      ticketKey = String(r.id);
      fields = r.fields;
      actor = identity(fields["System.ChangedBy"]);
      stateChanged = true;
      break;
    }
    default:
      return { kind: "ignored", provider: "azuredevops", deliveryId: id.deliveryId, reason: `event ${body.eventType} does not change a work item's state` };
  }
  const state = fields["System.State"];
  if (typeof state !== "string") throw new InboundPayloadError("azuredevops", "resource fields: System.State missing");
  const idempotencyKey = keyFromLabels(adoTags(fields["System.Tags"]));
  return {
    kind: "event",
    event: {
      provider: "azuredevops",
      ...id,
      ticketKey,
      ...(typeof fields["System.TeamProject"] === "string" ? { scope: fields["System.TeamProject"] } : {}),
      ...(idempotencyKey ? { idempotencyKey } : {}),
      category: body.eventType === "workitem.deleted" ? "deleted" : adoCategory(state, opts.adoStateCategories, opts.stateMapping),
      rawState: state,
      actor,
      stateChanged,
      eventType: body.eventType,
    },
  };
}

// ---------------- ServiceNow ----------------

/**
 * ServiceNow has no built-in webhook; the business rule we document posts this JSON (after insert/update/
 * delete on the table): { table, operation, sys_id, number, state, correlation_id, sys_updated_by,
 * sys_mod_count }. sys_mod_count increments on every update, so sys_id:sys_mod_count identifies a change.
 */
const ServiceNowPayload = z.object({
  operation: z.enum(["insert", "update", "delete"]).default("update"),
  table: z.string().optional(),
  sys_id: z.string().min(1),
  state: z.union([z.string(), z.number()]).transform(String),
  correlation_id: z.string().optional(),
  sys_updated_by: z.string().default(""),
  sys_mod_count: z.union([z.string(), z.number()]).transform(String).optional(),
});

function parseServiceNow(headers: InboundHeaders, rawBody: Buffer, opts: ParseOptions): ParseResult {
  const body = parseBody("servicenow", rawBody, ServiceNowPayload);
  const fromBody = body.sys_mod_count !== undefined ? `${body.sys_id}:${body.sys_mod_count}:${body.operation}` : undefined;
  const id = deliveryId(header("servicenow", headers, WEBHOOK_DELIVERY_HEADER), fromBody, rawBody);
  return {
    kind: "event",
    event: {
      provider: "servicenow",
      ...id,
      ticketKey: body.sys_id,
      ...(body.table ? { scope: body.table } : {}),
      ...(body.correlation_id ? { idempotencyKey: body.correlation_id } : {}),
      category: body.operation === "delete" ? "deleted" : servicenowCategory(body.state, opts.stateMapping),
      rawState: SERVICENOW_STATES[body.state]?.name ?? body.state,
      actor: body.sys_updated_by,
      stateChanged: true,
      eventType: `${body.table ?? "record"}.${body.operation}`,
    },
  };
}

// ---------------- generic signed webhook ----------------

/** Systems without a native scheme post { id, ticketKey, state, category?, idempotencyKey?, actor? }. */
const GenericPayload = z.object({
  id: z.string().min(1).optional(),
  ticketKey: z.string().min(1),
  state: z.string(),
  category: z.enum(["open", "in_progress", "done", "deleted"]).optional(),
  idempotencyKey: z.string().optional(),
  actor: z.string().default(""),
});

function parseGeneric(headers: InboundHeaders, rawBody: Buffer, opts: ParseOptions): ParseResult {
  const body = parseBody("webhook", rawBody, GenericPayload);
  const id = deliveryId(header("webhook", headers, WEBHOOK_DELIVERY_HEADER), body.id, rawBody);
  const mapped = opts.stateMapping?.[body.state];
  // A generic system's state names mean nothing to us: it must say the category or be mapped.
  if (!body.category && !mapped) throw new InboundPayloadError("webhook", `state ${JSON.stringify(body.state.slice(0, 40))} has no category: send "category" or configure spec.stateMapping`);
  const category: Category | "deleted" = body.category ?? categoryOfTaskState(mapped!);
  return {
    kind: "event",
    event: {
      provider: "webhook",
      ...id,
      ticketKey: body.ticketKey,
      ...(body.idempotencyKey ? { idempotencyKey: body.idempotencyKey } : {}),
      category,
      rawState: body.state,
      actor: body.actor,
      stateChanged: true,
      eventType: "state",
    },
  };
}

export function parseInbound(provider: InboundProvider, headers: InboundHeaders, rawBody: Buffer, opts: ParseOptions = {}): ParseResult {
  switch (provider) {
    case "jira":
      return parseJira(headers, rawBody, opts);
    case "github":
      return parseGitHub(headers, rawBody, opts);
    case "gitlab":
      return parseGitLab(headers, rawBody, opts);
    case "azuredevops":
      return parseAzureDevOps(headers, rawBody, opts);
    case "servicenow":
      return parseServiceNow(headers, rawBody, opts);
    case "webhook":
      return parseGeneric(headers, rawBody, opts);
  }
}
