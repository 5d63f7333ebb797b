// Admission on every replica (no leader needed): an in-memory index of ScanResult assessments fed by
// the informers, the engine-backed decider, the HTTPS webhook server with a self-managed CA kept in a
// Secret, the ValidatingWebhookConfiguration (when registered by URL) and the namespace
// failure-policy labels that scope it.
import type { Registry } from "prom-client";
import { PolicyGateSpec } from "../api/v1alpha1/index.js";
import { readClusterReport, readReportSource, type StoredReports } from "../controllers/scanresult/report-source.js";
import { validateScanResult } from "../controllers/scanresult/validate.js";
import type { Informers } from "../controllers/shared/deps.js";
import { analyseReports, parseReport, type ArtifactAssessment, type FeedSnapshots } from "../engine/index.js";
import type { FeedView } from "../feeds/manager.js";
import { EngineDecider } from "../webhooks/admission/engine-decider.js";
import { ImageDecisionIndex } from "../webhooks/admission/image-index.js";
import { createWebhookServer, type DenialRecord, type WebhookServer } from "../webhooks/server/server.js";
import { CertificateRotator, type CertificateBundle, type CertificateStore, type RotationResult } from "../webhooks/tls/rotator.js";
import { FAILURE_POLICY_LABEL, buildValidatingWebhookConfiguration, namespaceFailurePolicy, type FailurePolicy, type ValidatingWebhookConfiguration } from "../webhooks/tls/webhook-config.js";
import { systemTimers, type Clock } from "./clock.js";
import type { OperatorConfig } from "./config.js";
import { errorMessage } from "./errors.js";
import type { EventRecorder } from "./events.js";
import { Resources, type KubeObject, type KubePort } from "./kube/port.js";
import type { Logger } from "./logger.js";

export interface AdmissionDeps {
  kube: KubePort;
  informers: Pick<Informers, "scanResults" | "policyGates" | "riskExceptions" | "remediationTasks">;
  clock: Clock;
  log: Logger;
  registry: Registry;
  /** The same feed snapshots the controllers decide with. */
  feeds: FeedView;
  /** Reports `fixops push` stored in the ledger. */
  storedReports?: StoredReports;
  recorder: EventRecorder;
}

export interface RunningAdmission {
  index: ImageDecisionIndex<ArtifactAssessment>;
  decider: EngineDecider;
  server: WebhookServer;
  /** Base URL the server answers on. */
  url(): string;
  ready(): boolean;
  /** Checks the webhook certificate now (as the rotator's timer does), rotating it when due. */
  checkCertificate(): Promise<RotationResult>;
  stop(): Promise<void>;
}

type SecretObject = KubeObject & { data?: Record<string, string>; type?: string };

const SECRET_KEYS: Record<keyof CertificateBundle, string> = { tlsCrt: "tls.crt", tlsKey: "tls.key", caCrt: "ca.crt", caKey: "ca.key" };

/** The webhook CertificateStore as a Secret; `save` is guarded by the resourceVersion last loaded. */
export class SecretCertificateStore implements CertificateStore {
  private resourceVersion: string | undefined;

  constructor(
    private readonly kube: KubePort,
    private readonly namespace: string,
    private readonly name: string,
  ) {}

  async load(): Promise<CertificateBundle | null> {
    const s = await this.kube.get<SecretObject>(Resources.Secret, this.namespace, this.name);
    this.resourceVersion = s?.metadata.resourceVersion;
    const d = s?.data ?? {};
    const read = (k: keyof CertificateBundle) => (d[SECRET_KEYS[k]] ? Buffer.from(d[SECRET_KEYS[k]]!, "base64").toString("utf8") : undefined);
    const tlsCrt = read("tlsCrt");
    const tlsKey = read("tlsKey");
    const caCrt = read("caCrt");
    if (!tlsCrt || !tlsKey || !caCrt) return null;
    const caKey = read("caKey");
    return { tlsCrt, tlsKey, caCrt, ...(caKey ? { caKey } : {}) };
  }

