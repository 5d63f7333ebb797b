// Slack incoming-webhook stand-in: POST /services/T…/B…/<secret>; 200 "ok" or a plain-text error code
// (400 invalid_payload / no_text, 403 invalid_token, 404 no_service, 410 channel_is_archived).
import { StandIn, type StandInRequest, type StandInResponse, type WebhookSubscription } from "./standin.js";

export const SLACK_TEAM = "T0FIXOPS1";
export const SLACK_BOT_ID = "B0NOTICE1";

export class SlackStandIn extends StandIn {
  protected readonly name = "slack";
  readonly messages: { text?: string; blocks?: unknown[] }[] = [];
  /** Webhook secrets by state. */
  readonly hooks = new Map<string, "active" | "revoked" | "archived">();

  constructor() {
    super();
    this.route("POST", "/services/:team/:bot/:secret", (r) => this.post(r));
  }

  /** Registers a live webhook and returns its full URL (the credential). */
  createWebhook(secret = "xoxwebhook0123456789ABCDEF"): string {
    this.hooks.set(secret, "active");
    return `${this.baseUrl}/services/${SLACK_TEAM}/${SLACK_BOT_ID}/${secret}`;
  }

  private post(r: StandInRequest): StandInResponse {
    const text = (s: number, body: string): StandInResponse => ({ status: s, headers: { "content-type": "text/html" }, body });
    const state = r.params.team === SLACK_TEAM ? this.hooks.get(r.params.secret!) : undefined;
    if (!state) return text(404, "no_service");
    if (state === "revoked") return text(403, "invalid_token");
    if (state === "archived") return text(410, "channel_is_archived");
    let body: unknown;
    try {
      body = JSON.parse(r.rawBody.toString("utf8"));
    } catch {
      return text(400, "invalid_payload");
    }
    if (!body || typeof body !== "object") return text(400, "invalid_payload");
    const msg = body as { text?: unknown; blocks?: unknown };
    if (msg.blocks !== undefined && (!Array.isArray(msg.blocks) || msg.blocks.length > 50)) return text(400, "invalid_blocks");
    if (typeof msg.text !== "string" || msg.text === "") {
      if (msg.blocks === undefined) return text(400, "no_text");
    }
    this.messages.push(msg as { text?: string; blocks?: unknown[] });
    return text(200, "ok");
  }

  protected signDelivery(_sub: WebhookSubscription): Record<string, string> {
    return {};
  }

  protected override faultBody(status: number): unknown {
    return status === 429 ? "rate_limited" : "rollup_error";
  }
}
