// Webhook endpoint paths, shared by the server and the ValidatingWebhookConfiguration builder.
export const WORKLOADS_PATH = "/validate/workloads";
export const FIXOPS_PATH = "/validate/fixops";