  async save(b: CertificateBundle): Promise<void> {
    const data: Record<string, string> = {};
    for (const k of Object.keys(SECRET_KEYS) as (keyof CertificateBundle)[]) if (b[k]) data[SECRET_KEYS[k]] = Buffer.from(b[k]!).toString("base64");
    const metadata = { name: this.name, namespace: this.namespace, labels: { "app.kubernetes.io/managed-by": "fixops-operator" } };
    // A concurrent writer (another replica) makes this fail with a conflict; the rotator retries.
    const saved =
      this.resourceVersion === undefined
        ? await this.kube.create<SecretObject>(Resources.Secret, { metadata, type: "Opaque", data })
        : await this.kube.replace<SecretObject>(Resources.Secret, { metadata: { ...metadata, resourceVersion: this.resourceVersion }, type: "Opaque", data });
    this.resourceVersion = saved.metadata.resourceVersion;
  }
}

/** Reads a ScanResult's report and runs the engine to an assessment; null when it cannot be indexed. */
export async function assessScanResult(kube: KubePort, obj: KubeObject, now: Date, feeds: FeedSnapshots = {}, stored?: StoredReports): Promise<{ assessment: ArtifactAssessment; image: string; digest?: string; scannedAt?: string } | { error: string }> {
  const v = validateScanResult(obj.spec);
  if (!v.ok) return { error: v.message };
  const ns = obj.metadata.namespace!;
  // Stored reports live in the database: this feeder reads them (off the request path, which never does).
  if (v.source.kind === "stored" && !stored) return { error: "this replica has no access to the ledger's stored reports" };
  const read = v.source.kind === "stored" ? await readReportSource(kube, stored!, ns, v.source) : await readClusterReport(kube, ns, v.source);
  if (!read.ok) return { error: read.message };
  const text = read.bytes.toString("utf8");
  const spec = v.spec;
  const report = parseReport(text, { ...(spec.format ? { format: spec.format } : {}), artifact: spec.artifact, source: `ScanResult ${ns}/${obj.metadata.name}` });
  const { assessment } = analyseReports([report], {
    feeds,
    asOf: now,
    image: spec.artifact.image,
    ...(spec.artifact.digest ? { digest: spec.artifact.digest } : {}),
    ...(spec.scannedAt ? { scannedAt: spec.scannedAt } : {}),
  });
  return { assessment, image: spec.artifact.image, ...(spec.artifact.digest ? { digest: spec.artifact.digest } : {}), ...(spec.scannedAt ? { scannedAt: spec.scannedAt } : {}) };
}

function splitList(s: string | undefined): string[] {
  return (s ?? "")
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
}

/**
 * The operator's ValidatingWebhookConfiguration: by URL when one is configured (out of cluster,
 * tests), otherwise through the webhook's Service (in cluster).
 */
export function desiredWebhookConfiguration(config: OperatorConfig, caBundlePem: string): ValidatingWebhookConfiguration {
  const desired = buildValidatingWebhookConfiguration({
    name: config.webhookConfigName,
    operatorNamespace: config.namespace,
    client: config.webhookUrl
      ? { url: config.webhookUrl }
      : { service: { name: config.webhookServiceName, namespace: config.webhookServiceNamespace ?? config.namespace, port: config.webhookServicePort } },
    caBundlePem,
    labels: { "app.kubernetes.io/managed-by": "fixops-operator" },
  });
  if (config.webhookNamespaceLabel) {
    const [key, value] = config.webhookNamespaceLabel.split("=") as [string, string];
    for (const w of desired.webhooks) {
      w.namespaceSelector = { matchExpressions: [...(w.namespaceSelector?.matchExpressions ?? []), { key, operator: "In", values: [value] }] };
    }
  }
  return desired;
}

/** Names for the serving certificate: as configured, else the Service's DNS names (in cluster) or the listen address. */
export function servingCertificateNames(config: OperatorConfig): { dnsNames: string[]; ipAddresses: string[] } {
  const ipAddresses = splitList(config.webhookIpAddresses);
  const dnsNames = splitList(config.webhookDnsNames);
  if (ipAddresses.length === 0 && dnsNames.length === 0) {
    if (config.webhookHost === "0.0.0.0" || config.webhookHost === "::") {
      const svc = `${config.webhookServiceName}.${config.webhookServiceNamespace ?? config.namespace}`;
      // The API server calls `<service>.<namespace>.svc` and checks the certificate against that name.
      dnsNames.push(`${svc}.svc`, `${svc}.svc.cluster.local`);
    } else if (/^[\d.]+$/.test(config.webhookHost) || config.webhookHost.includes(":")) ipAddresses.push(config.webhookHost);
    else dnsNames.push(config.webhookHost);
  }
  return { dnsNames, ipAddresses };
}

