// Jira stand-in: Cloud (REST v3, ADF, Basic email:token, enhanced JQL search) or Data Center (REST v2,
// wiki text, Bearer PAT, classic search). A workflow of statuses with status categories and transitions
// discoverable through GET …/transitions; a resolution screen on the transition to done.
import { createHmac, randomUUID } from "node:crypto";
import { bearer, nextId, parseBasic, StandIn, type StandInRequest, type StandInResponse, type WebhookSubscription } from "./standin.js";
import type { HumanTarget, TicketStandIn } from "./ticket-standin.js";

export type JiraCategoryKey = "new" | "indeterminate" | "done";
export interface JiraStatusDef {
  id: string;
  name: string;
  category: JiraCategoryKey;
}
export interface JiraTransitionDef {
  id: string;
  name: string;
  /** Status ids it is available from; empty = from any status. */
  from: string[];
  to: string;
  /** The transition screen requires a resolution. */
  resolutionRequired?: boolean;
}
export interface JiraWorkflow {
  statuses: JiraStatusDef[];
  transitions: JiraTransitionDef[];
  initial: string;
}

export const DEFAULT_JIRA_WORKFLOW: JiraWorkflow = {
  statuses: [
    { id: "10000", name: "To Do", category: "new" },
    { id: "3", name: "In Progress", category: "indeterminate" },
    { id: "10001", name: "Done", category: "done" },
  ],
  transitions: [
    { id: "11", name: "Start Progress", from: ["10000"], to: "3" },
    { id: "21", name: "Stop Progress", from: ["3"], to: "10000" },
    { id: "31", name: "Done", from: ["10000", "3"], to: "10001", resolutionRequired: true },
    { id: "41", name: "Reopen", from: ["10001"], to: "10000" },
  ],
  initial: "10000",
};

const CATEGORY_META: Record<JiraCategoryKey, { id: number; name: string; colorName: string }> = {
  new: { id: 2, name: "To Do", colorName: "blue-gray" },
  indeterminate: { id: 4, name: "In Progress", colorName: "yellow" },
  done: { id: 3, name: "Done", colorName: "green" },
};

export interface JiraUser {
  /** Cloud: email + API token; Data Center: PAT only. */
  email?: string;
  token: string;
  accountId: string;
  name: string;
  displayName: string;
}

export interface JiraStandInOptions {
  flavor?: "cloud" | "datacenter";
  projectKey?: string;
  issueTypes?: string[];
  workflow?: JiraWorkflow;
  users?: JiraUser[];
}

interface JiraIssue {
  id: string;
  key: string;
  summary: string;
  description: unknown;
  labels: string[];
  statusId: string;
  resolution: string | null;
  duedate: string | null;
  comments: { id: string; body: unknown; author: string }[];
  seq: number;
  deleted: boolean;
}

export const JIRA_BOT: JiraUser = {
  email: "fixops-bot@example.com",
  token: "jira-api-token-0123456789",
  accountId: "5b10ac8d82e05b22cc7d4ef5",
  name: "fixops",
  displayName: "FixOps Bot",
};
export const JIRA_HUMAN: JiraUser = {
  email: "alice@example.com",
  token: "alice-token-9876543210",
  accountId: "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077",
  name: "alice",
  displayName: "Alice Analyst",
};

/** Plain text out of an ADF document (or a wiki string), for assertions. */
export function adfToText(doc: unknown): string {
  if (typeof doc === "string") return doc;
  if (!doc || typeof doc !== "object") return "";
  const n = doc as { type?: string; text?: string; content?: unknown[] };
  if (n.type === "text") return n.text ?? "";
  return (n.content ?? []).map(adfToText).join(n.type === "doc" || n.type === "bulletList" ? "\n" : "");
}

export class JiraStandIn extends StandIn implements TicketStandIn {
  protected readonly name = "jira";
  readonly flavor: "cloud" | "datacenter";
  readonly projectKey: string;
  readonly workflow: JiraWorkflow;
  readonly users: JiraUser[];
  readonly issues = new Map<string, JiraIssue>();
  private readonly issueTypes: string[];
  private seq = 0;

