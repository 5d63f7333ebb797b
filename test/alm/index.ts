// Loopback ALM stand-ins for connector, inbound-webhook and (later) outbox tests.
export { StandIn, FaultPlan, seededRandom, type Fault, type FaultMatch, type WebhookSubscription, type Delivery } from "./standin.js";
export type { TicketStandIn, HumanTarget } from "./ticket-standin.js";
export { JiraStandIn, JIRA_BOT, JIRA_HUMAN, DEFAULT_JIRA_WORKFLOW, type JiraWorkflow } from "./jira.js";
export { ServiceNowStandIn, SN_BOT, SN_HUMAN, SN_GROUPS } from "./servicenow.js";
export { GitLabStandIn, GL_BOT, GL_HUMAN, GL_PROJECT } from "./gitlab.js";
export { GitHubStandIn, GH_BOT, GH_HUMAN, GH_APP, GH_REPO } from "./github.js";
export { AzureDevOpsStandIn, ADO_BOT, ADO_HUMAN, ADO_ORG, ADO_PROJECT } from "./azuredevops.js";
export { SlackStandIn, SLACK_TEAM } from "./slack.js";
export { ConfluenceStandIn, CONF_BOT, CONF_SPACE } from "./confluence.js";
export { WebhookReceiver, type Received } from "./receiver.js";