export async function startAdmission(config: OperatorConfig, deps: AdmissionDeps): Promise<RunningAdmission> {
  const { kube, informers, clock, log } = deps;
  const operatorNamespace = config.namespace;
  const index = new ImageDecisionIndex<ArtifactAssessment>();
  const decider = new EngineDecider(index);
  let stopped = false;

  // ---- ScanResults → index ---------------------------------------------------------------------
  // Latest event wins per ScanResult: a slow report read must not overwrite a newer one.
  const generation = new Map<string, number>();
  const feed = async (type: "ADDED" | "MODIFIED" | "DELETED", obj: KubeObject): Promise<void> => {
    const key = { namespace: obj.metadata.namespace!, name: obj.metadata.name };
    const k = `${key.namespace}/${key.name}`;
    const gen = (generation.get(k) ?? 0) + 1;
    generation.set(k, gen);
    if (type === "DELETED") {
      index.delete(key);
      generation.delete(k);
      return;
    }
    try {
      const r = await assessScanResult(kube, obj, clock.now(), deps.feeds.current(), deps.storedReports);
      if (stopped || generation.get(k) !== gen) return;
      if ("error" in r) {
        index.delete(key);
        log.debug({ scanResult: k, reason: r.error }, "ScanResult not indexed for admission");
        return;
      }
      const result = index.upsert({ scanResult: key, image: r.image, ...(r.digest ? { digest: r.digest } : {}), ...(r.scannedAt ? { scannedAt: r.scannedAt } : {}), assessment: r.assessment });
      if (result === "unindexable") log.warn({ scanResult: k, image: r.image }, "ScanResult image reference cannot be indexed for admission");
    } catch (err) {
      if (generation.get(k) === gen) index.delete(key);
      log.warn({ scanResult: k, err: errorMessage(err) }, "could not index ScanResult for admission");
    }
  };
  informers.scanResults.onEvent((type, obj) => void feed(type, obj));
  // New EPSS/KEV data re-scores every indexed ScanResult, exactly as the controller re-decides them.
  deps.feeds.onChange(() => {
    for (const o of informers.scanResults.list()) void feed("MODIFIED", o);
  });

  // ---- PolicyGates / RiskExceptions → decider, namespace labels ----------------------------------
  const labelled = new Map<string, FailurePolicy | null>();
  const reconcileNamespaceLabel = async (namespace: string): Promise<void> => {
    const gates = informers.policyGates.list(namespace).flatMap((g) => {
      const s = PolicyGateSpec.safeParse(g.spec ?? {});
      return s.success ? [{ failurePolicy: s.data.failurePolicy }] : [];
    });
    const want = namespaceFailurePolicy(namespace, operatorNamespace, gates);
    if (namespace === "kube-system" || namespace === operatorNamespace) return;
    try {
      const current = await kube.get<KubeObject>(Resources.Namespace, undefined, namespace);
      if (!current) return;
      const have = current.metadata.labels?.[FAILURE_POLICY_LABEL] ?? null;
      if (have !== want) await kube.mergePatch(Resources.Namespace, undefined, namespace, { metadata: { labels: { [FAILURE_POLICY_LABEL]: want } } });
      labelled.set(namespace, want);
    } catch (err) {
      log.warn({ namespace, err: errorMessage(err) }, "could not set the admission failure-policy label");
    }
  };
  const gatesChanged = (namespace: string) => {
    decider.setGates(namespace, informers.policyGates.list(namespace));
    void reconcileNamespaceLabel(namespace);
  };
  informers.policyGates.onEvent((_t, obj) => gatesChanged(obj.metadata.namespace!));
  informers.riskExceptions.onEvent((_t, obj) => decider.setExceptions(obj.metadata.namespace!, informers.riskExceptions.list(obj.metadata.namespace!)));
  informers.remediationTasks.onEvent((_t, obj) => decider.setTasks(obj.metadata.namespace!, informers.remediationTasks.list(obj.metadata.namespace!)));

  // ---- TLS and the server ----------------------------------------------------------------------
  const { dnsNames, ipAddresses } = servingCertificateNames(config);
  let server: WebhookServer | undefined;
  const applyWebhookConfiguration = async (bundle: CertificateBundle) => {
    const desired = desiredWebhookConfiguration(config, bundle.caCrt);
    const existing = await kube.get<KubeObject>(Resources.ValidatingWebhookConfiguration, undefined, desired.metadata.name);
    if (!existing) await kube.create(Resources.ValidatingWebhookConfiguration, desired as unknown as KubeObject);
    else await kube.replace(Resources.ValidatingWebhookConfiguration, { ...(desired as unknown as KubeObject), metadata: { ...desired.metadata, resourceVersion: existing.metadata.resourceVersion! } });
  };
  const rotator = new CertificateRotator({
    mode: config.webhookCertMode,
    store: new SecretCertificateStore(kube, operatorNamespace, config.webhookCertSecret),
    clock,
    dnsNames,
    ipAddresses,
    log,
    onRotate: async (bundle) => {
      // The caBundle first: it already trusts the CA of the certificate served next.
      if (server) {
        await applyWebhookConfiguration(bundle);
        server.setSecureContext({ cert: bundle.tlsCrt, key: bundle.tlsKey });
      }
    },
  });
  const first = await rotator.check();
  if (!first.bundle) {
    throw new Error(
      config.webhookCertMode === "cert-manager"
        ? `webhook certificate unavailable: cert-manager mode reads Secret ${operatorNamespace}/${config.webhookCertSecret} (tls.crt, tls.key, ca.crt) and ${first.reason ?? first.action}`
        : `webhook certificate unavailable: ${first.reason ?? first.action}`,
    );
  }
  server = createWebhookServer({
    tls: { cert: first.bundle.tlsCrt, key: first.bundle.tlsKey },
    host: config.webhookHost,
    port: config.webhookPort,
    decider,
    operatorNamespace,
    clock,
    registry: deps.registry,
    log,
    recordDenial: (r: DenialRecord) => recordDenial(deps.recorder, r),
  });
  const address = await server.listen();
  await applyWebhookConfiguration(first.bundle);
  rotator.start(systemTimers);
  log.info({ port: address.port, host: config.webhookHost, url: config.webhookUrl }, "admission webhook listening");

  // ---- initial sync ----------------------------------------------------------------------------
  void (async () => {
    await Promise.all([informers.policyGates.synced, informers.riskExceptions.synced]);
    const nsOf = (objs: KubeObject[]) => new Set(objs.map((o) => o.metadata.namespace!));
    for (const ns of nsOf(informers.policyGates.list())) gatesChanged(ns);
    for (const ns of nsOf(informers.riskExceptions.list())) decider.setExceptions(ns, informers.riskExceptions.list(ns));
    await informers.remediationTasks.synced;
    for (const ns of nsOf(informers.remediationTasks.list())) decider.setTasks(ns, informers.remediationTasks.list(ns));
    decider.markGatesSynced();
    await informers.scanResults.synced;
    await Promise.all(informers.scanResults.list().map((o) => feed("MODIFIED", o)));
    index.markSynced();
    log.info({ indexed: index.size }, "admission index synced");
  })().catch((err: unknown) => log.error({ err: errorMessage(err) }, "admission index sync failed"));

  return {
    index,
    decider,
    server,
    url: () => server!.url(),
    ready: () => decider.ready(),
    checkCertificate: () => rotator.check(),
    stop: async () => {
      stopped = true;
      rotator.stop();
      await server!.close(2_000);
    },
  };
}

async function recordDenial(recorder: EventRecorder, r: DenialRecord): Promise<void> {
  const w = r.workload;
  const target: KubeObject = w.owner
    ? { apiVersion: w.owner.apiVersion, kind: w.owner.kind, metadata: { name: w.owner.name, namespace: w.namespace, ...(w.owner.uid ? { uid: w.owner.uid } : {}) } }
    : { kind: w.kind, metadata: { name: w.name, namespace: w.namespace, ...(w.uid ? { uid: w.uid } : {}) } };
  await recorder.record(target, "Warning", r.kind === "denied" ? "AdmissionDenied" : "AdmissionWouldDeny", `${r.operation} ${w.kind} ${w.name}: ${r.message}`);
}
