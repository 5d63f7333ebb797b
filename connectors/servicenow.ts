// ServiceNow Table API (v2: an empty query answers 200 with [] rather than 404). The idempotency key goes
// into `correlation_id`, the field ServiceNow provides for external system ids.
import { z } from "zod";
import type { Severity } from "../api/v1alpha1/common.js";
import type { IntegrationSpec } from "../api/v1alpha1/integration.js";
import { buildTransport, reached, requireBlock, requireCredential, requireKey, truncate } from "./base.js";
import { NotFoundError, TerminalError } from "./errors.js";
import { basicAuth, header, type HttpResponse, type HttpTransport, type ProviderPolicy } from "./http.js";
import { withOriginMarker } from "./idempotency.js";
import { toPlainText } from "./render.js";
import { SERVICENOW_STATES, servicenowCategory, type StateMapping } from "./state.js";
import type { ConnectorDeps, Credentials, TargetState, Ticket, TicketConnector, TicketDraft } from "./types.js";

const Record_ = z.object({
  sys_id: z.string(),
  number: z.string(),
  state: z.string(),
  correlation_id: z.string().default(""),
});
type SnRecord = z.infer<typeof Record_>;
const One = z.object({ result: Record_ });
const Many = z.object({ result: z.array(Record_) });
const Probe = z.object({ result: z.array(z.object({ sys_id: z.string() })) });
const FIELDS = "sys_id,number,state,correlation_id";

// impact/urgency → ServiceNow derives priority (1/1 = P1 … 3/3 = P5).
const IMPACT_URGENCY: Record<Severity, [string, string]> = {
  CRITICAL: ["1", "1"],
  HIGH: ["1", "2"],
  MEDIUM: ["2", "2"],
  LOW: ["3", "2"],
  UNKNOWN: ["3", "3"],
};

export const servicenowPolicy: ProviderPolicy = {
  provider: "servicenow",
  errorMessage(res: HttpResponse) {
    const e = (res.json as { error?: { message?: unknown; detail?: unknown } } | undefined)?.error;
    if (!e || typeof e !== "object") return undefined;
    return [e.message, e.detail].filter((x): x is string => typeof x === "string" && x !== "").join(": ") || undefined;
  },
  resetHintMs(res, now) {
    const reset = Number(header(res.headers, "x-ratelimit-reset")); // Unix seconds
    return Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - now.getTime()) : undefined;
  },
};

export class ServiceNowConnector implements TicketConnector {
  readonly kind = "ticket" as const;
  readonly provider = "servicenow";
  private readonly http: HttpTransport;
  private readonly closeDispatcher: () => Promise<void>;
  private readonly settings: NonNullable<IntegrationSpec["servicenow"]>;
  private readonly mapping: StateMapping;
  private readonly username: string;
  private readonly baseUrl: string;
  private groupSysId: string | undefined;

  constructor(spec: IntegrationSpec, creds: Credentials, deps: ConnectorDeps = {}) {
    this.settings = requireBlock("servicenow", spec.servicenow, "servicenow");
    const [user, password] = requireCredential("servicenow", creds, "username", "password");
    this.username = user!;
    this.mapping = spec.stateMapping;
    this.baseUrl = spec.url.replace(/\/+$/, "");
    const t = buildTransport(this.baseUrl, spec, deps, servicenowPolicy, { authorization: basicAuth(user!, password!) }, [password]);
    this.http = t.transport;
    this.closeDispatcher = t.close;
  }

  private get table(): string {
    return `/api/now/v2/table/${encodeURIComponent(this.settings.table)}`;
  }

  async checkCredentials(): Promise<{ account: string }> {
    await this.http.callJson(
      { method: "GET", path: this.table, route: "GET /api/now/v2/table/{table}", query: { sysparm_limit: 1, sysparm_fields: "sys_id" } },
      Probe,
    );
    // The Table API has no "who am I"; the account is the user the read authenticated as.
    return { account: this.username };
  }

  async findByIdempotencyKey(key: string): Promise<Ticket | null> {
    requireKey("servicenow", key);
    const { result } = await this.http.callJson(
      {
        method: "GET",
        path: this.table,
        route: "GET /api/now/v2/table/{table}?correlation_id",
        query: { sysparm_query: `correlation_id=${key}^ORDERBYsys_created_on`, sysparm_fields: FIELDS, sysparm_limit: 5 },
      },
      Many,
    );
    // An invalid query part is silently ignored by ServiceNow and widens the result: re-check the field.
    const match = result.find((r) => r.correlation_id === key);
    return match ? this.toTicket(match) : null;
  }

