// GitHub stand-in: REST issues, labels and comments; Bearer auth; User-Agent required; API version header
// checked; 403 + x-ratelimit-remaining: 0 for primary limits; 410 for deleted issues; silent label drop
// for tokens that may not create labels; `issues` webhooks signed with X-Hub-Signature-256.
import { createHmac, randomUUID } from "node:crypto";
import { bearer, nextId, StandIn, type StandInRequest, type StandInResponse, type WebhookSubscription } from "./standin.js";
import type { HumanTarget, TicketStandIn } from "./ticket-standin.js";

export const GH_BOT = { token: "ghp_fixopsbot0123456789abcdef", login: "fixops-bot", id: 9001 };
export const GH_HUMAN = { token: "ghp_alice0123456789abcdef", login: "alice", id: 583231 };
export const GH_APP = { token: "ghs_installation0123456789", login: "fixops[bot]", id: 41898282 };
export const GH_REPO = { owner: "acme", repo: "api", id: 1296269 };

const DOCS = "https://docs.github.com/rest";

interface GhIssue {
  id: number;
  number: number;
  title: string;
  body: string;
  state: "open" | "closed";
  state_reason: string | null;
  labels: string[];
  comments: { id: number; body: string; user: string }[];
  isPull: boolean;
  deleted: boolean;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
}

type GhUser = typeof GH_BOT;

export interface GitHubStandInOptions {
  /** Labels that exist in the repo; others are created only when `canCreateLabels`. */
  existingLabels?: string[];
  canCreateLabels?: boolean;
}

export class GitHubStandIn extends StandIn implements TicketStandIn {
  protected readonly name = "github";
  readonly issues = new Map<number, GhIssue>();
  readonly repoLabels: Set<string>;
  canCreateLabels: boolean;
  private numberSeq = 0;
  private readonly users: GhUser[] = [GH_BOT, GH_HUMAN, GH_APP];

  constructor(opts: GitHubStandInOptions = {}) {
    super();
    this.repoLabels = new Set(opts.existingLabels ?? ["bug", "security"]);
    this.canCreateLabels = opts.canCreateLabels ?? true;
    const repo = "/repos/:owner/:repo";
    this.route("GET", "/user", (r) => this.authed(r, (u) => (u === GH_APP ? this.forbidden("Resource not accessible by integration") : { status: 200, body: { login: u.login, id: u.id, type: "User" } })));
    this.route("GET", repo, (r) => this.authed(r, () => this.withRepo(r, () => ({ status: 200, body: this.repoJson() }))));
    this.route("GET", `${repo}/issues`, (r) => this.authed(r, () => this.withRepo(r, () => this.list(r))));
    this.route("POST", `${repo}/issues`, (r) => this.authed(r, (u) => this.withRepo(r, () => this.create(r, u))));
    this.route("GET", `${repo}/issues/:number`, (r) => this.authed(r, () => this.withRepo(r, () => this.getOne(r))));
    this.route("PATCH", `${repo}/issues/:number`, (r) => this.authed(r, (u) => this.withRepo(r, () => this.update(r, u))));
    this.route("POST", `${repo}/issues/:number/labels`, (r) => this.authed(r, () => this.withRepo(r, () => this.addLabels(r))));
    this.route("POST", `${repo}/issues/:number/comments`, (r) => this.authed(r, (u) => this.withRepo(r, () => this.comment(r, u))));
  }

  // ---- test control ----

  ticketsWithKey(key: string): number {
    return [...this.issues.values()].filter((i) => !i.deleted && !i.isPull && i.labels.includes(`fixops-${key}`)).length;
  }

  stateOf(ref: string): string | undefined {
    const i = this.issues.get(Number(ref));
    return i && !i.deleted ? (i.state_reason ? `${i.state}/${i.state_reason}` : i.state) : undefined;
  }

  commentsOf(ref: string): string[] {
    return (this.issues.get(Number(ref))?.comments ?? []).map((c) => c.body);
  }

