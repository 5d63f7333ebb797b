// Azure DevOps stand-in: work items created and updated with JSON Patch (application/json-patch+json
// only), tags as "a; b", WIQL, per-type state lists with categories (Agile or Basic process), Basic auth
// with a PAT and empty user, api-version required, and service-hook deliveries with Basic auth.
import { randomUUID } from "node:crypto";
import { nextId, parseBasic, StandIn, type StandInRequest, type StandInResponse, type WebhookSubscription } from "./standin.js";
import type { HumanTarget, TicketStandIn } from "./ticket-standin.js";

export const ADO_BOT = { pat: "adopat0123456789abcdefghijklmnopqrstuvwxyz012345", id: "d6245f20-2af8-44f4-9451-8107cb2767db", displayName: "FixOps Bot", uniqueName: "fixops@acme.example" };
export const ADO_HUMAN = { pat: "adopat-alice-0123456789abcdefghijklmnopqrstuvwx", id: "8c8c7d32-6b1b-47f4-b2e9-30b477b5ab3d", displayName: "Alice Analyst", uniqueName: "alice@acme.example" };
export const ADO_ORG = "acme";
export const ADO_PROJECT = { name: "Platform", id: "eb6e4656-77fc-42a1-9181-4c6d8e9da5d1" };

type AdoUser = typeof ADO_BOT;
type StateDef = { name: string; color: string; category: string };

export const ADO_PROCESSES: Record<"agile" | "basic", { types: Record<string, StateDef[]> }> = {
  agile: {
    types: {
      Bug: [
        { name: "New", color: "b2b2b2", category: "Proposed" },
        { name: "Active", color: "007acc", category: "InProgress" },
        { name: "Resolved", color: "ff9d00", category: "Resolved" },
        { name: "Closed", color: "339933", category: "Completed" },
        { name: "Removed", color: "ffffff", category: "Removed" },
      ],
      Task: [
        { name: "New", color: "b2b2b2", category: "Proposed" },
        { name: "Active", color: "007acc", category: "InProgress" },
        { name: "Closed", color: "339933", category: "Completed" },
        { name: "Removed", color: "ffffff", category: "Removed" },
      ],
    },
  },
  basic: {
    types: {
      Issue: [
        { name: "To Do", color: "b2b2b2", category: "Proposed" },
        { name: "Doing", color: "007acc", category: "InProgress" },
        { name: "Done", color: "339933", category: "Completed" },
      ],
    },
  },
};

interface AdoItem {
  id: number;
  rev: number;
  type: string;
  fields: Record<string, unknown>;
  history: string[];
  deleted: boolean;
}

export interface AzureDevOpsStandInOptions {
  process?: "agile" | "basic";
  /** How a bad PAT is answered: 401 JSON, or 203 with the HTML sign-in page (both happen in practice). */
  badPatResponse?: 401 | 203;
}

function err(status: number, message: string, typeKey = "VssServiceException"): StandInResponse {
  return { status, body: { $id: "1", innerException: null, message, typeName: `Microsoft.VisualStudio.Services.WebApi.${typeKey}, Microsoft.VisualStudio.Services.WebApi`, typeKey, errorCode: 0, eventId: 3000 } };
}

export class AzureDevOpsStandIn extends StandIn implements TicketStandIn {
  protected readonly name = "azuredevops";
  readonly items = new Map<number, AdoItem>();
  readonly process: "agile" | "basic";
  private readonly badPat: 401 | 203;
  private readonly users: AdoUser[] = [ADO_BOT, ADO_HUMAN];

  constructor(opts: AzureDevOpsStandInOptions = {}) {
    super();
    this.process = opts.process ?? "agile";
    this.badPat = opts.badPatResponse ?? 401;
    this.route("GET", "/:org/_apis/connectionData", (r) =>
      this.authed(r, (u) => ({ status: 200, body: { authenticatedUser: { id: u.id, descriptor: `Microsoft.IdentityModel.Claims.ClaimsIdentity;${u.uniqueName}`, providerDisplayName: u.displayName, isActive: true }, instanceId: "3b1b4a2e-0000-0000-0000-000000000000" } })),
    );
    this.route("GET", "/:org/_apis/projects/:project", (r) => this.api(r, () => (this.isProject(r.params.project!) ? { status: 200, body: { id: ADO_PROJECT.id, name: ADO_PROJECT.name, state: "wellFormed", visibility: "private" } } : err(404, `TF200016: The following project does not exist: ${r.params.project}. Verify that the name of the project is correct and that the project exists on the specified Azure DevOps Server.`, "ProjectDoesNotExistWithNameException"))));
    const wit = "/:org/:project/_apis/wit";
    this.route("POST", `${wit}/wiql`, (r) => this.api(r, () => this.inProject(r, () => this.wiql(r))));
    this.route("POST", `${wit}/workitems/:type`, (r) => this.api(r, (u) => this.inProject(r, () => this.create(r, u))));
    this.route("GET", `${wit}/workitems/:id`, (r) => this.api(r, () => this.inProject(r, () => this.getOne(r))));
    this.route("PATCH", `${wit}/workitems/:id`, (r) => this.api(r, (u) => this.inProject(r, () => this.update(r, u))));
    this.route("GET", `${wit}/workitemtypes/:type/states`, (r) => this.api(r, () => this.inProject(r, () => this.states(r))));
  }