  constructor(opts: JiraStandInOptions = {}) {
    super();
    this.flavor = opts.flavor ?? "cloud";
    this.projectKey = opts.projectKey ?? "SEC";
    this.issueTypes = opts.issueTypes ?? ["Bug", "Task"];
    this.workflow = opts.workflow ?? DEFAULT_JIRA_WORKFLOW;
    this.users = opts.users ?? [JIRA_BOT, JIRA_HUMAN];
    const api = this.api;
    this.route("GET", `${api}/myself`, (r) => this.authed(r, (u) => ({ status: 200, body: this.userJson(u) })));
    this.route("POST", `${api}/issue`, (r) => this.authed(r, (u) => this.createIssue(r, u)));
    this.route("GET", `${api}/issue/:key`, (r) => this.authed(r, () => this.getIssue(r)));
    this.route("GET", `${api}/issue/:key/transitions`, (r) => this.authed(r, () => this.listTransitions(r)));
    this.route("POST", `${api}/issue/:key/transitions`, (r) => this.authed(r, (u) => this.doTransition(r, u)));
    this.route("POST", `${api}/issue/:key/comment`, (r) => this.authed(r, (u) => this.addComment(r, u)));
    if (this.flavor === "cloud") {
      this.route("POST", `${api}/search/jql`, (r) => this.authed(r, () => this.search((r.json ?? {}) as Record<string, unknown>, true)));
      this.route("GET", `${api}/search/jql`, (r) =>
        this.authed(r, () => this.search({ jql: r.query.get("jql"), fields: r.query.get("fields")?.split(","), maxResults: r.query.get("maxResults") }, true)),
      );
      // The legacy search was removed on Cloud.
      const gone = (r: StandInRequest) =>
        this.authed(r, () => ({ status: 410, body: { errorMessages: ["The requested API has been removed. Please migrate to the /rest/api/3/search/jql API."], errors: {} } }));
      this.route("POST", `${api}/search`, gone);
      this.route("GET", `${api}/search`, gone);
    } else {
      this.route("POST", `${api}/search`, (r) => this.authed(r, () => this.search((r.json ?? {}) as Record<string, unknown>, false)));
    }
  }

  get api(): string {
    return this.flavor === "cloud" ? "/rest/api/3" : "/rest/api/2";
  }

  // ---- test control ----

  ticketsWithKey(key: string): number {
    return [...this.issues.values()].filter((i) => !i.deleted && i.labels.includes(`fixops-${key}`)).length;
  }

  stateOf(ref: string): string | undefined {
    const i = this.issues.get(ref);
    return i && !i.deleted ? this.status(i.statusId).name : undefined;
  }

  commentsOf(ref: string): string[] {
    return (this.issues.get(ref)?.comments ?? []).map((c) => adfToText(c.body));
  }

  humanSetState(ref: string, target: HumanTarget): void {
    const issue = this.mustIssue(ref);
    const cat: JiraCategoryKey = target === "done" ? "done" : target === "in_progress" ? "indeterminate" : "new";
    const to = this.workflow.statuses.find((s) => s.category === cat);
    if (!to) throw new Error(`workflow has no ${cat} status`);
    this.move(issue, to.id, target === "done" ? "Done" : null, JIRA_HUMAN);
  }

  humanDelete(ref: string): void {
    const issue = this.mustIssue(ref);
    issue.deleted = true;
    this.emit("jira:issue_deleted", "issue_deleted", issue, JIRA_HUMAN);
  }

  // ---- handlers ----

  private authed(r: StandInRequest, fn: (u: JiraUser) => StandInResponse | Promise<StandInResponse>): StandInResponse | Promise<StandInResponse> {
    let user: JiraUser | undefined;
    if (this.flavor === "cloud") {
      const b = parseBasic(r.headers);
      user = b && this.users.find((u) => u.email === b.user && u.token === b.secret);
    } else {
      const t = bearer(r.headers);
      user = t ? this.users.find((u) => u.token === t) : undefined;
    }
    if (!user) {
      return {
        status: 401,
        headers: { "www-authenticate": this.flavor === "cloud" ? 'Basic realm="protected-area"' : "Bearer" },
        body: { errorMessages: ["You are not authenticated. Authentication required to perform this operation."], errors: {} },
      };
    }
    return fn(user);
  }