  humanSetState(ref: string, target: HumanTarget): void {
    const i = this.mustIssue(ref);
    if (target === "done") this.transition(i, "closed", "completed", GH_HUMAN);
    else this.transition(i, "open", "reopened", GH_HUMAN);
  }

  /** A person closes the issue with a reason other than "completed" (GitHub's "Close as not planned" / "duplicate"). */
  humanClose(ref: string, reason: "completed" | "not_planned" | "duplicate"): void {
    this.transition(this.mustIssue(ref), "closed", reason, GH_HUMAN);
  }

  /** The `ping` event GitHub sends to a webhook when it is created. */
  ping(): void {
    if (this.subscriptions.length === 0) return;
    const hook = { type: "Repository", id: 392847, name: "web", active: true, events: ["issues"], config: { content_type: "json", insecure_ssl: "0", url: this.subscriptions[0]!.url } };
    this.emitWebhook(
      { zen: "Design for failure.", hook_id: hook.id, hook, repository: { id: GH_REPO.id, name: GH_REPO.repo, full_name: `${GH_REPO.owner}/${GH_REPO.repo}`, private: true }, sender: { login: GH_HUMAN.login, id: GH_HUMAN.id, type: "User" } },
      this.deliveryHeaders("ping"),
    );
  }

  humanDelete(ref: string): void {
    const i = this.mustIssue(ref);
    i.deleted = true;
    this.emit("deleted", i, GH_HUMAN);
  }

  /** Adds a pull request carrying these labels (the issues list returns PRs too). */
  addPullRequest(labels: string[]): number {
    const n = ++this.numberSeq;
    const now = new Date().toISOString();
    this.issues.set(n, { id: nextId(), number: n, title: "PR", body: "", state: "open", state_reason: null, labels, comments: [], isPull: true, deleted: false, created_at: now, updated_at: now, closed_at: null });
    return n;
  }

  // ---- handlers ----

  private forbidden(message: string): StandInResponse {
    return { status: 403, body: { message, documentation_url: DOCS, status: "403" } };
  }

  private authed(r: StandInRequest, fn: (u: GhUser) => StandInResponse): StandInResponse {
    if (!r.headers["user-agent"]) return this.forbidden("Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required).");
    const version = r.headers["x-github-api-version"];
    if (version !== undefined && version !== "2022-11-28" && version !== "2026-03-10") {
      return { status: 400, body: { message: `API version ${String(version)} is not supported.`, documentation_url: DOCS, status: "400" } };
    }
    const token = bearer(r.headers) ?? (r.headers.authorization?.startsWith("token ") ? r.headers.authorization.slice(6) : undefined);
    const user = token ? this.users.find((u) => u.token === token) : undefined;
    if (!user) return { status: 401, body: { message: "Bad credentials", documentation_url: DOCS, status: "401" } };
    return fn(user);
  }

  private withRepo(r: StandInRequest, fn: () => StandInResponse): StandInResponse {
    if (r.params.owner !== GH_REPO.owner || r.params.repo !== GH_REPO.repo) return { status: 404, body: { message: "Not Found", documentation_url: DOCS, status: "404" } };
    return fn();
  }

  private repoJson(): unknown {
    return { id: GH_REPO.id, name: GH_REPO.repo, full_name: `${GH_REPO.owner}/${GH_REPO.repo}`, private: true, has_issues: true, permissions: { admin: false, push: true, pull: true } };
  }

  private issueJson(i: GhIssue): Record<string, unknown> {
    const base = `${this.baseUrl}/repos/${GH_REPO.owner}/${GH_REPO.repo}`;
    return {
      id: i.id,
      node_id: `I_${i.id}`,
      url: `${base}/issues/${i.number}`,
      html_url: `https://github.example/${GH_REPO.owner}/${GH_REPO.repo}/${i.isPull ? "pull" : "issues"}/${i.number}`,
      number: i.number,
      state: i.state,
      state_reason: i.state_reason,
      title: i.title,
      body: i.body,
      labels: i.labels.map((name, n) => ({ id: 1000 + n, name, color: "ededed", default: false })),
      created_at: i.created_at,
      updated_at: i.updated_at,
      closed_at: i.closed_at,
      ...(i.isPull ? { pull_request: { url: `${base}/pulls/${i.number}` } } : {}),
    };
  }

