import { describe, expect, it } from "@jest/globals";
import { ConflictError } from "./errors.js";
import { assessScanResult, desiredWebhookConfiguration, SecretCertificateStore, servingCertificateNames } from "./admission.js";
import type { KubeObject, KubePort, ResourceType } from "./kube/port.js";
import { loadOperatorConfig } from "./config.js";

/** Just enough of a KubePort: objects by kind/namespace/name, resourceVersion-guarded replace. */
function memoryKube(initial: KubeObject[] = []) {
  const store = new Map<string, KubeObject>();
  let rv = 1;
  const k = (res: ResourceType, ns: string | undefined, name: string) => `${res.kind}/${ns ?? ""}/${name}`;
  for (const o of initial) store.set(`${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`, { ...o, metadata: { ...o.metadata, resourceVersion: String(rv++) } });
  const port = {
    get: async (res: ResourceType, ns: string | undefined, name: string) => store.get(k(res, ns, name)) ?? null,
    create: async (res: ResourceType, obj: KubeObject) => {
      const key = k(res, obj.metadata.namespace, obj.metadata.name);
      if (store.has(key)) throw new ConflictError("exists");
      const saved = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv++) } };
      store.set(key, saved);
      return saved;
    },
    replace: async (res: ResourceType, obj: KubeObject) => {
      const key = k(res, obj.metadata.namespace, obj.metadata.name);
      if (store.get(key)?.metadata.resourceVersion !== obj.metadata.resourceVersion) throw new ConflictError("conflict");
      const saved = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv++) } };
      store.set(key, saved);
      return saved;
    },
  } as unknown as KubePort;
  return { port, store };
}

const trivy = JSON.stringify({
  SchemaVersion: 2,
  ArtifactName: "ghcr.io/acme/api:1.0",
  ArtifactType: "container_image",
  Results: [{ Target: "x", Class: "os-pkgs", Type: "debian", Vulnerabilities: [{ VulnerabilityID: "CVE-2024-3094", PkgName: "xz", InstalledVersion: "5.6.0", Severity: "CRITICAL" }] }],
});

const sr = (report: object) => ({ kind: "ScanResult", metadata: { name: "s", namespace: "shop" }, spec: { artifact: { image: "ghcr.io/acme/api:1.0" }, report } }) as KubeObject;

describe("assessScanResult", () => {
  const now = new Date("2026-01-01T00:00:00Z");
  it("reads inline, ConfigMap and Secret reports to the same assessment", async () => {
    const { port } = memoryKube([
      { kind: "ConfigMap", metadata: { name: "cm", namespace: "shop" }, data: { "trivy.json": trivy } },
      { kind: "Secret", metadata: { name: "sec", namespace: "shop" }, data: { r: Buffer.from(trivy).toString("base64") } },
    ]);
    const ids = async (o: KubeObject) => {
      const r = await assessScanResult(port, o, now);
      if ("error" in r) throw new Error(r.error);
      return r.assessment.findings.map((f) => [f.id, f.severity]);
    };
    const want = [["CVE-2024-3094", "CRITICAL"]];
    expect(await ids(sr({ inline: trivy }))).toEqual(want);
    expect(await ids(sr({ configMapKeyRef: { name: "cm", key: "trivy.json" } }))).toEqual(want);
    expect(await ids(sr({ secretKeyRef: { name: "sec", key: "r" } }))).toEqual(want);
  });

  it("explains what cannot be indexed (missing key, two sources)", async () => {
    const { port } = memoryKube();
    expect(await assessScanResult(port, sr({ configMapKeyRef: { name: "nope", key: "k" } }), now)).toEqual({ error: "ConfigMap shop/nope not found" });
    expect(await assessScanResult(port, sr({ inline: trivy, secretKeyRef: { name: "x", key: "y" } }), now)).toMatchObject({ error: expect.stringContaining("exactly one") });
  });
});

describe("SecretCertificateStore", () => {
  it("round-trips a bundle and refuses to overwrite a Secret changed by someone else", async () => {
    const { port, store } = memoryKube();
    const a = new SecretCertificateStore(port, "fixops-system", "tls");
    expect(await a.load()).toBeNull();
    const bundle = { tlsCrt: "CRT", tlsKey: "KEY", caCrt: "CA", caKey: "CAKEY" };
    await a.save(bundle);
    const b = new SecretCertificateStore(port, "fixops-system", "tls");
    expect(await b.load()).toEqual(bundle);
    expect(await a.load()).toEqual(bundle);
    await b.save({ ...bundle, tlsCrt: "CRT2" });
    await expect(a.save({ ...bundle, tlsCrt: "CRT3" })).rejects.toBeInstanceOf(ConflictError);
    expect(Buffer.from((store.get("Secret/fixops-system/tls") as unknown as { data: Record<string, string> }).data["tls.crt"]!, "base64").toString()).toBe("CRT2");
  });
});

