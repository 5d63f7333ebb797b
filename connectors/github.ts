// GitHub REST issues: labels, close with state_reason, comments. Pinned API version header.
import { z } from "zod";
import type { IntegrationSpec } from "../api/v1alpha1/integration.js";
import { buildTransport, reached, requireBlock, requireCredential, requireKey, truncate } from "./base.js";
import { AuthError, NotFoundError, RateLimitedError, TerminalError } from "./errors.js";
import { header, messagesOf, type HttpResponse, type HttpTransport, type ProviderPolicy } from "./http.js";
import { idempotencyLabel, keyFromLabels, MARKER_LABEL, userLabels, withOriginMarker } from "./idempotency.js";
import { toMarkdown } from "./render.js";
import { githubCategory, githubRawState, type StateMapping } from "./state.js";
import type { ConnectorDeps, Credentials, TargetState, Ticket, TicketConnector, TicketDraft } from "./types.js";

export const GITHUB_API_VERSION = "2022-11-28";

const Label = z.union([z.string(), z.object({ name: z.string() })]).transform((l) => (typeof l === "string" ? l : l.name));
const Issue = z.object({
  number: z.number(),
  state: z.string(),
  state_reason: z.string().nullish(),
  labels: z.array(Label).default([]),
  html_url: z.string(),
  pull_request: z.unknown().optional(),
});
type Issue = z.infer<typeof Issue>;
const Repo = z.object({ full_name: z.string() });
const User = z.object({ login: z.string() });

function resetMs(res: HttpResponse, now: Date): number | undefined {
  const reset = Number(header(res.headers, "x-ratelimit-reset")); // epoch seconds
  return Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - now.getTime()) : undefined;
}

export const githubPolicy: ProviderPolicy = {
  provider: "github",
  errorMessage(res: HttpResponse) {
    const body = res.json as { message?: unknown; errors?: unknown } | undefined;
    if (!body || typeof body !== "object") return undefined;
    const extra = Array.isArray(body.errors)
      ? body.errors.map((e: unknown) => (typeof e === "string" ? e : ((e as { message?: string; code?: string }).message ?? (e as { code?: string }).code ?? ""))).filter(Boolean)
      : [];
    const msgs = [...messagesOf(body.message), ...extra];
    return msgs.length ? msgs.join("; ") : undefined;
  },
  // GitHub signals rate limits with 403 as well as 429: remaining=0 (primary) or retry-after (secondary).
  classify(res, init, now) {
    if (res.status !== 403 && res.status !== 429) return undefined;
    const retryAfter = header(res.headers, "retry-after");
    if (retryAfter !== undefined && /^\d+$/.test(retryAfter.trim())) return new RateLimitedError(init, Number(retryAfter) * 1000, true);
    if (header(res.headers, "x-ratelimit-remaining") === "0") {
      const ms = resetMs(res, now);
      if (ms !== undefined) return new RateLimitedError(init, ms, true);
    }
    return undefined;
  },
  resetHintMs: resetMs,
};

export class GitHubConnector implements TicketConnector {
  readonly kind = "ticket" as const;
  readonly provider = "github";
  private readonly http: HttpTransport;
  private readonly closeDispatcher: () => Promise<void>;
  private readonly repo: string;
  private readonly fullName: string;
  private readonly mapping: StateMapping;

  constructor(spec: IntegrationSpec, creds: Credentials, deps: ConnectorDeps = {}) {
    const settings = requireBlock("github", spec.github, "github");
    const [token] = requireCredential("github", creds, "token");
    this.repo = `/repos/${encodeURIComponent(settings.owner)}/${encodeURIComponent(settings.repo)}`;
    this.fullName = `${settings.owner}/${settings.repo}`;
    this.mapping = spec.stateMapping;
    const headers = {
      authorization: `Bearer ${token}`,
      accept: "application/vnd.github+json",
      "x-github-api-version": GITHUB_API_VERSION,
      "user-agent": "fixops-operator",
    };
    const t = buildTransport(spec.url, spec, deps, githubPolicy, headers, []);
    this.http = t.transport;
    this.closeDispatcher = t.close;
  }