  async create(draft: TicketDraft): Promise<Ticket> {
    requireKey("servicenow", draft.idempotencyKey);
    const [impact, urgency] = IMPACT_URGENCY[draft.severity];
    const description = toPlainText(draft.description) + (draft.dueDate ? `\n\nRemediation due: ${draft.dueDate}` : "");
    const body: Record<string, string> = {
      short_description: truncate(draft.title.replace(/[\r\n]+/g, " "), 160),
      description,
      correlation_id: draft.idempotencyKey,
      correlation_display: "FixOps",
      impact,
      urgency,
    };
    const group = await this.assignmentGroup();
    if (group) body.assignment_group = group;
    const { result } = await this.http.callJson(
      { method: "POST", path: this.table, route: "POST /api/now/v2/table/{table}", query: { sysparm_fields: FIELDS }, body, accept: [201] },
      One,
    );
    return this.toTicket(result);
  }

  async get(ref: string): Promise<Ticket | null> {
    const route = "GET /api/now/v2/table/{table}/{sys_id}";
    const res = await this.http.call({
      method: "GET",
      path: `${this.table}/${encodeURIComponent(ref)}`,
      route,
      query: { sysparm_fields: FIELDS },
      accept: [200, 404],
    });
    if (res.status === 404) return null;
    return this.toTicket(this.http.parse(res, One, route).result);
  }

  async setState(ref: string, target: TargetState, comment?: string): Promise<Ticket> {
    const current = await this.get(ref);
    if (!current) throw new NotFoundError({ provider: "servicenow", status: 404 }, `record ${ref} not found`);
    if (reached(current, target)) return current;
    const notes = withOriginMarker(comment ?? (target === "done" ? "Resolved by FixOps." : "Reopened by FixOps."));
    // Resolving needs close_code and close_notes (business rules reject it otherwise); reopening goes to
    // In Progress, as ServiceNow's own Reopen action does.
    const body: Record<string, string> =
      target === "done" ? { state: "6", close_code: this.settings.closeCode, close_notes: notes } : { state: "2", work_notes: notes };
    return this.patch(ref, body);
  }

  async comment(ref: string, text: string): Promise<void> {
    // Writing work_notes appends a journal entry.
    await this.patch(ref, { work_notes: withOriginMarker(text) });
  }

  close(): Promise<void> {
    return this.closeDispatcher();
  }

  private async patch(ref: string, body: Record<string, string>): Promise<Ticket> {
    const { result } = await this.http.callJson(
      {
        method: "PATCH",
        path: `${this.table}/${encodeURIComponent(ref)}`,
        route: "PATCH /api/now/v2/table/{table}/{sys_id}",
        query: { sysparm_fields: FIELDS },
        body,
      },
      One,
    );
    return this.toTicket(result);
  }

  /** spec.servicenow.assignmentGroup may be a sys_id or a group name (looked up once). */
  private async assignmentGroup(): Promise<string | undefined> {
    const g = this.settings.assignmentGroup;
    if (!g) return undefined;
    if (/^[0-9a-f]{32}$/.test(g)) return g;
    if (this.groupSysId) return this.groupSysId;
    if (g.includes("^")) throw new TerminalError({ provider: "servicenow" }, "spec.servicenow.assignmentGroup may not contain ^");
    const route = "GET /api/now/v2/table/sys_user_group?name";
    const { result } = await this.http.callJson(
      {
        method: "GET",
        path: "/api/now/v2/table/sys_user_group",
        route,
        query: { sysparm_query: `name=${g}`, sysparm_fields: "sys_id", sysparm_limit: 1 },
      },
      Probe,
    );
    const found = result[0]?.sys_id;
    if (!found) throw new TerminalError({ provider: "servicenow", route }, `assignment group ${JSON.stringify(g)} does not exist`);
    this.groupSysId = found;
    return found;
  }

  private toTicket(r: SnRecord): Ticket {
    return {
      ref: r.sys_id,
      key: r.number,
      url: `${this.baseUrl}/${encodeURIComponent(this.settings.table)}.do?sys_id=${r.sys_id}`,
      state: SERVICENOW_STATES[r.state]?.name ?? r.state,
      category: servicenowCategory(r.state, this.mapping),
      ...(r.correlation_id ? { idempotencyKey: r.correlation_id } : {}),
    };
  }
}
