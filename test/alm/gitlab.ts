// GitLab stand-in: REST v4 issues and notes, PRIVATE-TOKEN (or Bearer) auth, labels as comma strings on
// write and arrays on read, state_event close/reopen, and Issue Hook deliveries with X-Gitlab-Token.
import { randomUUID } from "node:crypto";
import { bearer, nextId, StandIn, type StandInRequest, type StandInResponse, type WebhookSubscription } from "./standin.js";
import type { HumanTarget, TicketStandIn } from "./ticket-standin.js";

export const GL_BOT = { token: "glpat-fixopsbot0123456789", id: 42, username: "fixops-bot", name: "FixOps Bot" };
export const GL_HUMAN = { token: "glpat-alice9876543210", id: 7, username: "alice", name: "Alice" };
export const GL_PROJECT = { id: 278964, path_with_namespace: "acme/api" };

interface GlIssue {
  id: number;
  iid: number;
  title: string;
  description: string;
  state: "opened" | "closed";
  labels: string[];
  due_date: string | null;
  notes: { id: number; body: string; author: string }[];
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  deleted: boolean;
}

type GlUser = typeof GL_BOT;

export class GitLabStandIn extends StandIn implements TicketStandIn {
  protected readonly name = "gitlab";
  readonly issues = new Map<number, GlIssue>();
  private iidSeq = 0;

  constructor(private readonly users: GlUser[] = [GL_BOT, GL_HUMAN]) {
    super();
    this.route("GET", "/api/v4/user", (r) => this.authed(r, (u) => ({ status: 200, body: { id: u.id, username: u.username, name: u.name, state: "active" } })));
    this.route("GET", "/api/v4/projects/:id", (r) => this.authed(r, () => this.withProject(r, () => ({ status: 200, body: this.projectJson() }))));
    this.route("GET", "/api/v4/projects/:id/issues", (r) => this.authed(r, () => this.withProject(r, () => this.list(r))));
    this.route("POST", "/api/v4/projects/:id/issues", (r) => this.authed(r, (u) => this.withProject(r, () => this.create(r, u))));
    this.route("GET", "/api/v4/projects/:id/issues/:iid", (r) => this.authed(r, () => this.withProject(r, () => this.getOne(r))));
    this.route("PUT", "/api/v4/projects/:id/issues/:iid", (r) => this.authed(r, (u) => this.withProject(r, () => this.edit(r, u))));
    this.route("POST", "/api/v4/projects/:id/issues/:iid/notes", (r) => this.authed(r, (u) => this.withProject(r, () => this.note(r, u))));
  }

  // ---- test control ----

  ticketsWithKey(key: string): number {
    return [...this.issues.values()].filter((i) => !i.deleted && i.labels.includes(`fixops-${key}`)).length;
  }

  stateOf(ref: string): string | undefined {
    const i = this.issues.get(Number(ref));
    return i && !i.deleted ? i.state : undefined;
  }

  commentsOf(ref: string): string[] {
    return (this.issues.get(Number(ref))?.notes ?? []).map((n) => n.body);
  }

  humanSetState(ref: string, target: HumanTarget): void {
    const i = this.mustIssue(ref);
    this.setState(i, target === "done" ? "closed" : "opened", GL_HUMAN);
  }

  /** GitLab sends no issue hook for a deletion; only reads notice it. */
  humanDelete(ref: string): void {
    this.mustIssue(ref).deleted = true;
  }

  // ---- handlers ----

  private authed(r: StandInRequest, fn: (u: GlUser) => StandInResponse): StandInResponse {
    const token = (r.headers["private-token"] as string | undefined) ?? bearer(r.headers);
    const user = token ? this.users.find((u) => u.token === token) : undefined;
    if (!user) return { status: 401, body: { message: "401 Unauthorized" } };
    return fn(user);
  }

  private withProject(r: StandInRequest, fn: () => StandInResponse): StandInResponse {
    const id = r.params.id!;
    if (id !== String(GL_PROJECT.id) && id !== GL_PROJECT.path_with_namespace) return { status: 404, body: { message: "404 Project Not Found" } };
    return fn();
  }

  private projectJson(): unknown {
    return { id: GL_PROJECT.id, name: "api", path_with_namespace: GL_PROJECT.path_with_namespace, web_url: `${this.baseUrl}/${GL_PROJECT.path_with_namespace}` };
  }

  private issueJson(i: GlIssue): unknown {
    return {
      id: i.id,
      iid: i.iid,
      project_id: GL_PROJECT.id,
      title: i.title,
      description: i.description,
      state: i.state,
      labels: i.labels,
      due_date: i.due_date,
      created_at: i.created_at,
      updated_at: i.updated_at,
      closed_at: i.closed_at,
      web_url: `${this.baseUrl}/${GL_PROJECT.path_with_namespace}/-/issues/${i.iid}`,
      references: { short: `#${i.iid}`, relative: `#${i.iid}`, full: `${GL_PROJECT.path_with_namespace}#${i.iid}` },
    };
  }

  private list(r: StandInRequest): StandInResponse {
    const labels = (r.query.get("labels") ?? "").split(",").filter(Boolean);
    const state = r.query.get("state") ?? "all";
    let list = [...this.issues.values()].filter((i) => !i.deleted && labels.every((l) => i.labels.includes(l)) && (state === "all" || i.state === state));
    const asc = r.query.get("sort") === "asc";
    list.sort((a, b) => (asc ? a.iid - b.iid : b.iid - a.iid));
    list = list.slice(0, Number(r.query.get("per_page") ?? 20));
    return { status: 200, body: list.map((i) => this.issueJson(i)) };
  }

