// Reading an Integration's credentials: only from a Secret in the Integration's own namespace (a
// namespace is a tenant; nothing here can name another namespace). Used by the Integration controller's
// credential check and by the outbox worker's connectors.
import { IntegrationSpec, type IntegrationResource } from "../../api/v1alpha1/index.js";
import type { Credentials } from "../../connectors/index.js";
import type { Clock } from "../../operator/clock.js";
import { Resources, type Informer, type KubeObject, type KubePort } from "../../operator/kube/port.js";
import { IntegrationUnavailableError, type IntegrationResolver, type ResolvedIntegration } from "../../outbox/worker.js";

export type SecretObject = KubeObject & { data?: Record<string, string> };

export function decodeSecret(secret: SecretObject): Credentials {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = Buffer.from(v, "base64").toString("utf8").trim();
  const { username, password, token, url, secret: s } = out;
  return { username, password, token, url, secret: s };
}

export type CredentialsRead =
  | { ok: true; credentials: Credentials; secretVersion: string; secret: SecretObject }
  | { ok: false; reason: "NoCredentialsSecret" | "SecretNotFound"; message: string };

/** The credentials Secret of an Integration, read from `namespace` (the Integration's) only. */
export async function readIntegrationCredentials(kube: Pick<KubePort, "get">, namespace: string, spec: Pick<IntegrationSpec, "type" | "credentialsSecretRef">): Promise<CredentialsRead> {
  const name = spec.credentialsSecretRef?.name;
  if (!name) return { ok: false, reason: "NoCredentialsSecret", message: `type ${spec.type} needs spec.credentialsSecretRef (a Secret in namespace ${namespace})` };
  const secret = await kube.get<SecretObject>(Resources.Secret, namespace, name);
  if (!secret) return { ok: false, reason: "SecretNotFound", message: `Secret ${name} not found in namespace ${namespace}` };
  return { ok: true, credentials: decodeSecret(secret), secretVersion: secret.metadata.resourceVersion ?? "", secret };
}

/**
 * The outbox worker's view of Integrations: spec from the informer cache, credentials from the
 * Integration's own namespace (cached briefly; a changed Secret is picked up within `ttlMs`).
 */
export class InformerIntegrationResolver implements IntegrationResolver {
  private readonly secrets = new Map<string, { at: number; read: Extract<CredentialsRead, { ok: true }> }>();

  constructor(
    private readonly kube: Pick<KubePort, "get">,
    private readonly informer: Informer<IntegrationResource & KubeObject>,
    private readonly clock: Clock,
    private readonly ttlMs = 30_000,
  ) {}

  invalidate(namespace: string, name: string): void {
    const ref = (this.informer.get(namespace, name)?.spec as { credentialsSecretRef?: { name?: string } } | undefined)?.credentialsSecretRef?.name;
    this.secrets.delete(`${namespace}/${ref ?? ""}`);
  }

  async resolve(namespace: string, name: string): Promise<ResolvedIntegration> {
    const obj = this.informer.get(namespace, name);
    if (!obj) throw new IntegrationUnavailableError(`Integration ${name} not found in namespace ${namespace}`);
    const parsed = IntegrationSpec.safeParse(obj.spec ?? {});
    if (!parsed.success) throw new IntegrationUnavailableError(`Integration ${namespace}/${name} has an invalid spec: ${parsed.error.issues[0]?.message ?? "invalid"}`);
    const spec = parsed.data;
    const key = `${namespace}/${spec.credentialsSecretRef?.name ?? ""}`;
    const now = this.clock.now().getTime();
    let cached = this.secrets.get(key);
    if (!cached || now - cached.at > this.ttlMs) {
      const read = await readIntegrationCredentials(this.kube, namespace, spec);
      if (!read.ok) throw new IntegrationUnavailableError(`Integration ${namespace}/${name}: ${read.message}`);
      cached = { at: now, read };
      this.secrets.set(key, cached);
    }
    return { spec, credentials: cached.read.credentials, version: `${obj.metadata.uid ?? ""}/${obj.metadata.generation ?? 0}/${cached.read.secretVersion}` };
  }
}
