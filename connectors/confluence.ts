// Confluence (REST v1 content API, under /wiki): one page per periodic summary, found by title in the
// space and updated with version + 1 (Confluence's optimistic lock; a stale version answers 409).
import { z } from "zod";
import type { IntegrationSpec } from "../api/v1alpha1/integration.js";
import { buildTransport, requireBlock, requireCredential, truncate } from "./base.js";
import { TerminalError } from "./errors.js";
import { basicAuth, messagesOf, type HttpResponse, type HttpTransport, type ProviderPolicy } from "./http.js";
import { toConfluenceStorage } from "./render.js";
import type { ConnectorDeps, Credentials, PageConnector, PageSummary, PublishedPage } from "./types.js";

const Links = z.object({ webui: z.string().optional(), base: z.string().optional() }).optional();
const Content = z.object({ id: z.string(), title: z.string(), version: z.object({ number: z.number() }), _links: Links });
type Content = z.infer<typeof Content>;
const ContentList = z.object({ results: z.array(Content), _links: Links });
const Space = z.object({ key: z.string() });
const CurrentUser = z.object({ accountId: z.string().optional(), username: z.string().optional(), displayName: z.string().optional() });

export const confluencePolicy: ProviderPolicy = {
  provider: "confluence",
  errorMessage(res: HttpResponse) {
    const body = res.json as { message?: unknown; errorMessages?: unknown } | undefined;
    if (!body || typeof body !== "object") return undefined;
    const msgs = [...messagesOf(body.message), ...messagesOf(body.errorMessages)];
    return msgs.length ? msgs.join("; ") : undefined;
  },
};

export class ConfluenceConnector implements PageConnector {
  readonly kind = "page" as const;
  readonly provider = "confluence";
  private readonly http: HttpTransport;
  private readonly closeDispatcher: () => Promise<void>;
  private readonly settings: NonNullable<IntegrationSpec["confluence"]>;
  private readonly root: string;

  constructor(spec: IntegrationSpec, creds: Credentials, deps: ConnectorDeps = {}) {
    this.settings = requireBlock("confluence", spec.confluence, "confluence");
    const base = spec.url.replace(/\/+$/, "");
    // Cloud paths live under /wiki; accept a URL given with or without it.
    this.root = base.endsWith("/wiki") ? base : `${base}/wiki`;
    let auth: string;
    if (creds.username) {
      const [user, token] = requireCredential("confluence", creds, "username", "token");
      auth = basicAuth(user!, token!);
    } else {
      const [token] = requireCredential("confluence", creds, "token");
      auth = `Bearer ${token}`; // Data Center personal access token
    }
    const t = buildTransport(this.root, spec, deps, confluencePolicy, { authorization: auth }, [creds.token]);
    this.http = t.transport;
    this.closeDispatcher = t.close;
  }

  async checkCredentials(): Promise<{ account: string }> {
    await this.http.callJson(
      { method: "GET", path: `/rest/api/space/${encodeURIComponent(this.settings.spaceKey)}`, route: "GET /wiki/rest/api/space/{key}" },
      Space,
    );
    const me = await this.http.callJson({ method: "GET", path: "/rest/api/user/current", route: "GET /wiki/rest/api/user/current" }, CurrentUser);
    const account = me.accountId ?? me.username;
    if (!account) throw new TerminalError({ provider: "confluence", route: "GET /wiki/rest/api/user/current" }, "authenticated as anonymous");
    return { account };
  }

  async publish(summary: PageSummary): Promise<PublishedPage> {
    const title = truncate(summary.title, 255);
    const body = { storage: { value: toConfluenceStorage(summary.body), representation: "storage" } };
    for (let attempt = 0; ; attempt++) {
      const existing = await this.findByTitle(title);
      if (!existing) {
        const payload: Record<string, unknown> = { type: "page", title, space: { key: this.settings.spaceKey }, body };
        if (this.settings.parentPageId) payload.ancestors = [{ id: this.settings.parentPageId }];
        const created = await this.http.callJson(
          { method: "POST", path: "/rest/api/content", route: "POST /wiki/rest/api/content", body: payload, accept: [200, 201] },
          Content,
        );
        return this.toPage(created, true);
      }
      const res = await this.http.call({
        method: "PUT",
        path: `/rest/api/content/${encodeURIComponent(existing.id)}`,
        route: "PUT /wiki/rest/api/content/{id}",
        body: { id: existing.id, type: "page", title, version: { number: existing.version.number + 1 }, body },
        accept: attempt === 0 ? [200, 409] : [200],
      });
      // 409: someone else saved a version in between; re-read it and try once more.
      if (res.status === 409) continue;
      return this.toPage(this.http.parse(res, Content, "PUT /wiki/rest/api/content/{id}"), false);
    }
  }

  close(): Promise<void> {
    return this.closeDispatcher();
  }

  private async findByTitle(title: string): Promise<Content | undefined> {
    const list = await this.http.callJson(
      {
        method: "GET",
        path: "/rest/api/content",
        route: "GET /wiki/rest/api/content?spaceKey&title",
        query: { spaceKey: this.settings.spaceKey, title, type: "page", expand: "version" },
      },
      ContentList,
    );
    return list.results.find((c) => c.title === title);
  }

  private toPage(c: Content, created: boolean): PublishedPage {
    const base = c._links?.base ?? this.root;
    const url = c._links?.webui ? base + c._links.webui : `${this.root}/pages/viewpage.action?pageId=${c.id}`;
    return { id: c.id, url, version: c.version.number, created };
  }
}
