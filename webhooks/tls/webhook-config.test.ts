import { describe, expect, it } from "@jest/globals";
import { FAILURE_POLICY_LABEL, buildValidatingWebhookConfiguration, namespaceFailurePolicy, type WebhookConfigurationOptions } from "./webhook-config.js";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const base: WebhookConfigurationOptions = {
  operatorNamespace: "fixops-system",
  client: { service: { name: "fixops-webhook", namespace: "fixops-system" } },
  caBundlePem: PEM,
};

describe("buildValidatingWebhookConfiguration", () => {
  it("builds two workload webhooks (Fail and Ignore) and one for FixOps kinds, with 1.20-safe settings", () => {
    const cfg = buildValidatingWebhookConfiguration(base);
    expect(cfg.apiVersion).toBe("admissionregistration.k8s.io/v1");
    expect(cfg.kind).toBe("ValidatingWebhookConfiguration");
    expect(cfg.metadata.name).toBe("fixops-admission");
    expect(cfg.webhooks.map((w) => [w.name, w.failurePolicy, w.clientConfig.service?.path])).toEqual([
      ["workloads-fail.admission.fixops.io", "Fail", "/validate/workloads"],
      ["workloads-ignore.admission.fixops.io", "Ignore", "/validate/workloads"],
      ["resources.admission.fixops.io", "Ignore", "/validate/fixops"],
    ]);
    for (const w of cfg.webhooks) {
      expect(w.sideEffects).toBe("None");
      expect(w.admissionReviewVersions).toEqual(["v1"]);
      expect(w.timeoutSeconds).toBe(3);
      expect(w.clientConfig.caBundle).toBe(Buffer.from(PEM).toString("base64"));
      expect(w.clientConfig.service).toEqual({ name: "fixops-webhook", namespace: "fixops-system", path: w.clientConfig.service!.path, port: 443 });
      expect(w).not.toHaveProperty("matchConditions"); // not on 1.20
    }
  });

  it("scopes each workload webhook by the operator-managed label and also excludes kube-system and the operator namespace by name", () => {
    const [fail, ignore] = buildValidatingWebhookConfiguration(base).webhooks;
    for (const [w, policy] of [
      [fail!, "Fail"],
      [ignore!, "Ignore"],
    ] as const) {
      expect(w.namespaceSelector).toEqual({
        matchExpressions: [
          { key: FAILURE_POLICY_LABEL, operator: "In", values: [policy] },
          { key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["kube-system", "fixops-system"] },
        ],
      });
    }
  });

  it("gates pods (with ephemeral containers) and the six pod-template kinds on CREATE and UPDATE only", () => {
    const [fail] = buildValidatingWebhookConfiguration(base).webhooks;
    const resources = fail!.rules.flatMap((r) => r.resources.map((res) => `${r.apiGroups[0] || "core"}/${res}`));
    expect(resources.sort()).toEqual(
      ["core/pods", "core/pods/ephemeralcontainers", "apps/deployments", "apps/statefulsets", "apps/daemonsets", "apps/replicasets", "batch/jobs", "batch/cronjobs"].sort(),
    );
    for (const r of fail!.rules) {
      expect(r.operations).toEqual(["CREATE", "UPDATE"]);
      expect(r.scope).toBe("Namespaced");
      expect(r.resources).not.toContain("*");
    }
    // CronJob is batch/v1beta1 on 1.20
    expect(fail!.rules.find((r) => r.apiGroups[0] === "batch")!.apiVersions).toEqual(["*"]);
  });

  it("registers by URL for out-of-cluster runs and tests", () => {
    const cfg = buildValidatingWebhookConfiguration({ ...base, client: { url: "https://127.0.0.1:9443/" }, timeoutSeconds: 5, fixopsFailurePolicy: "Fail", name: "fixops-test" });
    expect(cfg.metadata.name).toBe("fixops-test");
    expect(cfg.webhooks.map((w) => w.clientConfig.url)).toEqual(["https://127.0.0.1:9443/validate/workloads", "https://127.0.0.1:9443/validate/workloads", "https://127.0.0.1:9443/validate/fixops"]);
    expect(cfg.webhooks.every((w) => w.clientConfig.service === undefined && w.timeoutSeconds === 5)).toBe(true);
    expect(cfg.webhooks[2]!.failurePolicy).toBe("Fail");
  });

  it.each([
    [{ timeoutSeconds: 0 }, "timeoutSeconds"],
    [{ timeoutSeconds: 31 }, "timeoutSeconds"],
    [{ caBundlePem: "" }, "caBundlePem"],
    [{ client: { url: "http://127.0.0.1:9443" } }, "https"],
  ])("refuses %j", (over, message) => {
    expect(() => buildValidatingWebhookConfiguration({ ...base, ...over })).toThrow(message);
  });
});

describe("namespaceFailurePolicy", () => {
  it.each([
    ["shop", [], null],
    ["shop", [{ failurePolicy: "Ignore" as const }], "Ignore"],
    ["shop", [{ failurePolicy: "Ignore" as const }, { failurePolicy: "Fail" as const }], "Fail"],
    ["kube-system", [{ failurePolicy: "Fail" as const }], null],
    ["fixops-system", [{ failurePolicy: "Fail" as const }], null],
  ])("%s with %j → %s", (ns, gates, label) => {
    expect(namespaceFailurePolicy(ns, "fixops-system", gates)).toBe(label);
  });
});
