// Jira Cloud (REST v3, ADF, Basic email:token) and Jira Data Center (REST v2, wiki markup, Bearer PAT).
// States are read by statusCategory.key (new/indeterminate/done), never by resolution text; transitions are
// discovered per issue and chosen by the category of their target status.
import { z } from "zod";
import type { IntegrationSpec } from "../api/v1alpha1/integration.js";
import { buildTransport, reached, requireBlock, requireCredential, requireKey, truncate } from "./base.js";
import { NotFoundError, TerminalError } from "./errors.js";
import { basicAuth, header, messagesOf, type HttpResponse, type HttpTransport, type ProviderPolicy } from "./http.js";
import { idempotencyLabel, keyFromLabels, MARKER_LABEL, userLabels, withOriginMarker } from "./idempotency.js";
import { adfText, toAdf, toJiraWiki } from "./render.js";
import { jiraCategory, type StateMapping } from "./state.js";
import type { ConnectorDeps, Credentials, TargetState, Ticket, TicketConnector, TicketDraft } from "./types.js";

const Status = z.object({ name: z.string(), statusCategory: z.object({ key: z.string() }) });
const Issue = z.object({
  id: z.string(),
  key: z.string(),
  fields: z.object({ status: Status, labels: z.array(z.string()).default([]) }),
});
type Issue = z.infer<typeof Issue>;
const Created = z.object({ id: z.string(), key: z.string(), self: z.string().optional() });
const SearchCloud = z.object({ issues: z.array(Issue), nextPageToken: z.string().nullish(), isLast: z.boolean().optional() });
const SearchDc = z.object({ issues: z.array(Issue), total: z.number().optional() });
const Transitions = z.object({
  transitions: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      to: Status,
      fields: z
        .record(z.string(), z.object({ required: z.boolean().optional(), allowedValues: z.array(z.object({ name: z.string().optional() })).optional() }))
        .optional(),
    }),
  ),
});
const MyselfCloud = z.object({ accountId: z.string(), displayName: z.string().optional() });
const MyselfDc = z.object({ name: z.string(), key: z.string().optional(), displayName: z.string().optional() });

export const jiraPolicy: ProviderPolicy = {
  provider: "jira",
  errorMessage(res: HttpResponse) {
    const body = res.json as { errorMessages?: unknown; errors?: unknown; message?: unknown } | undefined;
    if (!body || typeof body !== "object") return undefined;
    const msgs = [...messagesOf(body.errorMessages), ...messagesOf(body.errors), ...messagesOf(body.message)];
    return msgs.length ? msgs.join("; ") : undefined;
  },
  resetHintMs(res, now) {
    // X-RateLimit-Reset is an ISO timestamp on Jira Cloud.
    const reset = header(res.headers, "x-ratelimit-reset");
    const at = reset ? Date.parse(reset) : NaN;
    return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
  },
};

export class JiraConnector implements TicketConnector {
  readonly kind = "ticket" as const;
  readonly provider = "jira";
  private readonly http: HttpTransport;
  private readonly closeDispatcher: () => Promise<void>;
  private readonly cloud: boolean;
  private readonly api: string;
  private readonly settings: NonNullable<IntegrationSpec["jira"]>;
  private readonly mapping: StateMapping;
  private readonly baseUrl: string;

  constructor(spec: IntegrationSpec, creds: Credentials, deps: ConnectorDeps = {}) {
    this.settings = requireBlock("jira", spec.jira, "jira");
    this.cloud = this.settings.flavor !== "datacenter";
    this.api = this.cloud ? "/rest/api/3" : "/rest/api/2";
    this.mapping = spec.stateMapping;
    this.baseUrl = spec.url.replace(/\/+$/, "");
    let auth: string;
    if (this.cloud) {
      const [user, token] = requireCredential("jira", creds, "username", "token");
      auth = basicAuth(user!, token!);
    } else {
      const [token] = requireCredential("jira", creds, "token");
      auth = `Bearer ${token}`;
    }
    const t = buildTransport(this.baseUrl, spec, deps, jiraPolicy, { authorization: auth }, [creds.token, creds.password]);
    this.http = t.transport;
    this.closeDispatcher = t.close;
  }

  async checkCredentials(): Promise<{ account: string }> {
    const route = `GET ${this.api}/myself`;
    if (this.cloud) {
      const me = await this.http.callJson({ method: "GET", path: `${this.api}/myself`, route }, MyselfCloud);
      return { account: me.accountId };
    }
    const me = await this.http.callJson({ method: "GET", path: `${this.api}/myself`, route }, MyselfDc);
    return { account: me.name };
  }