  private create(r: StandInRequest, u: GlUser): StandInResponse {
    const body = (r.json ?? {}) as Record<string, unknown>;
    if (typeof body.title !== "string" || body.title === "") return { status: 400, body: { error: "title is missing" } };
    if (body.labels !== undefined && typeof body.labels !== "string" && !Array.isArray(body.labels)) return { status: 400, body: { error: "labels is invalid" } };
    if (body.due_date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(String(body.due_date))) return { status: 400, body: { error: "due_date is invalid" } };
    const labels = (Array.isArray(body.labels) ? (body.labels as string[]) : String(body.labels ?? "").split(",")).map((l) => l.trim()).filter(Boolean);
    const now = new Date().toISOString();
    const i: GlIssue = {
      id: 100000 + nextId(),
      iid: ++this.iidSeq,
      title: body.title,
      description: String(body.description ?? ""),
      state: "opened",
      labels: [...new Set(labels)].sort(),
      due_date: (body.due_date as string | undefined) ?? null,
      notes: [],
      created_at: now,
      updated_at: now,
      closed_at: null,
      deleted: false,
    };
    this.issues.set(i.iid, i);
    this.emit(i, "open", u);
    return { status: 201, body: this.issueJson(i) };
  }

  private find(iid: string): GlIssue | undefined {
    const i = this.issues.get(Number(iid));
    return i && !i.deleted ? i : undefined;
  }

  private getOne(r: StandInRequest): StandInResponse {
    const i = this.find(r.params.iid!);
    return i ? { status: 200, body: this.issueJson(i) } : { status: 404, body: { message: "404 Not found" } };
  }

  private edit(r: StandInRequest, u: GlUser): StandInResponse {
    const i = this.find(r.params.iid!);
    if (!i) return { status: 404, body: { message: "404 Not found" } };
    const body = (r.json ?? {}) as Record<string, unknown>;
    if (Object.keys(body).length === 0) return { status: 400, body: { error: "assignee_id, assignee_ids, confidential, created_at, description, discussion_locked, due_date, labels, add_labels, remove_labels, milestone_id, state_event, title, issue_type, weight, epic_id, epic_iid are missing, at least one parameter must be provided" } };
    const ev = body.state_event;
    if (ev !== undefined && ev !== "close" && ev !== "reopen") return { status: 400, body: { error: "state_event does not have a valid value" } };
    if (ev === "close" && i.state === "opened") this.setState(i, "closed", u);
    if (ev === "reopen" && i.state === "closed") this.setState(i, "opened", u);
    return { status: 200, body: this.issueJson(i) };
  }

  private note(r: StandInRequest, u: GlUser): StandInResponse {
    const i = this.find(r.params.iid!);
    if (!i) return { status: 404, body: { message: "404 Not found" } };
    const text = (r.json as { body?: unknown } | undefined)?.body;
    if (typeof text !== "string" || text === "") return { status: 400, body: { error: "body is missing" } };
    const n = { id: nextId(), body: text, author: u.username };
    i.notes.push(n);
    return { status: 201, body: { id: n.id, body: n.body, author: { id: u.id, username: u.username }, system: false, noteable_iid: i.iid, created_at: new Date().toISOString() } };
  }

  private mustIssue(ref: string): GlIssue {
    const i = this.find(ref);
    if (!i) throw new Error(`no issue ${ref}`);
    return i;
  }

  private setState(i: GlIssue, state: "opened" | "closed", actor: GlUser): void {
    if (i.state === state) return;
    const before = i.state;
    i.state = state;
    i.updated_at = new Date().toISOString();
    i.closed_at = state === "closed" ? i.updated_at : null;
    this.emit(i, state === "closed" ? "close" : "reopen", actor, { state_id: { previous: before === "opened" ? 1 : 2, current: state === "opened" ? 1 : 2 } });
  }

  private emit(i: GlIssue, action: string, actor: GlUser, changes: Record<string, unknown> = {}): void {
    if (this.subscriptions.length === 0) return;
    const labels = i.labels.map((title, n) => ({ id: n + 1, title, color: "#428BCA", type: "ProjectLabel" }));
    const uuid = randomUUID();
    this.emitWebhook(
      {
        object_kind: "issue",
        event_type: "issue",
        user: { id: actor.id, name: actor.name, username: actor.username },
        project: { id: GL_PROJECT.id, name: "api", path_with_namespace: GL_PROJECT.path_with_namespace, web_url: `${this.baseUrl}/${GL_PROJECT.path_with_namespace}` },
        object_attributes: {
          id: i.id,
          iid: i.iid,
          title: i.title,
          description: i.description,
          state: i.state,
          action,
          url: `${this.baseUrl}/${GL_PROJECT.path_with_namespace}/-/issues/${i.iid}`,
          labels,
          updated_at: i.updated_at,
          closed_at: i.closed_at,
        },
        labels,
        changes,
      },
      {
        "x-gitlab-event": "Issue Hook",
        "x-gitlab-event-uuid": uuid,
        "x-gitlab-webhook-uuid": "b1f5c9b8-5a0e-4a1a-9a4e-2f7a0c1d2e3f",
        "idempotency-key": uuid,
        "x-gitlab-instance": this.baseUrl,
        "user-agent": "GitLab/17.0.0",
      },
    );
  }

  /** GitLab sends the configured secret token verbatim. */
  protected signDelivery(sub: WebhookSubscription): Record<string, string> {
    return sub.secret ? { "x-gitlab-token": sub.secret } : {};
  }

  protected override faultBody(status: number): unknown {
    return status === 429 ? { message: { error: "This endpoint has been requested too many times. Try again later." } } : { message: "500 Internal Server Error" };
  }
}
