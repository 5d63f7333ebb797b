// Slack incoming webhooks. The webhook URL is the credential, so it never appears in errors or logs
// (routes are labelled "POST {webhook}"). Slack answers 200 "ok" or a plain-text error code.
import type { IntegrationSpec } from "../api/v1alpha1/integration.js";
import { buildTransport } from "./base.js";
import { TerminalError } from "./errors.js";
import type { HttpResponse, HttpTransport, ProviderPolicy } from "./http.js";
import { toSlackMrkdwn } from "./render.js";
import type { ConnectorDeps, Credentials, Notice, NoticeConnector } from "./types.js";

export const slackPolicy: ProviderPolicy = {
  provider: "slack",
  errorMessage(res: HttpResponse) {
    const t = res.text.trim();
    // Plain-text error codes (no_service, invalid_token, …); the Web API style is JSON {ok:false,error}.
    const json = res.json as { error?: unknown } | undefined;
    if (json && typeof json.error === "string") return json.error;
    return t && !t.startsWith("<") ? t.slice(0, 200) : undefined;
  },
};

/** Slack error codes that mean "the webhook exists but this payload is invalid". */
const PAYLOAD_ERRORS = new Set(["no_text", "invalid_payload", "missing_text_or_fallback_or_attachments"]);

const SEVERITY_EMOJI: Record<string, string> = { CRITICAL: ":red_circle:", HIGH: ":large_orange_circle:", MEDIUM: ":large_yellow_circle:", LOW: ":white_circle:" };

export function slackPayload(n: Notice): { text: string; blocks: unknown[] } {
  const title = `${n.severity ? (SEVERITY_EMOJI[n.severity] ?? "") + " " : ""}${n.title}`.trim();
  const blocks: unknown[] = [
    { type: "header", text: { type: "plain_text", text: title.slice(0, 150), emoji: true } },
    { type: "section", text: { type: "mrkdwn", text: toSlackMrkdwn(n.text).slice(0, 3000) } },
  ];
  if (n.fields?.length) {
    blocks.push({
      type: "section",
      fields: n.fields.slice(0, 10).map((f) => ({ type: "mrkdwn", text: `*${toSlackMrkdwn(f.label)}*\n${toSlackMrkdwn(f.value)}`.slice(0, 2000) })),
    });
  }
  if (n.url) blocks.push({ type: "section", text: { type: "mrkdwn", text: `<${n.url.replace(/[<>|]/g, encodeURIComponent)}|Open in FixOps>` } });
  // `text` stays as the notification fallback.
  return { text: `${n.title}: ${n.text}`.slice(0, 3000), blocks };
}

export class SlackConnector implements NoticeConnector {
  readonly kind = "notice" as const;
  readonly provider = "slack";
  private readonly http: HttpTransport;
  private readonly closeDispatcher: () => Promise<void>;
  private readonly path: string;
  private readonly account: string;

  constructor(spec: IntegrationSpec, creds: Credentials, deps: ConnectorDeps = {}) {
    const raw = creds.url ?? spec.url;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new TerminalError({ provider: "slack" }, "webhook URL is not a valid URL");
    }
    this.path = url.pathname + url.search;
    // hooks.slack.com/services/T…/B…/secret: the team id is not secret, the last segment is.
    const team = /^\/services\/(T[A-Z0-9]+)\//.exec(url.pathname)?.[1];
    this.account = team ? `incoming-webhook:${team}` : `incoming-webhook:${url.host}`;
    // The last path segment is the webhook's secret; scrub it (and the whole path) from any error text.
    const t = buildTransport(url.origin, spec, deps, slackPolicy, {}, [url.pathname, url.pathname.split("/").pop()]);
    this.http = t.transport;
    this.closeDispatcher = t.close;
  }

  /**
   * Incoming webhooks have no read endpoint. Posting an empty object is refused with 400 no_text by a
   * live webhook (nothing is posted), and with 403/404/410 by a revoked or unknown one.
   */
  async checkCredentials(): Promise<{ account: string }> {
    const res = await this.http.call({ method: "POST", path: this.path, route: "POST {webhook} (probe)", body: {}, accept: [200, 400] });
    if (res.status === 400 && !PAYLOAD_ERRORS.has(res.text.trim())) {
      throw new TerminalError({ provider: "slack", route: "POST {webhook} (probe)", status: 400, almMessage: res.text.trim().slice(0, 200) });
    }
    return { account: this.account };
  }

  async send(notice: Notice): Promise<void> {
    const res = await this.http.call({ method: "POST", path: this.path, route: "POST {webhook}", body: slackPayload(notice), accept: [200] });
    if (res.text.trim() !== "ok") {
      throw new TerminalError({ provider: "slack", route: "POST {webhook}", status: res.status, almMessage: res.text.trim().slice(0, 200) }, "unexpected answer");
    }
  }

  close(): Promise<void> {
    return this.closeDispatcher();
  }
}