  // ---- test control ----

  ticketsWithKey(key: string): number {
    return [...this.items.values()].filter((i) => !i.deleted && tagsOf(i).includes(`fixops-${key}`)).length;
  }

  stateOf(ref: string): string | undefined {
    const i = this.items.get(Number(ref));
    return i && !i.deleted ? String(i.fields["System.State"]) : undefined;
  }

  commentsOf(ref: string): string[] {
    return this.items.get(Number(ref))?.history ?? [];
  }

  humanSetState(ref: string, target: HumanTarget): void {
    const i = this.mustItem(ref);
    const cat = target === "done" ? "Completed" : target === "in_progress" ? "InProgress" : "Proposed";
    const state = this.statesOf(i.type)!.find((s) => s.category === cat)!;
    this.change(i, { "System.State": state.name }, ADO_HUMAN);
  }

  humanDelete(ref: string): void {
    const i = this.mustItem(ref);
    i.deleted = true;
    this.emit("workitem.deleted", i, ADO_HUMAN, { id: i.id, rev: i.rev, fields: { ...i.fields }, url: this.itemUrl(i.id) });
  }

  // ---- handlers ----

  private authed(r: StandInRequest, fn: (u: AdoUser) => StandInResponse): StandInResponse {
    const b = parseBasic(r.headers);
    // The user name is ignored; the PAT is the password.
    const user = b ? this.users.find((u) => u.pat === b.secret) : undefined;
    if (!user) {
      if (this.badPat === 203 && b) return { status: 203, headers: { "content-type": "text/html; charset=utf-8" }, body: "<!DOCTYPE html><html><head><title>Azure DevOps Services | Sign In</title></head><body></body></html>" };
      return { ...err(401, "TF400813: The user '' is not authorized to access this resource.", "UnauthorizedRequestException"), headers: { "www-authenticate": "Basic realm=\"https://dev.azure.com/\"" } };
    }
    return fn(user);
  }

  private api(r: StandInRequest, fn: (u: AdoUser) => StandInResponse): StandInResponse {
    return this.authed(r, (u) => {
      if (!r.query.get("api-version")) {
        return err(400, `No api-version was supplied for the "${r.method}" request. The version must be supplied either as part of the Accept header (e.g. "application/json; api-version=1.0") or as a query parameter (e.g. '?api-version=1.0').`, "VssVersionNotSpecifiedException");
      }
      if (r.params.org !== ADO_ORG) return err(404, `TF400898: The organization ${r.params.org} could not be found.`);
      return fn(u);
    });
  }

  private isProject(p: string): boolean {
    return p === ADO_PROJECT.name || p === ADO_PROJECT.id;
  }

  private inProject(r: StandInRequest, fn: () => StandInResponse): StandInResponse {
    return this.isProject(r.params.project!) ? fn() : err(404, `TF200016: The following project does not exist: ${r.params.project}.`, "ProjectDoesNotExistWithNameException");
  }

  private statesOf(type: string): StateDef[] | undefined {
    return ADO_PROCESSES[this.process].types[type];
  }

  private states(r: StandInRequest): StandInResponse {
    const s = this.statesOf(r.params.type!);
    if (!s) return err(404, `VS402323: Work item type ${r.params.type} does not exist in project.`, "WorkItemTypeNotFoundException");
    return { status: 200, body: { count: s.length, value: s } };
  }

  private itemUrl(id: number): string {
    return `${this.baseUrl}/${ADO_ORG}/${ADO_PROJECT.id}/_apis/wit/workItems/${id}`;
  }

  private itemJson(i: AdoItem): unknown {
    return { id: i.id, rev: i.rev, fields: { ...i.fields }, _links: { self: { href: this.itemUrl(i.id) }, html: { href: `${this.baseUrl}/${ADO_ORG}/${ADO_PROJECT.name}/_workitems/edit/${i.id}` } }, url: this.itemUrl(i.id) };
  }

