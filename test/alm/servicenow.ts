// ServiceNow stand-in: Table API (v1 and v2 paths), Basic auth, encoded queries, string-valued fields,
// the close_code/close_notes data policy on resolve, work_notes journal, and outbound REST messages
// from a business rule (Basic auth or a shared-secret header, as configured by the admin).
import { randomBytes } from "node:crypto";
import { nextId, parseBasic, StandIn, type StandInRequest, type StandInResponse, type WebhookSubscription } from "./standin.js";
import type { HumanTarget, TicketStandIn } from "./ticket-standin.js";

export const SN_BOT = { username: "fixops.integration", password: "sn-pass-0123456789" };
export const SN_HUMAN = "beth.anglin";
export const SN_GROUPS = [{ sys_id: "287ebd7da9fe198100f92cc8d1d2154e", name: "Security Operations" }];

type SnRow = Record<string, string> & { sys_id: string };

interface SnTable {
  rows: Map<string, SnRow>;
  journal: Map<string, string[]>;
}

const STATE_NAMES: Record<string, string> = { "1": "New", "2": "In Progress", "3": "On Hold", "6": "Resolved", "7": "Closed", "8": "Canceled" };

function error(status: number, message: string, detail: string): StandInResponse {
  return { status, body: { error: { message, detail }, status: "failure" } };
}

export class ServiceNowStandIn extends StandIn implements TicketStandIn {
  protected readonly name = "servicenow";
  readonly tables = new Map<string, SnTable>();
  private incidentSeq = 10000;

  constructor(private readonly users: { username: string; password: string }[] = [SN_BOT]) {
    super();
    this.tables.set("incident", { rows: new Map(), journal: new Map() });
    this.tables.set("sys_user_group", { rows: new Map(SN_GROUPS.map((g) => [g.sys_id, { ...g }])), journal: new Map() });
    for (const v of ["", "/v1", "/v2"]) {
      this.route("GET", `/api/now${v}/table/:table`, (r) => this.authed(r, () => this.list(r, v)));
      this.route("POST", `/api/now${v}/table/:table`, (r) => this.authed(r, (u) => this.insert(r, u)));
      this.route("GET", `/api/now${v}/table/:table/:sys_id`, (r) => this.authed(r, () => this.getOne(r)));
      this.route("PATCH", `/api/now${v}/table/:table/:sys_id`, (r) => this.authed(r, (u) => this.update(r, u)));
    }
  }

  // ---- test control ----

  private get incidents(): SnTable {
    return this.tables.get("incident")!;
  }

  ticketsWithKey(key: string): number {
    return [...this.incidents.rows.values()].filter((r) => r.correlation_id === key).length;
  }

  stateOf(ref: string): string | undefined {
    const r = this.incidents.rows.get(ref);
    return r ? (STATE_NAMES[r.state ?? ""] ?? r.state) : undefined;
  }

  commentsOf(ref: string): string[] {
    const row = this.incidents.rows.get(ref);
    return [...(this.incidents.journal.get(ref) ?? []), ...(row?.close_notes ? [row.close_notes] : [])];
  }

  humanSetState(ref: string, target: HumanTarget): void {
    const row = this.incidents.rows.get(ref);
    if (!row) throw new Error(`no incident ${ref}`);
    const fields: Record<string, string> = target === "done" ? { state: "6", close_code: "Solved (Permanently)", close_notes: "Patched by the team" } : { state: target === "in_progress" ? "2" : "1" };
    this.apply(row, fields, SN_HUMAN);
  }

  humanDelete(ref: string): void {
    const row = this.incidents.rows.get(ref);
    if (!row) throw new Error(`no incident ${ref}`);
    this.incidents.rows.delete(ref);
    this.emit(row, "delete");
  }

  // ---- handlers ----

  private authed(r: StandInRequest, fn: (user: string) => StandInResponse): StandInResponse {
    const b = parseBasic(r.headers);
    const user = b && this.users.find((u) => u.username === b.user && u.password === b.secret);
    if (!user) return { ...error(401, "User Not Authenticated", "Required to provide Auth information"), headers: { "www-authenticate": 'BASIC realm="Service-now"' } };
    return fn(user.username);
  }

  private table(r: StandInRequest): SnTable | undefined {
    return this.tables.get(r.params.table!);
  }

  private invalidTable(r: StandInRequest): StandInResponse {
    return error(400, `Invalid table ${r.params.table}`, "");
  }

