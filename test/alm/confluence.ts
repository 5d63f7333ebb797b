// Confluence Cloud stand-in (REST v1 under /wiki): spaces, current user, content by space+title, create,
// and update with the version+1 optimistic lock (409 on a stale version). Basic email:token auth.
import { nextId, parseBasic, StandIn, type StandInRequest, type StandInResponse, type WebhookSubscription } from "./standin.js";

export const CONF_BOT = { email: "fixops-bot@example.com", token: "confluence-token-0123456789", accountId: "5b10ac8d82e05b22cc7d4ef5", displayName: "FixOps Bot" };
export const CONF_SPACE = { key: "SEC", id: 98305, name: "Security" };

interface Page {
  id: string;
  title: string;
  spaceKey: string;
  version: number;
  body: string;
  ancestors: string[];
}

export class ConfluenceStandIn extends StandIn {
  protected readonly name = "confluence";
  readonly pages = new Map<string, Page>();

  constructor() {
    super();
    this.route("GET", "/wiki/rest/api/space/:key", (r) => this.authed(r, () => (r.params.key === CONF_SPACE.key ? { status: 200, body: { id: CONF_SPACE.id, key: CONF_SPACE.key, name: CONF_SPACE.name, type: "global" } } : this.err(404, `No space found with key : ${r.params.key}`))));
    this.route("GET", "/wiki/rest/api/user/current", (r) => this.authed(r, () => ({ status: 200, body: { type: "known", accountId: CONF_BOT.accountId, accountType: "atlassian", displayName: CONF_BOT.displayName } })));
    this.route("GET", "/wiki/rest/api/content", (r) => this.authed(r, () => this.search(r)));
    this.route("POST", "/wiki/rest/api/content", (r) => this.authed(r, () => this.create(r)));
    this.route("PUT", "/wiki/rest/api/content/:id", (r) => this.authed(r, () => this.update(r)));
  }

  /** Someone edits the page in the UI between our read and our write. */
  humanEdit(id: string): void {
    const p = this.pages.get(id);
    if (!p) throw new Error(`no page ${id}`);
    p.version++;
    p.body += "<p>edited by a person</p>";
  }

  private err(status: number, message: string): StandInResponse {
    return { status, body: { statusCode: status, data: { authorized: status !== 401, valid: false, errors: [], successful: false }, message } };
  }

  private authed(r: StandInRequest, fn: () => StandInResponse): StandInResponse {
    const b = parseBasic(r.headers);
    if (!b || b.user !== CONF_BOT.email || b.secret !== CONF_BOT.token) return this.err(401, "Current user not permitted to use Confluence");
    return fn();
  }

  private pageJson(p: Page): unknown {
    return {
      id: p.id,
      type: "page",
      status: "current",
      title: p.title,
      space: { key: p.spaceKey },
      version: { number: p.version, by: { accountId: CONF_BOT.accountId } },
      ancestors: p.ancestors.map((id) => ({ id })),
      body: { storage: { value: p.body, representation: "storage" } },
      _links: { webui: `/spaces/${p.spaceKey}/pages/${p.id}`, base: `${this.baseUrl}/wiki`, self: `${this.baseUrl}/wiki/rest/api/content/${p.id}` },
    };
  }

  private search(r: StandInRequest): StandInResponse {
    const space = r.query.get("spaceKey");
    const title = r.query.get("title");
    const list = [...this.pages.values()].filter((p) => (!space || p.spaceKey === space) && (!title || p.title === title));
    return { status: 200, body: { results: list.map((p) => this.pageJson(p)), start: 0, limit: 25, size: list.length, _links: { base: `${this.baseUrl}/wiki`, context: "/wiki" } } };
  }

  private validBody(b: unknown): string | undefined {
    const storage = (b as { storage?: { value?: unknown; representation?: unknown } } | undefined)?.storage;
    if (!storage || storage.representation !== "storage" || typeof storage.value !== "string") return undefined;
    // Storage format is XHTML: a bare "&" or "<" that is not a tag makes Confluence answer 400.
    if (/&(?![a-zA-Z]+;|#\d+;)/.test(storage.value.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, ""))) return undefined;
    return storage.value;
  }

  private create(r: StandInRequest): StandInResponse {
    const b = (r.json ?? {}) as { type?: string; title?: string; space?: { key?: string }; ancestors?: { id?: string }[]; body?: unknown };
    if (b.type !== "page") return this.err(400, "Content type must be page or blogpost");
    if (!b.title) return this.err(400, "Title is required");
    if (b.space?.key !== CONF_SPACE.key) return this.err(404, `No space with key : ${b.space?.key ?? ""}`);
    const body = this.validBody(b.body);
    if (body === undefined) return this.err(400, "Error parsing xhtml: Unexpected character in storage format");
    if ([...this.pages.values()].some((p) => p.spaceKey === b.space!.key && p.title === b.title)) {
      return this.err(400, `A page with this title already exists: A page already exists with the title ${b.title} in the space with key ${CONF_SPACE.key}`);
    }
    const page: Page = { id: String(65000 + nextId()), title: b.title, spaceKey: CONF_SPACE.key, version: 1, body, ancestors: (b.ancestors ?? []).map((a) => String(a.id)) };
    this.pages.set(page.id, page);
    return { status: 200, body: this.pageJson(page) };
  }

  private update(r: StandInRequest): StandInResponse {
    const p = this.pages.get(r.params.id!);
    if (!p) return this.err(404, `No content found with id : ${r.params.id}`);
    const b = (r.json ?? {}) as { type?: string; title?: string; version?: { number?: number }; body?: unknown };
    if (b.version?.number !== p.version + 1) return this.err(409, `Version must be incremented on update. Current version is: ${p.version}`);
    const body = this.validBody(b.body);
    if (body === undefined) return this.err(400, "Error parsing xhtml: Unexpected character in storage format");
    p.version++;
    p.body = body;
    if (b.title) p.title = b.title;
    return { status: 200, body: this.pageJson(p) };
  }

  protected signDelivery(_sub: WebhookSubscription): Record<string, string> {
    return {};
  }

  protected override faultBody(status: number): unknown {
    return { statusCode: status, message: status === 429 ? "Rate limit exceeded" : "Internal server error" };
  }
}
