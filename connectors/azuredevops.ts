// Azure DevOps Boards work items: JSON Patch create/update, tags, WIQL lookup. State names differ per
// process (Agile, Scrum, Basic, CMMI), so states are chosen by their category, read from the work item
// type's state list.
import { z } from "zod";
import type { Severity } from "../api/v1alpha1/common.js";
import type { IntegrationSpec } from "../api/v1alpha1/integration.js";
import { buildTransport, reached, requireBlock, requireCredential, requireKey, truncate } from "./base.js";
import { AuthError, NotFoundError, TerminalError } from "./errors.js";
import { basicAuth, header, messagesOf, type HttpResponse, type HttpTransport, type ProviderPolicy } from "./http.js";
import { idempotencyLabel, keyFromLabels, MARKER_LABEL, userLabels, withOriginMarker } from "./idempotency.js";
import { toHtml } from "./render.js";
import { adoCategory, type StateMapping } from "./state.js";
import type { ConnectorDeps, Credentials, TargetState, Ticket, TicketConnector, TicketDraft } from "./types.js";

export const ADO_API_VERSION = "7.1";
const JSON_PATCH = "application/json-patch+json";

const WorkItem = z.object({
  id: z.number(),
  rev: z.number().optional(),
  fields: z.object({ "System.State": z.string(), "System.Tags": z.string().optional() }).passthrough(),
});
type WorkItem = z.infer<typeof WorkItem>;
const Wiql = z.object({ workItems: z.array(z.object({ id: z.number() })) });
const States = z.object({ value: z.array(z.object({ name: z.string(), category: z.string() })) });
const Project = z.object({ id: z.string(), name: z.string() });
const ConnectionData = z.object({ authenticatedUser: z.object({ id: z.string(), providerDisplayName: z.string().optional() }) });

const SEVERITY: Record<Severity, string> = {
  CRITICAL: "1 - Critical",
  HIGH: "2 - High",
  MEDIUM: "3 - Medium",
  LOW: "4 - Low",
  UNKNOWN: "4 - Low",
};

export function parseTags(tags: string | undefined): string[] {
  return (tags ?? "")
    .split(";")
    .map((t) => t.trim())
    .filter(Boolean);
}

export const azureDevOpsPolicy: ProviderPolicy = {
  provider: "azuredevops",
  errorMessage(res: HttpResponse) {
    const body = res.json as { message?: unknown } | undefined;
    return body && typeof body === "object" ? messagesOf(body.message).join("; ") || undefined : undefined;
  },
  // An invalid or expired PAT often gets 203 with the HTML sign-in page instead of 401.
  classify(res, init) {
    return res.status === 203 ? new AuthError({ ...init, almMessage: "sign-in page returned (PAT invalid or expired)" }) : undefined;
  },
  resetHintMs(res, now) {
    const reset = Number(header(res.headers, "x-ratelimit-reset")); // Unix seconds
    return Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - now.getTime()) : undefined;
  },
};

export class AzureDevOpsConnector implements TicketConnector {
  readonly kind = "ticket" as const;
  readonly provider = "azuredevops";
  private readonly http: HttpTransport;
  private readonly closeDispatcher: () => Promise<void>;
  private readonly settings: NonNullable<IntegrationSpec["azuredevops"]>;
  private readonly mapping: StateMapping;
  private readonly baseUrl: string;
  private readonly org: string;
  private readonly proj: string;
  private stateCategories: Record<string, string> | undefined;
  private stateOrder: { name: string; category: string }[] = [];

  constructor(spec: IntegrationSpec, creds: Credentials, deps: ConnectorDeps = {}) {
    this.settings = requireBlock("azuredevops", spec.azuredevops, "azuredevops");
    const [token] = requireCredential("azuredevops", creds, "token");
    this.mapping = spec.stateMapping;
    this.baseUrl = spec.url.replace(/\/+$/, "");
    this.org = encodeURIComponent(this.settings.organization);
    this.proj = encodeURIComponent(this.settings.project);
    // PATs go in Basic auth with an empty user name.
    const t = buildTransport(this.baseUrl, spec, deps, azureDevOpsPolicy, { authorization: basicAuth("", token!) }, [token]);
    this.http = t.transport;
    this.closeDispatcher = t.close;
  }

  private get wit(): string {
    return `/${this.org}/${this.proj}/_apis/wit`;
  }

  async checkCredentials(): Promise<{ account: string }> {
    await this.http.callJson(
      {
        method: "GET",
        path: `/${this.org}/_apis/projects/${this.proj}`,
        route: "GET /{org}/_apis/projects/{project}",
        query: { "api-version": ADO_API_VERSION },
        accept: [200],
      },
      Project,
    );
    // The identity id is what service hooks report as revisedBy.id, so the loop guard can match it.
    const data = await this.http.callJson(
      { method: "GET", path: `/${this.org}/_apis/connectionData`, route: "GET /{org}/_apis/connectionData", accept: [200] },
      ConnectionData,
    );
    return { account: data.authenticatedUser.id };
  }

  async findByIdempotencyKey(key: string): Promise<Ticket | null> {
    requireKey("azuredevops", key);
    const tag = idempotencyLabel(key);
    const query = `SELECT [System.Id] FROM WorkItems WHERE [System.Tags] CONTAINS '${tag}' ORDER BY [System.CreatedDate] ASC`;
    const { workItems } = await this.http.callJson(
      { method: "POST", path: `${this.wit}/wiql`, route: "POST /{org}/{project}/_apis/wit/wiql", query: { "api-version": ADO_API_VERSION }, body: { query }, accept: [200] },
      Wiql,
    );
    for (const { id } of workItems.slice(0, 5)) {
      const wi = await this.fetch(String(id));
      // CONTAINS can match a longer tag that has ours as a prefix; require the exact tag.
      if (wi && parseTags(wi.fields["System.Tags"]).includes(tag)) {
        await this.loadStates();
        return this.toTicket(wi);
      }
    }
    return null;
  }