  async checkCredentials(): Promise<{ account: string }> {
    await this.http.callJson({ method: "GET", path: this.repo, route: "GET /repos/{owner}/{repo}" }, Repo);
    try {
      const me = await this.http.callJson({ method: "GET", path: "/user", route: "GET /user" }, User);
      return { account: me.login };
    } catch (err) {
      // GitHub App installation tokens may read the repo but not /user; the repo read already proved the token.
      if (err instanceof AuthError && err.status === 403) return { account: `installation token for ${this.fullName}` };
      throw err;
    }
  }

  async findByIdempotencyKey(key: string): Promise<Ticket | null> {
    requireKey("github", key);
    const list = await this.http.callJson(
      {
        method: "GET",
        path: `${this.repo}/issues`,
        route: "GET /repos/{owner}/{repo}/issues?labels",
        query: { labels: idempotencyLabel(key), state: "all", sort: "created", direction: "asc", per_page: 5 },
      },
      z.array(Issue),
    );
    // The issues list also returns pull requests.
    const match = list.find((i) => i.pull_request === undefined && i.labels.includes(idempotencyLabel(key)));
    return match ? this.toTicket(match) : null;
  }

  async create(draft: TicketDraft): Promise<Ticket> {
    requireKey("github", draft.idempotencyKey);
    const label = idempotencyLabel(draft.idempotencyKey);
    const labels = [...new Set([MARKER_LABEL, label, ...userLabels(draft.labels)])];
    let body = toMarkdown(draft.description);
    if (draft.dueDate) body += `\n\nRemediation due: ${draft.dueDate}`;
    const issue = await this.http.callJson(
      {
        method: "POST",
        path: `${this.repo}/issues`,
        route: "POST /repos/{owner}/{repo}/issues",
        body: { title: truncate(draft.title.replace(/[\r\n]+/g, " "), 256), body, labels },
        accept: [201],
      },
      Issue,
    );
    if (!issue.labels.includes(label)) {
      // GitHub silently drops labels the token may not create; without ours a retry could not find this issue.
      const added = await this.http.callJson(
        {
          method: "POST",
          path: `${this.repo}/issues/${issue.number}/labels`,
          route: "POST /repos/{owner}/{repo}/issues/{number}/labels",
          body: { labels: [label] },
        },
        z.array(Label),
      );
      if (!added.includes(label)) {
        throw new TerminalError(
          { provider: "github", route: "POST /repos/{owner}/{repo}/issues" },
          `issue #${issue.number} was created but the token cannot apply label ${label}; exactly-once delivery needs it`,
        );
      }
      issue.labels = added;
    }
    return this.toTicket(issue);
  }

  async get(ref: string): Promise<Ticket | null> {
    const route = "GET /repos/{owner}/{repo}/issues/{number}";
    // 410 Gone is how GitHub answers for a deleted issue.
    const res = await this.http.call({ method: "GET", path: `${this.repo}/issues/${encodeURIComponent(ref)}`, route, accept: [200, 404, 410] });
    if (res.status === 404 || res.status === 410) return null;
    return this.toTicket(this.http.parse(res, Issue, route));
  }

  async setState(ref: string, target: TargetState, comment?: string): Promise<Ticket> {
    const current = await this.get(ref);
    if (!current) throw new NotFoundError({ provider: "github", status: 404 }, `issue ${ref} not found`);
    if (reached(current, target)) return current;
    const issue = await this.http.callJson(
      {
        method: "PATCH",
        path: `${this.repo}/issues/${encodeURIComponent(ref)}`,
        route: "PATCH /repos/{owner}/{repo}/issues/{number}",
        body: target === "done" ? { state: "closed", state_reason: "completed" } : { state: "open", state_reason: "reopened" },
      },
      Issue,
    );
    if (comment) await this.comment(ref, comment);
    return this.toTicket(issue);
  }

  async comment(ref: string, text: string): Promise<void> {
    await this.http.call({
      method: "POST",
      path: `${this.repo}/issues/${encodeURIComponent(ref)}/comments`,
      route: "POST /repos/{owner}/{repo}/issues/{number}/comments",
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
      ref: String(i.number),
      key: `${this.fullName}#${i.number}`,
      url: i.html_url,
      state: githubRawState(i.state, i.state_reason),
      category: githubCategory(i.state, i.state_reason, this.mapping),
      ...(idempotencyKey ? { idempotencyKey } : {}),
    };
  }
}
