// Generic signed webhook notifier. The signature covers the timestamp and the raw body
// (HMAC-SHA256 over "<timestamp>.<body>"), so a receiver can reject stale replays as well as forgeries.
// webhooks/inbound verifies the same scheme for systems that call us.
import { createHmac, randomUUID } from "node:crypto";
import type { IntegrationSpec } from "../api/v1alpha1/integration.js";
import { buildTransport, requireCredential } from "./base.js";
import { TerminalError } from "./errors.js";
import { messagesOf, type HttpResponse, type HttpTransport, type ProviderPolicy } from "./http.js";
import { systemClock, type Clock, type ConnectorDeps, type Credentials, type Notice, type NoticeConnector } from "./types.js";

export const WEBHOOK_SIGNATURE_HEADER = "x-fixops-signature";
export const WEBHOOK_TIMESTAMP_HEADER = "x-fixops-timestamp";
export const WEBHOOK_DELIVERY_HEADER = "x-fixops-delivery";
export const WEBHOOK_EVENT_HEADER = "x-fixops-event";

/** "sha256=<hex>" of HMAC-SHA256(secret, `${timestampSeconds}.${rawBody}`). */
export function signWebhook(secret: string, timestampSeconds: number, rawBody: string | Buffer): string {
  const mac = createHmac("sha256", secret);
  mac.update(`${timestampSeconds}.`);
  mac.update(rawBody);
  return `sha256=${mac.digest("hex")}`;
}

export const webhookPolicy: ProviderPolicy = {
  provider: "webhook",
  errorMessage(res: HttpResponse) {
    const body = res.json as { message?: unknown; error?: unknown } | undefined;
    if (body && typeof body === "object") {
      const msgs = [...messagesOf(body.message), ...messagesOf(body.error)];
      if (msgs.length) return msgs.join("; ");
    }
    return undefined;
  },
};

export class SignedWebhookConnector implements NoticeConnector {
  readonly kind = "notice" as const;
  readonly provider = "webhook";
  private readonly http: HttpTransport;
  private readonly closeDispatcher: () => Promise<void>;
  private readonly path: string;
  private readonly secret: string;
  private readonly clock: Clock;
  private readonly host: string;

  constructor(spec: IntegrationSpec, creds: Credentials, deps: ConnectorDeps = {}) {
    [this.secret] = requireCredential("webhook", creds, "secret") as [string];
    let url: URL;
    try {
      url = new URL(spec.url);
    } catch {
      throw new TerminalError({ provider: "webhook" }, "spec.url is not a valid URL");
    }
    this.path = url.pathname + url.search;
    this.host = url.host;
    this.clock = deps.clock ?? systemClock;
    const t = buildTransport(url.origin, spec, deps, webhookPolicy, {}, [this.secret]);
    this.http = t.transport;
    this.closeDispatcher = t.close;
  }

  /** Sends a signed ping: the receiver proves it can verify our signature by answering 2xx. */
  async checkCredentials(): Promise<{ account: string }> {
    await this.deliver("ping", { type: "fixops.ping" }, randomUUID());
    return { account: `webhook:${this.host}` };
  }

  async send(notice: Notice): Promise<void> {
    const id = notice.idempotencyKey ?? randomUUID();
    await this.deliver("notice", { type: "fixops.notice", id, notice }, id);
  }

  close(): Promise<void> {
    return this.closeDispatcher();
  }

  private async deliver(event: string, payload: Record<string, unknown>, deliveryId: string): Promise<void> {
    const now = this.clock.now();
    const ts = Math.floor(now.getTime() / 1000);
    const raw = JSON.stringify({ ...payload, time: now.toISOString() });
    await this.http.call({
      method: "POST",
      path: this.path,
      route: `POST {webhook} (${event})`,
      body: raw,
      headers: {
        [WEBHOOK_EVENT_HEADER]: event,
        [WEBHOOK_DELIVERY_HEADER]: deliveryId,
        [WEBHOOK_TIMESTAMP_HEADER]: String(ts),
        [WEBHOOK_SIGNATURE_HEADER]: signWebhook(this.secret, ts, raw),
      },
    });
  }
}