  private list(r: StandInRequest): StandInResponse {
    const labels = (r.query.get("labels") ?? "").split(",").filter(Boolean);
    const state = r.query.get("state") ?? "open";
    let list = [...this.issues.values()].filter((i) => !i.deleted && labels.every((l) => i.labels.includes(l)) && (state === "all" || i.state === state));
    const asc = r.query.get("direction") === "asc";
    list.sort((a, b) => (asc ? a.number - b.number : b.number - a.number));
    list = list.slice(0, Number(r.query.get("per_page") ?? 30));
    return { status: 200, body: list.map((i) => this.issueJson(i)) };
  }

  private acceptLabels(names: string[]): string[] {
    return names.filter((l) => {
      if (this.repoLabels.has(l)) return true;
      // Unknown labels are silently dropped for callers that may not create them.
      if (!this.canCreateLabels) return false;
      this.repoLabels.add(l);
      return true;
    });
  }

  private create(r: StandInRequest, u: GhUser): StandInResponse {
    const body = (r.json ?? {}) as { title?: unknown; body?: unknown; labels?: unknown; state?: unknown };
    if (typeof body.title !== "string" || body.title === "") {
      return { status: 422, body: { message: "Validation Failed", errors: [{ resource: "Issue", code: "missing_field", field: "title" }], documentation_url: DOCS, status: "422" } };
    }
    if (body.title.length > 256) return { status: 422, body: { message: "Validation Failed", errors: [{ resource: "Issue", code: "custom", field: "title", message: "title is too long (maximum is 256 characters)" }], documentation_url: DOCS, status: "422" } };
    const labels = Array.isArray(body.labels) ? body.labels.map((l) => (typeof l === "string" ? l : String((l as { name?: string }).name))) : [];
    const now = new Date().toISOString();
    const i: GhIssue = {
      id: 5000000 + nextId(),
      number: ++this.numberSeq,
      title: body.title,
      body: typeof body.body === "string" ? body.body : "",
      state: "open",
      state_reason: null,
      labels: this.acceptLabels([...new Set(labels)]),
      comments: [],
      isPull: false,
      deleted: false,
      created_at: now,
      updated_at: now,
      closed_at: null,
    };
    this.issues.set(i.number, i);
    this.emit("opened", i, u);
    return { status: 201, headers: { location: String(this.issueJson(i).url) }, body: this.issueJson(i) };
  }

  private lookup(r: StandInRequest): GhIssue | StandInResponse {
    const i = this.issues.get(Number(r.params.number));
    if (!i) return { status: 404, body: { message: "Not Found", documentation_url: DOCS, status: "404" } };
    if (i.deleted) return { status: 410, body: { message: "This issue was deleted", documentation_url: DOCS, status: "410" } };
    return i;
  }

  private getOne(r: StandInRequest): StandInResponse {
    const found = this.lookup(r);
    return "number" in found ? { status: 200, body: this.issueJson(found) } : found;
  }

  private update(r: StandInRequest, u: GhUser): StandInResponse {
    const found = this.lookup(r);
    if (!("number" in found)) return found;
    const body = (r.json ?? {}) as { state?: unknown; state_reason?: unknown };
    const invalid = (field: string) => ({ status: 422, body: { message: "Validation Failed", errors: [{ resource: "Issue", code: "invalid", field }], documentation_url: DOCS, status: "422" } });
    if (body.state !== undefined && body.state !== "open" && body.state !== "closed") return invalid("state");
    if (body.state_reason !== undefined && body.state_reason !== null && !["completed", "not_planned", "duplicate", "reopened"].includes(String(body.state_reason))) return invalid("state_reason");
    // state_reason is ignored unless the state changes.
    if (body.state !== undefined && body.state !== found.state) {
      const reason = (body.state_reason as string | null | undefined) ?? (body.state === "closed" ? "completed" : "reopened");
      this.transition(found, body.state as "open" | "closed", reason, u);
    }
    return { status: 200, body: this.issueJson(found) };
  }

