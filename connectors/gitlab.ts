// GitLab REST v4 issues: labels (comma-separated on write), close/reopen with state_event, notes.
import { z } from "zod";
import type { IntegrationSpec } from "../api/v1alpha1/integration.js";
import { buildTransport, reached, requireBlock, requireCredential, requireKey, truncate } from "./base.js";
import { NotFoundError } from "./errors.js";
import { header, messagesOf, type HttpResponse, type HttpTransport, type ProviderPolicy } from "./http.js";
import { idempotencyLabel, keyFromLabels, MARKER_LABEL, userLabels, withOriginMarker } from "./idempotency.js";
import { toMarkdown } from "./render.js";
import { gitlabCategory, type StateMapping } from "./state.js";
import type { ConnectorDeps, Credentials, TargetState, Ticket, TicketConnector, TicketDraft } from "./types.js";

const Issue = z.object({
  iid: z.number(),
  state: z.string(),
  labels: z.array(z.string()).default([]),
  web_url: z.string(),
  references: z.object({ full: z.string() }).optional(),
});
type Issue = z.infer<typeof Issue>;
const Project = z.object({ id: z.number(), path_with_namespace: z.string() });
const User = z.object({ username: z.string() });

export const gitlabPolicy: ProviderPolicy = {
  provider: "gitlab",
  errorMessage(res: HttpResponse) {
    const body = res.json as { message?: unknown; error?: unknown; error_description?: unknown } | undefined;
    if (!body || typeof body !== "object") return undefined;
    const msgs = [...messagesOf(body.message), ...messagesOf(body.error), ...messagesOf(body.error_description)];
    return msgs.length ? msgs.join("; ") : undefined;
  },
  resetHintMs(res, now) {
    const reset = Number(header(res.headers, "ratelimit-reset")); // Unix seconds
    return Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - now.getTime()) : undefined;
  },
};

export class GitLabConnector implements TicketConnector {
  readonly kind = "ticket" as const;
  readonly provider = "gitlab";
  private readonly http: HttpTransport;
  private readonly closeDispatcher: () => Promise<void>;
  private readonly project: string;
  private readonly mapping: StateMapping;
  private projectPath: string | undefined;

  constructor(spec: IntegrationSpec, creds: Credentials, deps: ConnectorDeps = {}) {
    const settings = requireBlock("gitlab", spec.gitlab, "gitlab");
    const [token] = requireCredential("gitlab", creds, "token");
    // Numeric id or a path; a path must be URL-encoded as one segment (group%2Fproject).
    this.project = encodeURIComponent(safeDecode(settings.projectId));
    this.mapping = spec.stateMapping;
    const t = buildTransport(spec.url, spec, deps, gitlabPolicy, { "private-token": token! }, []);
    this.http = t.transport;
    this.closeDispatcher = t.close;
  }

  private get issues(): string {
    return `/api/v4/projects/${this.project}/issues`;
  }

  async checkCredentials(): Promise<{ account: string }> {
    const project = await this.http.callJson({ method: "GET", path: `/api/v4/projects/${this.project}`, route: "GET /api/v4/projects/:id" }, Project);
    this.projectPath = project.path_with_namespace;
    const me = await this.http.callJson({ method: "GET", path: "/api/v4/user", route: "GET /api/v4/user" }, User);
    return { account: me.username };
  }

  async findByIdempotencyKey(key: string): Promise<Ticket | null> {
    requireKey("gitlab", key);
    const list = await this.http.callJson(
      {
        method: "GET",
        path: this.issues,
        route: "GET /api/v4/projects/:id/issues?labels",
        query: { labels: idempotencyLabel(key), state: "all", order_by: "created_at", sort: "asc", per_page: 5 },
      },
      z.array(Issue),
    );
    const match = list.find((i) => i.labels.includes(idempotencyLabel(key)));
    return match ? this.toTicket(match) : null;
  }

  async create(draft: TicketDraft): Promise<Ticket> {
    requireKey("gitlab", draft.idempotencyKey);
    const labels = [...new Set([MARKER_LABEL, idempotencyLabel(draft.idempotencyKey), ...userLabels(draft.labels)])];
    const body: Record<string, unknown> = {
      title: truncate(draft.title.replace(/[\r\n]+/g, " "), 255),
      description: toMarkdown(draft.description),
      labels: labels.join(","),
    };
    if (draft.dueDate) body.due_date = draft.dueDate;
    const issue = await this.http.callJson(
      { method: "POST", path: this.issues, route: "POST /api/v4/projects/:id/issues", body, accept: [201] },
      Issue,
    );
    return this.toTicket(issue);
  }

  async get(ref: string): Promise<Ticket | null> {
    const route = "GET /api/v4/projects/:id/issues/:iid";
    const res = await this.http.call({ method: "GET", path: `${this.issues}/${encodeURIComponent(ref)}`, route, accept: [200, 404] });
    if (res.status === 404) return null;
    return this.toTicket(this.http.parse(res, Issue, route));
  }

  async setState(ref: string, target: TargetState, comment?: string): Promise<Ticket> {
    const current = await this.get(ref);
    if (!current) throw new NotFoundError({ provider: "gitlab", status: 404 }, `issue ${ref} not found`);
    if (reached(current, target)) return current;
    const issue = await this.http.callJson(
      {
        method: "PUT",
        path: `${this.issues}/${encodeURIComponent(ref)}`,
        route: "PUT /api/v4/projects/:id/issues/:iid",
        body: { state_event: target === "done" ? "close" : "reopen" },
      },
      Issue,
    );
    // Notes are a separate call in GitLab; posted only after the state change succeeded.
    if (comment) await this.comment(ref, comment);
    return this.toTicket(issue);
  }

  async comment(ref: string, text: string): Promise<void> {
    await this.http.call({
      method: "POST",
      path: `${this.issues}/${encodeURIComponent(ref)}/notes`,
      route: "POST /api/v4/projects/:id/issues/:iid/notes",
      body: { body: withOriginMarker(text) },
      accept: [201],
    });
  }

  close(): Promise<void> {
    return this.closeDispatcher();
  }

  private toTicket(i: Issue): Ticket {
    const idempotencyKey = keyFromLabels(i.labels);
    return {
      ref: String(i.iid),
      key: i.references?.full ?? (this.projectPath ? `${this.projectPath}#${i.iid}` : `#${i.iid}`),
      url: i.web_url,
      state: i.state,
      category: gitlabCategory(i.state, this.mapping),
      ...(idempotencyKey ? { idempotencyKey } : {}),
    };
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