  private userJson(u: JiraUser): unknown {
    return this.flavor === "cloud"
      ? { self: `${this.baseUrl}${this.api}/user?accountId=${u.accountId}`, accountId: u.accountId, accountType: "atlassian", emailAddress: u.email, displayName: u.displayName, active: true }
      : { self: `${this.baseUrl}${this.api}/user?username=${u.name}`, key: `JIRAUSER${u.name.length}0100`, name: u.name, emailAddress: u.email, displayName: u.displayName, active: true };
  }

  private bad(errors: Record<string, string>, errorMessages: string[] = []): StandInResponse {
    return { status: 400, body: { errorMessages, errors } };
  }

  private createIssue(r: StandInRequest, u: JiraUser): StandInResponse {
    const fields = ((r.json ?? {}) as { fields?: Record<string, unknown> }).fields;
    if (!fields) return this.bad({}, ["Issue must be created with fields"]);
    const errors: Record<string, string> = {};
    const project = fields.project as { key?: string } | undefined;
    if (project?.key !== this.projectKey) errors.project = "valid project is required";
    const it = fields.issuetype as { name?: string } | undefined;
    if (!it?.name || !this.issueTypes.includes(it.name)) errors.issuetype = "Specify a valid issue type";
    if (typeof fields.summary !== "string" || fields.summary.trim() === "") errors.summary = "You must specify a summary of the issue.";
    else if (fields.summary.length > 255) errors.summary = "Summary must be less than 255 characters.";
    const labels = (fields.labels ?? []) as unknown;
    if (!Array.isArray(labels) || labels.some((l) => typeof l !== "string" || /\s/.test(l))) errors.labels = "The label can't contain spaces.";
    const desc = fields.description;
    if (desc !== undefined) {
      if (this.flavor === "cloud" && !(desc && typeof desc === "object" && (desc as { type?: string }).type === "doc")) errors.description = "Operation value must be an Atlassian Document (see the Atlassian Document Format)";
      if (this.flavor === "datacenter" && typeof desc !== "string") errors.description = "Operation value must be a string";
    }
    if (fields.duedate !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(String(fields.duedate))) errors.duedate = "Error parsing date string: " + String(fields.duedate);
    if (Object.keys(errors).length) return this.bad(errors);
    const n = ++this.seq;
    const issue: JiraIssue = {
      id: String(10000 + nextId()),
      key: `${this.projectKey}-${n}`,
      summary: fields.summary as string,
      description: desc ?? null,
      labels: labels as string[],
      statusId: this.workflow.initial,
      resolution: null,
      duedate: (fields.duedate as string | undefined) ?? null,
      comments: [],
      seq: n,
      deleted: false,
    };
    this.issues.set(issue.key, issue);
    this.emit("jira:issue_created", "issue_created", issue, u);
    return { status: 201, body: { id: issue.id, key: issue.key, self: `${this.baseUrl}${this.api}/issue/${issue.id}` } };
  }

  private find(key: string): JiraIssue | undefined {
    const i = this.issues.get(key) ?? [...this.issues.values()].find((x) => x.id === key);
    return i && !i.deleted ? i : undefined;
  }

  private notFound(): StandInResponse {
    return { status: 404, body: { errorMessages: ["Issue does not exist or you do not have permission to see it."], errors: {} } };
  }

  private getIssue(r: StandInRequest): StandInResponse {
    const issue = this.find(r.params.key!);
    if (!issue) return this.notFound();
    return { status: 200, body: this.issueJson(issue, r.query.get("fields")?.split(",")) };
  }

  private status(id: string): JiraStatusDef {
    const s = this.workflow.statuses.find((x) => x.id === id);
    if (!s) throw new Error(`unknown status ${id}`);
    return s;
  }