  private addLabels(r: StandInRequest): StandInResponse {
    const found = this.lookup(r);
    if (!("number" in found)) return found;
    const labels = ((r.json as { labels?: unknown } | undefined)?.labels ?? []) as string[];
    found.labels = [...new Set([...found.labels, ...this.acceptLabels(labels)])];
    return { status: 200, body: found.labels.map((name, n) => ({ id: 1000 + n, name, color: "ededed", default: false })) };
  }

  private comment(r: StandInRequest, u: GhUser): StandInResponse {
    const found = this.lookup(r);
    if (!("number" in found)) return found;
    const text = (r.json as { body?: unknown } | undefined)?.body;
    if (typeof text !== "string" || text === "") return { status: 422, body: { message: "Validation Failed", errors: [{ resource: "IssueComment", code: "missing_field", field: "body" }], documentation_url: DOCS, status: "422" } };
    const c = { id: nextId(), body: text, user: u.login };
    found.comments.push(c);
    return { status: 201, body: { id: c.id, body: c.body, user: { login: u.login, id: u.id }, created_at: new Date().toISOString() } };
  }

  private mustIssue(ref: string): GhIssue {
    const i = this.issues.get(Number(ref));
    if (!i || i.deleted) throw new Error(`no issue ${ref}`);
    return i;
  }

  private transition(i: GhIssue, state: "open" | "closed", reason: string | null, actor: GhUser): void {
    if (i.state === state) return;
    i.state = state;
    i.state_reason = reason;
    i.updated_at = new Date().toISOString();
    i.closed_at = state === "closed" ? i.updated_at : null;
    this.emit(state === "closed" ? "closed" : "reopened", i, actor);
  }

  private emit(action: string, i: GhIssue, actor: GhUser): void {
    if (this.subscriptions.length === 0) return;
    this.emitWebhook(
      {
        action,
        issue: { ...this.issueJson(i), user: { login: GH_BOT.login, id: GH_BOT.id } },
        repository: { id: GH_REPO.id, name: GH_REPO.repo, full_name: `${GH_REPO.owner}/${GH_REPO.repo}`, private: true },
        sender: { login: actor.login, id: actor.id, type: actor === GH_APP ? "Bot" : "User" },
      },
      this.deliveryHeaders("issues"),
    );
  }

  private deliveryHeaders(event: string): Record<string, string> {
    return {
      "x-github-event": event,
      "x-github-delivery": randomUUID(),
      "x-github-hook-id": "392847",
      "x-github-hook-installation-target-type": "repository",
      "x-github-hook-installation-target-id": String(GH_REPO.id),
      "user-agent": "GitHub-Hookshot/8e03811",
    };
  }

  /** HMAC-SHA256 of the raw body (plus the legacy SHA-1 header GitHub still sends). */
  protected signDelivery(sub: WebhookSubscription, body: string): Record<string, string> {
    if (!sub.secret) return {};
    return {
      "x-hub-signature-256": "sha256=" + createHmac("sha256", sub.secret).update(body).digest("hex"),
      "x-hub-signature": "sha1=" + createHmac("sha1", sub.secret).update(body).digest("hex"),
    };
  }

  protected override faultBody(status: number): unknown {
    return status === 429 || status === 403
      ? { message: "API rate limit exceeded for user ID 9001.", documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api", status: String(status) }
      : { message: "Server Error", status: String(status) };
  }
}
