// The contracts every connector implements. Connectors know nothing of Kubernetes: the caller reads the
// Secret and the Integration spec and passes plain values in.
import type { Logger } from "pino";
import type { Dispatcher } from "undici";
import type { Severity } from "../api/v1alpha1/common.js";

/** Time is injected (structurally the same as operator/clock.ts). */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/**
 * Values from the Integration's credentials Secret. Keys by type: jira cloud username(email)+token,
 * jira datacenter token, servicenow username+password, gitlab/github/azuredevops token,
 * slack url, confluence username+token (or token for Data Center), webhook secret.
 */
export interface Credentials {
  username?: string;
  password?: string;
  token?: string;
  url?: string;
  secret?: string;
}

export type Category = "open" | "in_progress" | "done";

export interface Ticket {
  /** What `get`/`setState`/`comment` take: Jira key, ServiceNow sys_id, GitLab iid, GitHub number, ADO id. */
  ref: string;
  /** Human-facing key: ABC-12, INC0010002, group/project#3, owner/repo#3, 42. */
  key: string;
  url: string;
  /** Raw ALM state (status name, state code, "closed/not_planned", …). */
  state: string;
  category: Category;
  /** The idempotency key found on the ticket (label / correlation_id / tag), if any. */
  idempotencyKey?: string;
}

/** Inline text: plain, or a link, or inline code. */
export type Inline = string | { text: string; href?: string; code?: boolean; strong?: boolean };

/** Enough structure to render ADF (Jira Cloud), wiki markup (Jira DC), Markdown, HTML and Confluence storage. */
export type Block =
  | { kind: "heading"; level: 1 | 2 | 3; text: string }
  | { kind: "paragraph"; content: Inline[] }
  | { kind: "list"; items: Inline[][] }
  | { kind: "code"; text: string };

export interface TicketDraft {
  title: string;
  description: Block[];
  severity: Severity;
  labels?: string[];
  /** YYYY-MM-DD */
  dueDate?: string;
  /** Written into the ticket (label, correlation_id, tag) so a retry after a crash finds it. */
  idempotencyKey: string;
}

export type TargetState = "open" | "done";

export interface TicketConnector {
  readonly kind: "ticket";
  readonly provider: string;
  /** A real authenticated read; returns the identity the ALM says we are (used by the loop guard). */
  checkCredentials(): Promise<{ account: string }>;
  /** The oldest ticket carrying the key, or null. */
  findByIdempotencyKey(key: string): Promise<Ticket | null>;
  create(draft: TicketDraft): Promise<Ticket>;
  /** null when the ticket was deleted. */
  get(ref: string): Promise<Ticket | null>;
  /** Moves the ticket to a status of the target category; a no-op when it is already there. */
  setState(ref: string, target: TargetState, comment?: string): Promise<Ticket>;
  comment(ref: string, text: string): Promise<void>;
  close(): Promise<void>;
}

export interface Notice {
  title: string;
  text: string;
  url?: string;
  severity?: Severity;
  fields?: { label: string; value: string }[];
  /** Lets receivers de-duplicate redeliveries. */
  idempotencyKey?: string;
}

export interface NoticeConnector {
  readonly kind: "notice";
  readonly provider: string;
  checkCredentials(): Promise<{ account: string }>;
  send(notice: Notice): Promise<void>;
  close(): Promise<void>;
}

export interface PageSummary {
  /** One page per title; publishing the same title again updates it (version + 1). */
  title: string;
  body: Block[];
}

export interface PublishedPage {
  id: string;
  url: string;
  version: number;
  created: boolean;
}

export interface PageConnector {
  readonly kind: "page";
  readonly provider: string;
  checkCredentials(): Promise<{ account: string }>;
  publish(summary: PageSummary): Promise<PublishedPage>;
  close(): Promise<void>;
}

export type Connector = TicketConnector | NoticeConnector | PageConnector;

export interface Timeouts {
  /** Time allowed for the response headers. */
  headersMs: number;
  /** Idle time allowed between body chunks. */
  bodyMs: number;
  /** TCP/TLS connect time (only for the dispatcher the factory builds). */
  connectMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = { headersMs: 15_000, bodyMs: 15_000, connectMs: 10_000 };

export interface ConnectorDeps {
  /** Supplied by tests or shared by the caller; otherwise the factory builds an SSRF-guarded Agent. */
  dispatcher?: Dispatcher;
  clock?: Clock;
  log?: Logger;
  timeouts?: Partial<Timeouts>;
  /** Delay used for a 429 without any hint. */
  defaultRetryAfterMs?: number;
  /** Largest response body read, in bytes. */
  maxResponseBytes?: number;
}