  async findByIdempotencyKey(key: string): Promise<Ticket | null> {
    requireKey("jira", key);
    // Not restricted to the project: a ticket moved to another project must still be found.
    const jql = `labels = "${idempotencyLabel(key)}" ORDER BY created ASC`;
    const body = { jql, fields: ["status", "labels"], maxResults: 5 };
    const issues = this.cloud
      ? (await this.http.callJson({ method: "POST", path: `${this.api}/search/jql`, route: `POST ${this.api}/search/jql`, body }, SearchCloud)).issues
      : (await this.http.callJson({ method: "POST", path: `${this.api}/search`, route: `POST ${this.api}/search`, body }, SearchDc)).issues;
    // The JQL already filters; re-check so a lenient search can never hand back someone else's issue.
    const match = issues.find((i) => i.fields.labels.includes(idempotencyLabel(key)));
    return match ? this.toTicket(match) : null;
  }

  async create(draft: TicketDraft): Promise<Ticket> {
    requireKey("jira", draft.idempotencyKey);
    const labels = [...new Set([MARKER_LABEL, idempotencyLabel(draft.idempotencyKey), ...userLabels(this.settings.labels), ...userLabels(draft.labels)])];
    const fields: Record<string, unknown> = {
      ...this.settings.fields,
      project: { key: this.settings.projectKey },
      issuetype: { name: this.settings.issueType },
      summary: truncate(draft.title.replace(/[\r\n]+/g, " "), 255),
      description: this.cloud ? toAdf(draft.description) : toJiraWiki(draft.description),
      labels,
    };
    if (draft.dueDate) fields.duedate = draft.dueDate;
    const created = await this.http.callJson(
      { method: "POST", path: `${this.api}/issue`, route: `POST ${this.api}/issue`, body: { fields }, accept: [201] },
      Created,
    );
    return this.mustGet(created.key);
  }

  async get(ref: string): Promise<Ticket | null> {
    const res = await this.http.call({
      method: "GET",
      path: `${this.api}/issue/${encodeURIComponent(ref)}`,
      route: `GET ${this.api}/issue/{key}`,
      query: { fields: "status,labels" },
      accept: [200, 404],
    });
    if (res.status === 404) return null;
    return this.toTicket(this.http.parse(res, Issue, `GET ${this.api}/issue/{key}`));
  }

  async setState(ref: string, target: TargetState, comment?: string): Promise<Ticket> {
    const current = await this.mustGet(ref);
    if (reached(current, target)) return current;
    const route = `GET ${this.api}/issue/{key}/transitions`;
    const { transitions } = await this.http.callJson(
      { method: "GET", path: `${this.api}/issue/${encodeURIComponent(ref)}/transitions`, route, query: { expand: "transitions.fields" } },
      Transitions,
    );
    const wanted = target === "done" ? ["done"] : ["new", "indeterminate"];
    const choice = wanted.map((cat) => transitions.find((t) => t.to.statusCategory.key === cat)).find((t) => t !== undefined);
    if (!choice) {
      throw new TerminalError(
        { provider: "jira", route },
        `no transition from "${current.state}" to a status in category ${wanted.join("/")} (available: ${transitions.map((t) => t.name).join(", ") || "none"})`,
      );
    }
    const body: Record<string, unknown> = { transition: { id: choice.id } };
    // A transition screen that carries a resolution needs one, or Jira answers 400.
    const resolution = choice.fields?.resolution;
    if (resolution && target === "done") {
      const names = (resolution.allowedValues ?? []).map((v) => v.name).filter((n): n is string => !!n);
      body.fields = { resolution: { name: names.includes("Done") ? "Done" : (names[0] ?? "Done") } };
    }
    // The comment rides on the transition so a retry can't post it without the state change (or twice).
    if (comment) body.update = { comment: [{ add: { body: this.commentBody(comment) } }] };
    await this.http.call({
      method: "POST",
      path: `${this.api}/issue/${encodeURIComponent(ref)}/transitions`,
      route: `POST ${this.api}/issue/{key}/transitions`,
      body,
      accept: [204],
    });
    return this.mustGet(ref);
  }

  async comment(ref: string, text: string): Promise<void> {
    await this.http.call({
      method: "POST",
      path: `${this.api}/issue/${encodeURIComponent(ref)}/comment`,
      route: `POST ${this.api}/issue/{key}/comment`,
      body: { body: this.commentBody(text) },
      accept: [201],
    });
  }

  close(): Promise<void> {
    return this.closeDispatcher();
  }

  private commentBody(text: string): unknown {
    const marked = withOriginMarker(text);
    return this.cloud ? adfText(marked) : marked;
  }

  private async mustGet(ref: string): Promise<Ticket> {
    const t = await this.get(ref);
    if (!t) throw new NotFoundError({ provider: "jira", route: `GET ${this.api}/issue/{key}`, status: 404 }, `issue ${ref} not found`);
    return t;
  }

  private toTicket(i: Issue): Ticket {
    const status = i.fields.status;
    const idempotencyKey = keyFromLabels(i.fields.labels);
    return {
      ref: i.key,
      key: i.key,
      url: `${this.baseUrl}/browse/${i.key}`,
      state: status.name,
      category: jiraCategory(status.name, status.statusCategory.key, this.mapping),
      ...(idempotencyKey ? { idempotencyKey } : {}),
    };
  }
}