  async create(draft: TicketDraft): Promise<Ticket> {
    requireKey("azuredevops", draft.idempotencyKey);
    const tags = [...new Set([MARKER_LABEL, idempotencyLabel(draft.idempotencyKey), ...userLabels(draft.labels)])];
    const html = toHtml(draft.description) + (draft.dueDate ? `<p>Remediation due: ${draft.dueDate}</p>` : "");
    const ops: { op: "add"; path: string; value: unknown }[] = [
      { op: "add", path: "/fields/System.Title", value: truncate(draft.title.replace(/[\r\n]+/g, " "), 255) },
      { op: "add", path: "/fields/System.Description", value: html },
      { op: "add", path: "/fields/System.Tags", value: tags.join("; ") },
    ];
    if (this.settings.workItemType === "Bug") {
      // Bug forms show Repro Steps rather than Description, and carry a Severity field.
      ops.push({ op: "add", path: "/fields/Microsoft.VSTS.TCM.ReproSteps", value: html });
      ops.push({ op: "add", path: "/fields/Microsoft.VSTS.Common.Severity", value: SEVERITY[draft.severity] });
    }
    const wi = await this.http.callJson(
      {
        method: "POST",
        path: `${this.wit}/workitems/$${encodeURIComponent(this.settings.workItemType)}`,
        route: "POST /{org}/{project}/_apis/wit/workitems/${type}",
        query: { "api-version": ADO_API_VERSION },
        body: ops,
        contentType: JSON_PATCH,
        accept: [200],
      },
      WorkItem,
    );
    await this.loadStates();
    return this.toTicket(wi);
  }

  async get(ref: string): Promise<Ticket | null> {
    const wi = await this.fetch(ref);
    if (!wi) return null;
    await this.loadStates();
    return this.toTicket(wi);
  }

  async setState(ref: string, target: TargetState, comment?: string): Promise<Ticket> {
    const current = await this.get(ref);
    if (!current) throw new NotFoundError({ provider: "azuredevops", status: 404 }, `work item ${ref} not found`);
    if (reached(current, target)) return current;
    const wanted = target === "done" ? ["Completed", "Resolved"] : ["Proposed", "InProgress"];
    const state = wanted.map((c) => this.stateOrder.find((s) => s.category === c)).find((s) => s !== undefined);
    if (!state) {
      throw new TerminalError({ provider: "azuredevops" }, `work item type ${this.settings.workItemType} has no state in category ${wanted.join("/")}`);
    }
    const ops: { op: "add"; path: string; value: unknown }[] = [{ op: "add", path: "/fields/System.State", value: state.name }];
    // System.History in the same patch: the comment and the state change land together or not at all.
    if (comment) ops.push({ op: "add", path: "/fields/System.History", value: withOriginMarker(comment) });
    return this.toTicket(await this.patch(ref, ops));
  }

  async comment(ref: string, text: string): Promise<void> {
    await this.patch(ref, [{ op: "add", path: "/fields/System.History", value: withOriginMarker(text) }]);
  }

  close(): Promise<void> {
    return this.closeDispatcher();
  }

  private async patch(ref: string, ops: unknown[]): Promise<WorkItem> {
    return this.http.callJson(
      {
        method: "PATCH",
        path: `${this.wit}/workitems/${encodeURIComponent(ref)}`,
        route: "PATCH /{org}/{project}/_apis/wit/workitems/{id}",
        query: { "api-version": ADO_API_VERSION },
        body: ops,
        contentType: JSON_PATCH,
        accept: [200],
      },
      WorkItem,
    );
  }

  private async fetch(ref: string): Promise<WorkItem | null> {
    const route = "GET /{org}/{project}/_apis/wit/workitems/{id}";
    const res = await this.http.call({
      method: "GET",
      path: `${this.wit}/workitems/${encodeURIComponent(ref)}`,
      route,
      query: { "api-version": ADO_API_VERSION },
      accept: [200, 404],
    });
    return res.status === 404 ? null : this.http.parse(res, WorkItem, route);
  }

  /** The work item type's states and their categories, read once per connector. */
  private async loadStates(): Promise<void> {
    if (this.stateCategories) return;
    const { value } = await this.http.callJson(
      {
        method: "GET",
        path: `${this.wit}/workitemtypes/${encodeURIComponent(this.settings.workItemType)}/states`,
        route: "GET /{org}/{project}/_apis/wit/workitemtypes/{type}/states",
        query: { "api-version": ADO_API_VERSION },
        accept: [200],
      },
      States,
    );
    this.stateOrder = value;
    this.stateCategories = Object.fromEntries(value.map((s) => [s.name, s.category]));
  }

  private toTicket(wi: WorkItem): Ticket {
    const state = wi.fields["System.State"];
    const idempotencyKey = keyFromLabels(parseTags(wi.fields["System.Tags"]));
    return {
      ref: String(wi.id),
      key: String(wi.id),
      url: `${this.baseUrl}/${this.org}/${this.proj}/_workitems/edit/${wi.id}`,
      state,
      category: adoCategory(state, this.stateCategories, this.mapping),
      ...(idempotencyKey ? { idempotencyKey } : {}),
    };
  }
}
