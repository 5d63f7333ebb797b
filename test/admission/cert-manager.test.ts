// cert-manager mode: the operator serves the certificate another party keeps in the Secret (as
// cert-manager writes it: tls.crt, tls.key, ca.crt), puts that CA in the webhook configuration,
// follows a renewal, and never writes the Secret itself. Without the Secret it refuses to start,
// saying which Secret it needs.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { KubeClient } from "../../operator/kube/client.js";
import { Resources, type KubeObject } from "../../operator/kube/port.js";
import type { RunningOperator } from "../../operator/main.js";
import { send } from "../../webhooks/server/test-client.js";
import { createCertificateAuthority, inspectCertificate, issueServingCertificate, type KeyPairPem } from "../../webhooks/tls/certificates.js";
import { adminClient, createNamespace, suffix } from "../harness/env.js";
import { operatorConfig, runOperatorInProcess, webhookOverrides } from "../harness/operator.js";

const SECRET = "webhook-cert";
const b64 = (s: string) => Buffer.from(s).toString("base64");
type SecretObject = KubeObject & { data: Record<string, string> };

let kube: KubeClient;
let ns: string;
let ca: KeyPairPem;
let op: RunningOperator | undefined;
let configName: string;

const serving = () => issueServingCertificate({ ca, dnsNames: [], ipAddresses: ["127.0.0.1"], now: new Date(), validityMs: 24 * 3600_000 });
const secretData = (cert: KeyPairPem) => ({ "tls.crt": b64(cert.certPem), "tls.key": b64(cert.keyPem), "ca.crt": b64(ca.certPem) });

beforeAll(async () => {
  kube = await adminClient();
  ns = await createNamespace(kube, "adm-cm");
  ca = await createCertificateAuthority({ now: new Date(), validityMs: 30 * 24 * 3600_000, commonName: "cert-manager test CA" });
});
afterAll(async () => {
  await op?.stop();
  if (configName) await kube.delete(Resources.ValidatingWebhookConfiguration, undefined, configName).catch(() => undefined);
  await kube.delete(Resources.Namespace, undefined, ns);
  kube.close();
});

describe("webhook certificates from cert-manager", () => {
  it("refuses to start without the Secret, naming it", async () => {
    const hook = await webhookOverrides(`fixops.io/cm-test=${suffix()}`);
    await expect(runOperatorInProcess(await operatorConfig({ watchNamespace: ns, ...hook, webhookCertMode: "cert-manager", webhookCertSecret: "not-there" }))).rejects.toThrow(
      `webhook certificate unavailable: cert-manager mode reads Secret ${ns}/not-there (tls.crt, tls.key, ca.crt)`,
    );
  });

  it("serves the Secret's certificate, registers its CA, adopts a renewal, and never writes the Secret", async () => {
    const first = await serving();
    await kube.create(Resources.Secret, { metadata: { name: SECRET, namespace: ns }, type: "kubernetes.io/tls", data: secretData(first) } as KubeObject);
    const hook = await webhookOverrides(`fixops.io/cm-test=${suffix()}`);
    configName = hook.webhookConfigName;
    op = await runOperatorInProcess(await operatorConfig({ watchNamespace: ns, ...hook, webhookCertMode: "cert-manager", webhookCertSecret: SECRET }));

    const served = await send(hook.webhookPort, { method: "GET", path: "/healthz", ca: ca.certPem });
    expect(served.peerFingerprint).toBe(inspectCertificate(first.certPem).fingerprint);
    const vwc = await kube.get<KubeObject & { webhooks: { clientConfig: { caBundle: string } }[] }>(Resources.ValidatingWebhookConfiguration, undefined, configName);
    for (const w of vwc!.webhooks) expect(Buffer.from(w.clientConfig.caBundle, "base64").toString("utf8")).toBe(ca.certPem);

    // cert-manager renews: the operator follows on its next check.
    const second = await serving();
    const before = await kube.get<SecretObject>(Resources.Secret, ns, SECRET);
    const written = await kube.replace(Resources.Secret, { ...before!, data: secretData(second) });
    const r = await op.admission!.checkCertificate();
    expect(r.action).toBe("adopted");
    const after = await send(hook.webhookPort, { method: "GET", path: "/healthz", ca: ca.certPem });
    expect(after.peerFingerprint).toBe(inspectCertificate(second.certPem).fingerprint);
    expect((await op.admission!.checkCertificate()).action).toBe("unchanged");
    expect((await kube.get<SecretObject>(Resources.Secret, ns, SECRET))!.metadata.resourceVersion).toBe(written.metadata.resourceVersion);
  }, 60_000);
});