  private wiql(r: StandInRequest): StandInResponse {
    const query = (r.json as { query?: unknown } | undefined)?.query;
    const m = typeof query === "string" ? /\[System\.Tags\]\s+CONTAINS\s+'([^']*)'/i.exec(query) : null;
    if (!m) return err(400, `TF51005: The query references a field that does not exist or cannot be parsed by the stand-in.`, "WorkItemTrackingQueryException");
    // CONTAINS on tags is looser than exact tag equality; the connector must re-check.
    const needle = m[1]!.toLowerCase();
    const matches = [...this.items.values()].filter((i) => !i.deleted && String(i.fields["System.Tags"] ?? "").toLowerCase().includes(needle)).sort((a, b) => a.id - b.id);
    return { status: 200, body: { queryType: "flat", queryResultType: "workItem", asOf: new Date().toISOString(), columns: [{ referenceName: "System.Id", name: "ID" }], workItems: matches.map((i) => ({ id: i.id, url: this.itemUrl(i.id) })) } };
  }

  private checkPatch(r: StandInRequest): { op: string; path: string; value?: unknown }[] | StandInResponse {
    const ct = String(r.headers["content-type"] ?? "");
    if (!ct.startsWith("application/json-patch+json")) {
      return err(415, `The request indicated a Content-Type of "${ct}" for method type "${r.method}" which is not supported. Valid content types for this method are: application/json-patch+json.`, "VssRequestContentTypeNotSupportedException");
    }
    const ops = r.json;
    if (!Array.isArray(ops) || ops.some((o) => !o || typeof o !== "object" || typeof (o as { path?: unknown }).path !== "string")) {
      return err(400, "You must pass a valid patch document in the body of the request.", "VssPropertyValidationException");
    }
    return ops as { op: string; path: string; value?: unknown }[];
  }

  private create(r: StandInRequest, u: AdoUser): StandInResponse {
    const rawType = r.params.type!;
    if (!rawType.startsWith("$")) return err(400, "The work item type must be prefixed with $.");
    const type = rawType.slice(1);
    const states = this.statesOf(type);
    if (!states) return err(404, `VS402323: Work item type ${type} does not exist in project.`, "WorkItemTypeNotFoundException");
    const ops = this.checkPatch(r);
    if (!Array.isArray(ops)) return ops;
    const id = 1000 + nextId();
    const now = new Date().toISOString();
    const item: AdoItem = {
      id,
      rev: 1,
      type,
      fields: { "System.Id": id, "System.WorkItemType": type, "System.State": states[0]!.name, "System.TeamProject": ADO_PROJECT.name, "System.CreatedBy": identityRef(u), "System.ChangedBy": identityRef(u), "System.CreatedDate": now, "System.ChangedDate": now },
      history: [],
      deleted: false,
    };
    const problem = this.applyOps(item, ops);
    if (problem) return problem;
    if (!item.fields["System.Title"]) return err(400, "TF401320: Rule Error for field Title. Error code: Required, InvalidEmpty.", "RuleValidationException");
    this.items.set(id, item);
    this.emit("workitem.created", item, u, this.itemJson(item));
    return { status: 200, body: this.itemJson(item) };
  }

  private applyOps(item: AdoItem, ops: { op: string; path: string; value?: unknown }[]): StandInResponse | undefined {
    const states = this.statesOf(item.type)!;
    for (const o of ops) {
      if (o.op === "test" && o.path === "/rev") {
        if (o.value !== item.rev) return err(412, `TF26071: This work item has been changed by someone else since you opened it. You will need to refresh it and discard your changes.`, "WorkItemRevisionMismatchException");
        continue;
      }
      if (o.op !== "add" && o.op !== "replace") return err(400, `The patch operation ${o.op} is not supported by the stand-in.`);
      const f = /^\/fields\/(.+)$/.exec(o.path)?.[1];
      if (!f) return err(400, `Invalid path ${o.path}.`);
      const value = o.value as string | number;
      if (f === "System.History") {
        item.history.push(String(value));
        continue;
      }
      if (f === "System.State" && !states.some((s) => s.name === value)) {
        return err(400, `TF401320: Rule Error for field State. Error code: Required, HasValues, LimitedToValues, AllowsOldValue, InvalidEmpty.`, "RuleValidationException");
      }
      if (f === "Microsoft.VSTS.Common.Severity" && item.type !== "Bug") return err(400, `TF51535: Cannot find field ${f}.`, "WorkItemFieldInvalidException");
      if (f === "System.Tags") {
        item.fields[f] = String(value)
          .split(";")
          .map((t) => t.trim())
          .filter(Boolean)
          .join("; ");
        continue;
      }
      item.fields[f] = value;
    }
    return undefined;
  }

  private find(id: string): AdoItem | undefined {
    const i = this.items.get(Number(id));
    return i && !i.deleted ? i : undefined;
  }

  private getOne(r: StandInRequest): StandInResponse {
    const i = this.find(r.params.id!);
    return i ? { status: 200, body: this.itemJson(i) } : err(404, `TF401232: Work item ${r.params.id} does not exist, or you do not have permissions to read it.`, "WorkItemUnauthorizedAccessException");
  }

  private update(r: StandInRequest, u: AdoUser): StandInResponse {
    const i = this.find(r.params.id!);
    if (!i) return err(404, `TF401232: Work item ${r.params.id} does not exist, or you do not have permissions to read it.`, "WorkItemUnauthorizedAccessException");
    const ops = this.checkPatch(r);
    if (!Array.isArray(ops)) return ops;
    const copy: AdoItem = { ...i, fields: { ...i.fields }, history: [...i.history] };
    const problem = this.applyOps(copy, ops);
    if (problem) return problem; // a failed op fails the whole patch
    const changed: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(copy.fields)) if (i.fields[k] !== v) changed[k] = v;
    i.history = copy.history;
    this.change(i, changed, u);
    return { status: 200, body: this.itemJson(i) };
  }

  private mustItem(ref: string): AdoItem {
    const i = this.find(ref);
    if (!i) throw new Error(`no work item ${ref}`);
    return i;
  }

  private change(i: AdoItem, fields: Record<string, unknown>, actor: AdoUser): void {
    const old = { ...i.fields };
    Object.assign(i.fields, fields, { "System.ChangedBy": identityRef(actor), "System.ChangedDate": new Date().toISOString() });
    i.rev++;
    const diff: Record<string, { oldValue?: unknown; newValue: unknown }> = { "System.Rev": { oldValue: i.rev - 1, newValue: i.rev } };
    for (const k of Object.keys(fields)) diff[k] = { oldValue: old[k], newValue: i.fields[k] };
    this.emit("workitem.updated", i, actor, {
      id: i.rev,
      workItemId: i.id,
      rev: i.rev,
      revisedBy: { id: actor.id, displayName: actor.displayName, uniqueName: actor.uniqueName },
      revisedDate: new Date().toISOString(),
      fields: diff,
      url: `${this.itemUrl(i.id)}/updates/${i.rev}`,
      revision: { id: i.id, rev: i.rev, fields: { ...i.fields }, url: `${this.itemUrl(i.id)}/revisions/${i.rev}` },
    });
  }

  private emit(eventType: string, i: AdoItem, actor: AdoUser, resource: unknown): void {
    if (this.subscriptions.length === 0) return;
    this.emitWebhook(
      {
        subscriptionId: "00000000-0000-0000-0000-00000000c0de",
        notificationId: nextId(),
        id: randomUUID(),
        eventType,
        publisherId: "tfs",
        message: { text: `Bug #${i.id} (${String(i.fields["System.Title"])}) ${eventType.split(".")[1]} by ${actor.displayName}` },
        detailedMessage: { text: `${eventType} #${i.id}` },
        resource,
        resourceVersion: "1.0",
        resourceContainers: { collection: { id: "c0ffee00-0000-0000-0000-000000000000" }, account: { id: "acc00000-0000-0000-0000-000000000000", baseUrl: `${this.baseUrl}/${ADO_ORG}/` }, project: { id: ADO_PROJECT.id } },
        createdDate: new Date().toISOString(),
      },
      { "user-agent": "VSServices/16.255.0.0" },
    );
  }

  /** Web Hooks consumer with basic authentication configured on the subscription. */
  protected signDelivery(sub: WebhookSubscription): Record<string, string> {
    return sub.basic ? { authorization: "Basic " + Buffer.from(`${sub.basic.username}:${sub.basic.password}`).toString("base64") } : {};
  }

  protected override faultBody(status: number): unknown {
    return status === 429
      ? { $id: "1", message: "TF400733: The request has been canceled: Request was blocked due to exceeding usage of resource 'WorkItemTrackingResource' in namespace 'User'.", typeKey: "RequestBlockedException" }
      : { $id: "1", message: `VS800075: The project collection is temporarily unavailable (${status}).`, typeKey: "ServiceUnavailableException" };
  }
}

/** Work item identity fields are IdentityRef objects in current API versions. */
function identityRef(u: AdoUser): { displayName: string; id: string; uniqueName: string } {
  return { displayName: u.displayName, id: u.id, uniqueName: u.uniqueName };
}

function tagsOf(i: AdoItem): string[] {
  return String(i.fields["System.Tags"] ?? "")
    .split(";")
    .map((t) => t.trim())
    .filter(Boolean);
}
