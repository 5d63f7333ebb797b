// The inbound ALM webhook endpoint, `POST /hooks/<namespace>/<integration>`, mounted on the webhook
// HTTPS server of every replica. It only checks and records: the Integration comes from the informer
// cache, its inbound secret from a Secret in the Integration's own namespace; the body is bounded by the
// server before this handler runs; then verification (constant time), parsing, and the durable replay
// check, which also queues the event. The leader applies queued events (controllers/remediationtask/
// inbound.ts), so the ALM gets its answer after one INSERT.
//
// Answers: 404 unknown Integration (or one without `spec.inbound`), 413 too large, 401 not authentic,
// 400 authentic but unreadable, 202 accepted (or ignored: not a state event, or another project's),
// 200 for a replay (nothing is done again; an ALM that lost our first answer must not see a failure).
import type pg from "pg";
import { IntegrationSpec, type IntegrationResource, type IntegrationType } from "../../api/v1alpha1/index.js";
import type { Clock } from "../../connectors/types.js";
import type { Informer, KubeObject, KubePort } from "../../operator/kube/port.js";
import { Resources } from "../../operator/kube/port.js";
import type { Logger } from "../../operator/logger.js";
import type { Route, RouteRequest, RouteResponse } from "../server/routes.js";
import { recordDelivery } from "./deliveries.js";
import { checkDelivery } from "./index.js";
import { MAX_INBOUND_BODY_BYTES, type InboundEvent } from "./parse.js";
import { inboundAuthFromSecret, type InboundProvider } from "./verify.js";

export const INBOUND_PATH = "/hooks/:namespace/:integration";

const PROVIDER: Partial<Record<IntegrationType, InboundProvider>> = {
  jira: "jira",
  github: "github",
  gitlab: "gitlab",
  azuredevops: "azuredevops",
  servicenow: "servicenow",
  webhook: "webhook",
};

export interface InboundEndpointDeps {
  integrations: Pick<Informer<IntegrationResource & KubeObject>, "get">;
  kube: Pick<KubePort, "get">;
  pool: pg.Pool;
  clock: Clock;
  log: Logger;
  /** A new delivery was queued (wakes the processor when it runs in this process). */
  onQueued?: () => void;
  /** How long a Secret read is reused; a rotated secret is picked up within this time. */
  secretTtlMs?: number;
}

type SecretObject = KubeObject & { data?: Record<string, string> };

const answer = (status: number, body: object): RouteResponse => ({ status, body });

/** The event is about the project / repository the Integration is configured for (when both are known). */
export function eventInScope(spec: IntegrationSpec, event: InboundEvent): boolean {
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  if (spec.type === "gitlab") {
    // Configured by numeric id or by path; the payload gives both (a group webhook sends every project's
    // issues with one token, and iids repeat across projects).
    const id = spec.gitlab ? decodeURIComponent(spec.gitlab.projectId) : undefined;
    if (!id) return true;
    if (/^\d+$/.test(id)) return event.scopeId === undefined || event.scopeId === id;
    return !event.scope || same(id, event.scope);
  }
  if (!event.scope) return true;
  switch (spec.type) {
    case "jira":
      return !spec.jira || same(spec.jira.projectKey, event.scope);
    case "github":
      return !spec.github || same(`${spec.github.owner}/${spec.github.repo}`, event.scope);
    case "azuredevops":
      return !spec.azuredevops || same(spec.azuredevops.project, event.scope);
    default:
      return true;
  }
}

export class InboundEndpoint {
  private readonly secrets = new Map<string, { at: number; value: string }>();

  constructor(private readonly deps: InboundEndpointDeps) {}

  route(): Route {
    return { method: "POST", pattern: INBOUND_PATH, name: "inbound", maxBodyBytes: MAX_INBOUND_BODY_BYTES, handler: (req) => this.handle(req) };
  }