  private project(row: SnRow, r: StandInRequest): Record<string, unknown> {
    const fields = r.query.get("sysparm_fields")?.split(",");
    const excludeLinks = r.query.get("sysparm_exclude_reference_link") === "true";
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) {
      if (fields && !fields.includes(k)) continue;
      // Reference fields come back as {link, value} unless links are excluded.
      out[k] = k === "assignment_group" && v && !excludeLinks ? { link: `${this.baseUrl}/api/now/table/sys_user_group/${v}`, value: v } : v;
    }
    return out;
  }

  private list(r: StandInRequest, version: string): StandInResponse {
    const t = this.table(r);
    if (!t) return this.invalidTable(r);
    let rows = [...t.rows.values()];
    const q = r.query.get("sysparm_query") ?? "";
    let order: { field: string; desc: boolean } | undefined;
    for (const part of q.split("^").filter(Boolean)) {
      const ob = /^ORDERBY(DESC)?(\w+)$/.exec(part);
      if (ob) {
        order = { field: ob[2]!, desc: !!ob[1] };
        continue;
      }
      const eq = /^(\w+)(=|!=)(.*)$/.exec(part);
      // Like ServiceNow: an invalid condition is silently ignored, widening the result.
      if (!eq) continue;
      const [, field, op, value] = eq;
      if (rows.length && !(field! in rows[0]!)) continue;
      rows = rows.filter((row) => (op === "=" ? row[field!] === value : row[field!] !== value));
    }
    if (order) rows.sort((a, b) => (a[order!.field] ?? "").localeCompare(b[order!.field] ?? "") * (order!.desc ? -1 : 1));
    const offset = Number(r.query.get("sysparm_offset") ?? 0);
    const limit = Number(r.query.get("sysparm_limit") ?? 10000);
    const page = rows.slice(offset, offset + limit);
    // The v1 (and default) list answers 404 when nothing matches; v2 answers 200 with [].
    if (page.length === 0 && version !== "/v2") return error(404, "No Record found", "Records matching query not found. Check query parameter or offset parameter");
    return { status: 200, headers: { "x-total-count": String(rows.length) }, body: { result: page.map((row) => this.project(row, r)) } };
  }

  private getOne(r: StandInRequest): StandInResponse {
    const t = this.table(r);
    if (!t) return this.invalidTable(r);
    const row = t.rows.get(r.params.sys_id!);
    if (!row) return error(404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval");
    return { status: 200, body: { result: this.project(row, r) } };
  }

  private insert(r: StandInRequest, user: string): StandInResponse {
    const t = this.table(r);
    if (!t || r.params.table !== "incident") return this.invalidTable(r);
    const body = r.json;
    if (!body || typeof body !== "object" || Array.isArray(body)) return error(400, "Exception while reading request", "The payload is not valid JSON.");
    const now = snTime();
    const row: SnRow = {
      sys_id: randomBytes(16).toString("hex"),
      number: `INC${String(++this.incidentSeq).padStart(7, "0")}`,
      state: "1",
      impact: "3",
      urgency: "3",
      short_description: "",
      description: "",
      correlation_id: "",
      correlation_display: "",
      assignment_group: "",
      close_code: "",
      close_notes: "",
      sys_created_on: now,
      sys_updated_on: now,
      sys_created_by: user,
      sys_updated_by: user,
      sys_mod_count: "0",
    };
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) row[k] = String(v);
    if (row.assignment_group && !this.tables.get("sys_user_group")!.rows.has(row.assignment_group)) row.assignment_group = "";
    row.priority = String(Math.min(5, Number(row.impact) + Number(row.urgency) - 1));
    t.rows.set(row.sys_id, row);
    this.emit(row, "insert");
    return { status: 201, headers: { location: `${this.baseUrl}/api/now/table/incident/${row.sys_id}` }, body: { result: this.project(row, r) } };
  }

  private update(r: StandInRequest, user: string): StandInResponse {
    const t = this.table(r);
    if (!t) return this.invalidTable(r);
    const row = t.rows.get(r.params.sys_id!);
    if (!row) return error(404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval");
    const body = (r.json ?? {}) as Record<string, unknown>;
    const fields = Object.fromEntries(Object.entries(body).map(([k, v]) => [k, String(v)]));
    const next = { ...row, ...fields };
    if ((next.state === "6" || next.state === "7") && (!next.close_code || !next.close_notes)) {
      // The OOB data policy; ServiceNow answers 403 for data policy exceptions.
      return error(403, "Operation Failed", "Data Policy Exception: \n The following fields are mandatory: Resolution code, Resolution notes");
    }
    this.apply(row, fields, user);
    return { status: 200, body: { result: this.project(row, r) } };
  }

  private apply(row: SnRow, fields: Record<string, string>, user: string): void {
    const before = row.state;
    const { work_notes, comments, ...rest } = fields;
    Object.assign(row, rest);
    for (const note of [work_notes, comments]) {
      if (note) this.incidents.journal.set(row.sys_id, [...(this.incidents.journal.get(row.sys_id) ?? []), note]);
    }
    row.sys_updated_on = snTime();
    row.sys_updated_by = user;
    row.sys_mod_count = String(Number(row.sys_mod_count ?? "0") + 1);
    if (row.state !== before) this.emit(row, "update");
  }

  /** The payload our documented business rule posts (see webhooks/inbound). */
  private emit(row: SnRow, operation: "insert" | "update" | "delete"): void {
    if (this.subscriptions.length === 0) return;
    this.emitWebhook(
      {
        table: "incident",
        operation,
        sys_id: row.sys_id,
        number: row.number,
        state: row.state,
        correlation_id: row.correlation_id ?? "",
        sys_updated_by: row.sys_updated_by,
        sys_updated_on: row.sys_updated_on,
        sys_mod_count: row.sys_mod_count,
      },
      { "user-agent": "ServiceNow/1.0", "x-servicenow-event": `incident.${operation}`, "x-request-id": String(nextId()) },
    );
  }

  /** REST message auth as configured in ServiceNow: Basic, or a shared-secret header. */
  protected signDelivery(sub: WebhookSubscription): Record<string, string> {
    if (sub.basic) return { authorization: "Basic " + Buffer.from(`${sub.basic.username}:${sub.basic.password}`).toString("base64") };
    if (sub.header) return { [sub.header.name.toLowerCase()]: sub.header.value };
    return {};
  }

  protected override faultBody(status: number): unknown {
    return status === 429
      ? { error: { message: "Rate limit exceeded", detail: "Rate limit of 100 requests per hour exceeded for rule fixops" }, status: "failure" }
      : { error: { message: "Internal server error", detail: `injected ${status}` }, status: "failure" };
  }
}

function snTime(): string {
  return new Date().toISOString().replace("T", " ").replace(/\.\d+Z$/, "");
}