  private statusJson(id: string): unknown {
    const s = this.status(id);
    const c = CATEGORY_META[s.category];
    return { self: `${this.baseUrl}/rest/api/2/status/${s.id}`, id: s.id, name: s.name, statusCategory: { self: `${this.baseUrl}/rest/api/2/statuscategory/${c.id}`, id: c.id, key: s.category, colorName: c.colorName, name: c.name } };
  }

  private issueJson(i: JiraIssue, only?: string[]): Record<string, unknown> {
    const all: Record<string, unknown> = {
      summary: i.summary,
      description: i.description,
      labels: i.labels,
      status: this.statusJson(i.statusId),
      resolution: i.resolution ? { name: i.resolution } : null,
      duedate: i.duedate,
      project: { key: this.projectKey },
    };
    const wanted = only && !only.includes("*all") ? only : undefined;
    const fields = wanted ? Object.fromEntries(Object.entries(all).filter(([k]) => wanted.includes(k))) : all;
    return { id: i.id, key: i.key, self: `${this.baseUrl}${this.api}/issue/${i.id}`, fields };
  }

  private available(i: JiraIssue): JiraTransitionDef[] {
    return this.workflow.transitions.filter((t) => t.to !== i.statusId && (t.from.length === 0 || t.from.includes(i.statusId)));
  }

  private listTransitions(r: StandInRequest): StandInResponse {
    const issue = this.find(r.params.key!);
    if (!issue) return this.notFound();
    const withFields = (r.query.get("expand") ?? "").includes("transitions.fields");
    const transitions = this.available(issue).map((t) => ({
      id: t.id,
      name: t.name,
      to: this.statusJson(t.to),
      hasScreen: !!t.resolutionRequired,
      isGlobal: t.from.length === 0,
      ...(withFields
        ? {
            fields: t.resolutionRequired
              ? { resolution: { required: true, schema: { type: "resolution", system: "resolution" }, name: "Resolution", key: "resolution", operations: ["set"], allowedValues: [{ id: "10000", name: "Done" }, { id: "10001", name: "Won't Do" }] } }
              : {},
          }
        : {}),
    }));
    return { status: 200, body: { expand: "transitions", transitions } };
  }

  private doTransition(r: StandInRequest, u: JiraUser): StandInResponse {
    const issue = this.find(r.params.key!);
    if (!issue) return this.notFound();
    const body = (r.json ?? {}) as { transition?: { id?: string }; fields?: { resolution?: { name?: string } }; update?: { comment?: { add?: { body?: unknown } }[] } };
    const t = this.available(issue).find((x) => x.id === body.transition?.id);
    if (!t) return this.bad({}, [`Transition id '${body.transition?.id ?? ""}' is not valid for this issue.`]);
    const resolution = body.fields?.resolution?.name;
    if (t.resolutionRequired && !resolution) return this.bad({ resolution: "Resolution is required." });
    for (const c of body.update?.comment ?? []) {
      const err = this.checkCommentBody(c.add?.body);
      if (err) return this.bad({ comment: err });
    }
    for (const c of body.update?.comment ?? []) issue.comments.push({ id: String(nextId()), body: c.add?.body, author: u.accountId });
    this.move(issue, t.to, this.status(t.to).category === "done" ? (resolution ?? "Done") : null, u);
    return { status: 204 };
  }

  private checkCommentBody(b: unknown): string | undefined {
    if (this.flavor === "cloud") return b && typeof b === "object" && (b as { type?: string }).type === "doc" ? undefined : "Comment body must be an Atlassian Document";
    return typeof b === "string" && b !== "" ? undefined : "Comment body can not be empty!";
  }

  private addComment(r: StandInRequest, u: JiraUser): StandInResponse {
    const issue = this.find(r.params.key!);
    if (!issue) return this.notFound();
    const body = (r.json as { body?: unknown } | undefined)?.body;
    const err = this.checkCommentBody(body);
    if (err) return this.bad({ comment: err });
    const c = { id: String(nextId()), body, author: u.accountId };
    issue.comments.push(c);
    const now = new Date().toISOString();
    return { status: 201, body: { self: `${this.baseUrl}${this.api}/issue/${issue.id}/comment/${c.id}`, id: c.id, author: this.userJson(u), body, created: now, updated: now } };
  }