  async handle(req: RouteRequest): Promise<RouteResponse> {
    const namespace = req.params.namespace ?? "";
    const name = req.params.integration ?? "";
    const obj = this.deps.integrations.get(namespace, name);
    const parsed = obj ? IntegrationSpec.safeParse(obj.spec ?? {}) : undefined;
    const provider = parsed?.success ? PROVIDER[parsed.data.type] : undefined;
    // One answer for "no such Integration" and "not one that takes webhooks": nothing to learn by probing.
    if (!obj || !parsed?.success || !provider || !parsed.data.inbound) {
      return answer(404, { message: `no Integration ${namespace.slice(0, 63)}/${name.slice(0, 253)} accepts webhooks` });
    }
    const spec = parsed.data;
    const secret = await this.inboundSecret(namespace, spec.inbound!.secretRef);
    const account = (obj.status as { account?: string } | undefined)?.account;
    const checked = checkDelivery({
      scope: `${namespace}/${name}`,
      auth: inboundAuthFromSecret(provider, secret),
      headers: req.headers,
      rawBody: req.body,
      clock: this.deps.clock,
      parse: spec.stateMapping ? { stateMapping: spec.stateMapping } : {},
      // Changes made with the Integration's own credentials come back as webhooks: recorded, not acted on.
      loopGuard: { ownAccounts: account ? [account] : [] },
    });
    const where = { integration: `${namespace}/${name}` };
    switch (checked.kind) {
      case "too_large":
        return answer(413, { message: `body larger than ${checked.limit} bytes` });
      case "unauthorized":
        if (checked.reason === "not_configured") this.deps.log.warn({ ...where, reason: checked.message }, "inbound webhook refused: the Integration's inbound secret is missing or empty");
        else this.deps.log.info({ ...where, reason: checked.reason }, "inbound webhook refused: not authentic");
        return answer(401, { message: "unauthorized" });
      case "malformed":
        return answer(400, { message: checked.message });
    }
    const { deliveryId, parsed: p, selfInflicted } = checked;
    const base = { namespace, integration: name, deliveryId, provider, selfInflicted };
    let recorded: boolean;
    let result: "accepted" | "ignored";
    let reason: string | undefined;
    if (p.kind === "ignored") {
      [result, reason] = ["ignored", p.reason];
      recorded = await recordDelivery(this.deps.pool, { ...base, outcome: `ignored: ${p.reason}` });
    } else if (!eventInScope(spec, p.event)) {
      [result, reason] = ["ignored", `ticket of ${p.event.scope}, not of this Integration's project`];
      recorded = await recordDelivery(this.deps.pool, { ...base, event: p.event, outcome: `ignored: ${reason}` });
    } else {
      result = "accepted";
      recorded = await recordDelivery(this.deps.pool, { ...base, event: p.event });
      if (recorded) this.deps.onQueued?.();
    }
    if (!recorded) return answer(200, { result: "replay", deliveryId, message: `delivery ${deliveryId} was already received` });
    return answer(202, { result, deliveryId, ...(reason ? { reason } : {}), ...(selfInflicted ? { selfInflicted } : {}) });
  }

  /** The inbound secret from the Integration's own namespace; "" when missing (verification then refuses). */
  private async inboundSecret(namespace: string, ref: { name: string; key: string }): Promise<string> {
    const cacheKey = `${namespace}/${ref.name}/${ref.key}`;
    const now = this.deps.clock.now().getTime();
    const hit = this.secrets.get(cacheKey);
    if (hit && now - hit.at < (this.deps.secretTtlMs ?? 10_000)) return hit.value;
    const s = await this.deps.kube.get<SecretObject>(Resources.Secret, namespace, ref.name);
    const raw = s?.data?.[ref.key];
    const value = raw ? Buffer.from(raw, "base64").toString("utf8").trim() : "";
    // A missing secret is not remembered: the one created next is used at once.
    if (value) this.secrets.set(cacheKey, { at: now, value });
    if (this.secrets.size > 10_000) this.secrets.delete(this.secrets.keys().next().value as string);
    return value;
  }
}