describe("webhook configuration", () => {
  it("is on by default and read from FIXOPS_WEBHOOK_* variables", () => {
    const base = { databaseUrl: "postgres://x", identity: "me" };
    expect(loadOperatorConfig(base, {})).toMatchObject({ webhookEnabled: true, webhookPort: 9443, webhookConfigName: "fixops-admission", webhookServiceName: "fixops-webhook", webhookServicePort: 443 });
    expect(loadOperatorConfig(base, { FIXOPS_WEBHOOK_ENABLED: "false" }).webhookEnabled).toBe(false);
    const c = loadOperatorConfig(base, { FIXOPS_WEBHOOK_ENABLED: "true", FIXOPS_WEBHOOK_PORT: "10443", FIXOPS_WEBHOOK_URL: "https://127.0.0.1:10443", FIXOPS_WEBHOOK_NAMESPACE_LABEL: "a=b" });
    expect(c).toMatchObject({ webhookEnabled: true, webhookPort: 10443, webhookUrl: "https://127.0.0.1:10443", webhookNamespaceLabel: "a=b" });
    expect(() => loadOperatorConfig({ ...base, webhookNamespaceLabel: "nolabel" }, {})).toThrow(/key=value/);
  });
});

describe("desiredWebhookConfiguration", () => {
  const base = { databaseUrl: "postgres://x", identity: "me", namespace: "fixops-system" };
  const ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

  it("in cluster (no URL) calls the webhook through its Service, with certificate names the API server checks", () => {
    const config = loadOperatorConfig(base, {});
    const vwc = desiredWebhookConfiguration(config, ca);
    expect(vwc.metadata.name).toBe("fixops-admission");
    expect(vwc.webhooks.map((w) => [w.name, w.failurePolicy, w.clientConfig.service, w.clientConfig.url])).toEqual([
      ["workloads-fail.admission.fixops.io", "Fail", { name: "fixops-webhook", namespace: "fixops-system", path: "/validate/workloads", port: 443 }, undefined],
      ["workloads-ignore.admission.fixops.io", "Ignore", { name: "fixops-webhook", namespace: "fixops-system", path: "/validate/workloads", port: 443 }, undefined],
      ["resources.admission.fixops.io", "Ignore", { name: "fixops-webhook", namespace: "fixops-system", path: "/validate/fixops", port: 443 }, undefined],
    ]);
    for (const w of vwc.webhooks) expect(Buffer.from(w.clientConfig.caBundle, "base64").toString()).toBe(ca);
    expect(servingCertificateNames(config)).toEqual({ dnsNames: ["fixops-webhook.fixops-system.svc", "fixops-webhook.fixops-system.svc.cluster.local"], ipAddresses: [] });
  });

  it("uses the configured Service name, namespace and port", () => {
    const config = loadOperatorConfig(base, { FIXOPS_WEBHOOK_SERVICE_NAME: "hook", FIXOPS_WEBHOOK_SERVICE_NAMESPACE: "sec", FIXOPS_WEBHOOK_SERVICE_PORT: "8443" });
    expect(desiredWebhookConfiguration(config, ca).webhooks[0]!.clientConfig.service).toEqual({ name: "hook", namespace: "sec", path: "/validate/workloads", port: 8443 });
    expect(servingCertificateNames(config).dnsNames).toEqual(["hook.sec.svc", "hook.sec.svc.cluster.local"]);
  });

  it("registers by URL when one is set, and scopes every webhook to the namespace label", () => {
    const config = loadOperatorConfig({ ...base, webhookUrl: "https://127.0.0.1:10443", webhookHost: "127.0.0.1", webhookNamespaceLabel: "team=a" }, {});
    const vwc = desiredWebhookConfiguration(config, ca);
    expect(vwc.webhooks.map((w) => w.clientConfig.url)).toEqual(["https://127.0.0.1:10443/validate/workloads", "https://127.0.0.1:10443/validate/workloads", "https://127.0.0.1:10443/validate/fixops"]);
    for (const w of vwc.webhooks) {
      expect(w.clientConfig.service).toBeUndefined();
      expect(w.namespaceSelector!.matchExpressions).toContainEqual({ key: "team", operator: "In", values: ["a"] });
    }
    expect(servingCertificateNames(config)).toEqual({ dnsNames: [], ipAddresses: ["127.0.0.1"] });
  });
});