  private search(q: Record<string, unknown>, cloud: boolean): StandInResponse {
    const jql = typeof q.jql === "string" ? q.jql.trim() : "";
    const m = /^(?:project\s*=\s*"?([A-Z][A-Z0-9_]*)"?\s+AND\s+)?labels\s*=\s*"?([^"\s]+)"?(?:\s+ORDER\s+BY\s+created\s+(ASC|DESC))?$/i.exec(jql);
    if (!m) return this.bad({}, [`Error in the JQL Query: the stand-in cannot parse ${JSON.stringify(jql)}.`]);
    const [, project, label, order] = m;
    let list = [...this.issues.values()].filter((i) => !i.deleted && i.labels.includes(label!) && (!project || project === this.projectKey));
    list.sort((a, b) => (order?.toUpperCase() === "DESC" ? b.seq - a.seq : a.seq - b.seq));
    const max = Number(q.maxResults ?? 50);
    list = list.slice(0, max);
    const fields = Array.isArray(q.fields) ? (q.fields as string[]) : undefined;
    if (cloud) {
      // The enhanced search returns only ids unless fields are requested.
      const issues = fields ? list.map((i) => this.issueJson(i, fields)) : list.map((i) => ({ id: i.id }));
      return { status: 200, body: { issues, isLast: true } };
    }
    return { status: 200, body: { startAt: 0, maxResults: max, total: list.length, issues: list.map((i) => this.issueJson(i, fields)) } };
  }

  // ---- workflow + webhooks ----

  private mustIssue(ref: string): JiraIssue {
    const i = this.find(ref);
    if (!i) throw new Error(`no issue ${ref}`);
    return i;
  }

  private move(issue: JiraIssue, to: string, resolution: string | null, actor: JiraUser): void {
    const from = issue.statusId;
    issue.statusId = to;
    issue.resolution = resolution;
    this.emit("jira:issue_updated", "issue_generic", issue, actor, {
      id: String(nextId()),
      items: [{ field: "status", fieldtype: "jira", fieldId: "status", from, fromString: this.status(from).name, to, toString: this.status(to).name }],
    });
  }

  private emit(webhookEvent: string, typeName: string, issue: JiraIssue, actor: JiraUser, changelog?: unknown): void {
    if (this.subscriptions.length === 0) return;
    const user =
      this.flavor === "cloud"
        ? { self: `${this.baseUrl}/rest/api/2/user?accountId=${actor.accountId}`, accountId: actor.accountId, displayName: actor.displayName, accountType: "atlassian", active: true }
        : { self: `${this.baseUrl}/rest/api/2/user?username=${actor.name}`, name: actor.name, key: actor.name, displayName: actor.displayName, active: true };
    const payload: Record<string, unknown> = {
      timestamp: Date.now(),
      webhookEvent,
      issue_event_type_name: typeName,
      user,
      issue: { ...this.issueJson(issue), self: `${this.baseUrl}/rest/api/2/issue/${issue.id}` },
      ...(changelog ? { changelog } : {}),
    };
    this.emitWebhook(payload, { "x-atlassian-webhook-identifier": randomUUID(), "x-atlassian-webhook-flow": "Primary", "user-agent": "Atlassian Webhook HTTP Client" });
  }

  /** Admin webhooks with a secret: X-Hub-Signature: sha256=<hex HMAC of the raw body>. */
  protected signDelivery(sub: WebhookSubscription, body: string): Record<string, string> {
    if (!sub.secret) return {};
    return { "x-hub-signature": "sha256=" + createHmac("sha256", sub.secret).update(body).digest("hex") };
  }

  protected override faultBody(status: number): unknown {
    return status === 429 ? { errorMessages: ["Rate limit exceeded."], errors: {} } : { errorMessages: [`Internal server error (${status})`], errors: {} };
  }
}
