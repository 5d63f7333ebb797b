// Public surface of the connectors package: one factory from an Integration spec plus the typed errors,
// the SSRF guard, the rate limiter and the circuit breaker the outbox worker uses.
import type { IntegrationSpec } from "../api/v1alpha1/integration.js";
import { AzureDevOpsConnector } from "./azuredevops.js";
import { ConfluenceConnector } from "./confluence.js";
import { TerminalError } from "./errors.js";
import { GitHubConnector } from "./github.js";
import { GitLabConnector } from "./gitlab.js";
import { JiraConnector } from "./jira.js";
import { ServiceNowConnector } from "./servicenow.js";
import { SlackConnector } from "./slack.js";
import type { Connector, ConnectorDeps, Credentials, NoticeConnector, PageConnector, TicketConnector } from "./types.js";
import { SignedWebhookConnector } from "./webhook.js";
import { checkUrlSyntax, DEFAULT_NETWORK_POLICY } from "./ssrf.js";

export function createConnector(spec: IntegrationSpec, credentials: Credentials, deps: ConnectorDeps = {}): Connector {
  switch (spec.type) {
    case "jira":
      return new JiraConnector(spec, credentials, deps);
    case "servicenow":
      return new ServiceNowConnector(spec, credentials, deps);
    case "gitlab":
      return new GitLabConnector(spec, credentials, deps);
    case "github":
      return new GitHubConnector(spec, credentials, deps);
    case "azuredevops":
      return new AzureDevOpsConnector(spec, credentials, deps);
    case "slack":
      return new SlackConnector(spec, credentials, deps);
    case "confluence":
      return new ConfluenceConnector(spec, credentials, deps);
    case "webhook":
      return new SignedWebhookConnector(spec, credentials, deps);
  }
}

/** For callers that need tickets (the outbox worker): refuses notice/page integrations up front. */
export function createTicketConnector(spec: IntegrationSpec, credentials: Credentials, deps: ConnectorDeps = {}): TicketConnector {
  const c = createConnector(spec, credentials, deps);
  if (c.kind !== "ticket") {
    void c.close();
    throw new TerminalError({ provider: spec.type }, `integration type ${spec.type} cannot hold tickets`);
  }
  return c;
}

/** Synchronous spec.url check for Integration validation (scheme, embedded credentials, IP literals). */
export function checkIntegrationUrl(url: string, spec: IntegrationSpec): string | undefined {
  return checkUrlSyntax(url, { ...DEFAULT_NETWORK_POLICY, ...spec.network });
}

export function isTicketConnector(c: Connector): c is TicketConnector {
  return c.kind === "ticket";
}
export function isNoticeConnector(c: Connector): c is NoticeConnector {
  return c.kind === "notice";
}
export function isPageConnector(c: Connector): c is PageConnector {
  return c.kind === "page";
}

export * from "./types.js";
export {
  AuthError,
  ConnectorError,
  NotFoundError,
  RateLimitedError,
  SsrfBlockedError,
  TerminalError,
  TransientError,
  parseRetryAfter,
  type Provider,
} from "./errors.js";
export {
  checkUrl,
  checkUrlSyntax,
  classifyAddress,
  createGuardedAgent,
  guardedConnector,
  isAddressAllowed,
  DEFAULT_NETWORK_POLICY,
  type AddressClass,
  type NetworkPolicy,
  type Resolver,
} from "./ssrf.js";
export { TokenBucket, type Reservation } from "./ratelimit.js";
export { CircuitBreaker, type Admission, type CircuitState } from "./circuit.js";
export { idempotencyLabel, isValidIdempotencyKey, keyFromLabels, ORIGIN_MARKER, LABEL_PREFIX } from "./idempotency.js";
export { applyStateMapping, categoryOfTaskState, jiraCategory, githubCategory, gitlabCategory, servicenowCategory, adoCategory } from "./state.js";
export { signWebhook, WEBHOOK_DELIVERY_HEADER, WEBHOOK_EVENT_HEADER, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER } from "./webhook.js";
export { JiraConnector } from "./jira.js";
export { ServiceNowConnector } from "./servicenow.js";
export { GitLabConnector } from "./gitlab.js";
export { GitHubConnector } from "./github.js";
export { AzureDevOpsConnector } from "./azuredevops.js";
export { SlackConnector } from "./slack.js";
export { ConfluenceConnector } from "./confluence.js";
export { SignedWebhookConnector } from "./webhook.js";
