// The real KubePort: @kubernetes/client-node for configuration and credentials, one undici request
// function for every REST call (the single seam), and kubernetes-fluent-client watchers for
// informers (list + watch with jittered relist/resync).
import { KubeConfig } from "@kubernetes/client-node";
import { GenericKind, K8s, RegisterKind, WatchEvent } from "kubernetes-fluent-client";
import type { RequestOptions } from "node:https";
import { Agent, request } from "undici";
import { ConflictError, KubeApiError } from "../errors.js";
import type { Logger } from "../logger.js";
import { apiVersionOf, objectKey, type Informer, type KubeObject, type KubePort, type ResourceType, type WatchEventType } from "./port.js";

export interface KubeClientOptions {
  kubeconfigPath?: string;
  fieldManager: string;
  log: Logger;
  /** Per-request timeout. */
  timeoutMs?: number;
}

export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  if (!kc.getCurrentCluster()) throw new Error("kubeconfig has no current cluster");
  return kc;
}

function resourcePath(res: ResourceType, namespace: string | undefined, name?: string, sub?: string): string {
  const base = res.group ? `/apis/${res.group}/${res.version}` : `/api/${res.version}`;
  const ns = res.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  return `${base}${ns}/${res.plural}${name ? `/${encodeURIComponent(name)}` : ""}${sub ? `/${sub}` : ""}`;
}

export class KubeClient implements KubePort {
  private readonly server: string;
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly informers: Informer[] = [];

  private constructor(
    private readonly kc: KubeConfig,
    private readonly tls: RequestOptions,
    private readonly opts: KubeClientOptions,
  ) {
    this.server = kc.getCurrentCluster()!.server.replace(/\/$/, "");
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.agent = new Agent({
      connect: {
        ca: tls.ca as string | Buffer | undefined,
        cert: tls.cert as string | Buffer | undefined,
        key: tls.key as string | Buffer | undefined,
        rejectUnauthorized: tls.rejectUnauthorized !== false,
      },
      keepAliveTimeout: 30_000,
      connections: 32,
    });
  }

  static async create(opts: KubeClientOptions): Promise<KubeClient> {
    const kc = loadKubeConfig(opts.kubeconfigPath);
    // kubernetes-fluent-client always loads the default kubeconfig; point it at ours.
    if (opts.kubeconfigPath) process.env.KUBECONFIG = opts.kubeconfigPath;
    const tls: RequestOptions = {};
    await kc.applyToHTTPSOptions(tls);
    return new KubeClient(kc, tls, opts);
  }

  /** Every REST call goes through here. Errors become KubeApiError / ConflictError. */
  private async call<T>(method: string, path: string, body?: unknown, contentType = "application/json", query?: Record<string, string>): Promise<T | null> {
    const auth: RequestOptions = { headers: {} };
    await this.kc.applyToHTTPSOptions(auth); // re-read each time: projected tokens rotate
    const headers: Record<string, string> = { accept: "application/json" };
    for (const [k, v] of Object.entries(auth.headers ?? {})) if (typeof v === "string") headers[k.toLowerCase()] = v;
    if (body !== undefined) headers["content-type"] = contentType;
    const qs = query ? `?${new URLSearchParams(query).toString()}` : "";
    const res = await request(`${this.server}${path}${qs}`, {
      method: method as "GET",
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      dispatcher: this.agent,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
    const text = await res.body.text();
    if (res.statusCode === 404 && method === "GET") return null;
    if (res.statusCode >= 400) {
      let message = text.slice(0, 500);
      let reason: string | undefined;
      try {
        const st = JSON.parse(text) as { message?: string; reason?: string };
        message = st.message ?? message;
        reason = st.reason;
      } catch {
        /* not a Status object */
      }
      if (res.statusCode === 409) throw new ConflictError(`${method} ${path}: ${message}`);
      throw new KubeApiError(`${method} ${path}: ${res.statusCode} ${message}`, res.statusCode, reason);
    }
    return text ? (JSON.parse(text) as T) : null;
  }

  async get<T extends KubeObject>(res: ResourceType, namespace: string | undefined, name: string): Promise<T | null> {
    return this.call<T>("GET", resourcePath(res, namespace, name));
  }

  async list<T extends KubeObject>(res: ResourceType, namespace?: string, labelSelector?: string): Promise<T[]> {
    const items: T[] = [];
    let cont: string | undefined;
    do {
      const query: Record<string, string> = { limit: "500" };
      if (labelSelector) query.labelSelector = labelSelector;
      if (cont) query.continue = cont;
      const page = await this.call<{ items: T[]; metadata: { continue?: string } }>("GET", resourcePath(res, namespace), undefined, undefined, query);
      for (const it of page?.items ?? []) items.push({ ...it, apiVersion: apiVersionOf(res), kind: res.kind });
      cont = page?.metadata.continue || undefined;
    } while (cont);
    return items;
  }

  async create<T extends KubeObject>(res: ResourceType, obj: KubeObject): Promise<T> {
    const body = { apiVersion: apiVersionOf(res), kind: res.kind, ...obj };
    return (await this.call<T>("POST", resourcePath(res, obj.metadata.namespace), body, "application/json", { fieldManager: this.opts.fieldManager }))!;
  }

  async replace<T extends KubeObject>(res: ResourceType, obj: KubeObject): Promise<T> {
    const body = { apiVersion: apiVersionOf(res), kind: res.kind, ...obj };
    return (await this.call<T>("PUT", resourcePath(res, obj.metadata.namespace, obj.metadata.name), body, "application/json", {
      fieldManager: this.opts.fieldManager,
    }))!;
  }

  async mergePatch<T extends KubeObject>(res: ResourceType, namespace: string | undefined, name: string, patch: unknown): Promise<T> {
    return (await this.call<T>("PATCH", resourcePath(res, namespace, name), patch, "application/merge-patch+json", {
      fieldManager: this.opts.fieldManager,
    }))!;
  }

  async patchStatus<T extends KubeObject>(res: ResourceType, namespace: string, name: string, status: Record<string, unknown>, resourceVersion: string): Promise<T> {
    return (await this.call<T>(
      "PATCH",
      resourcePath(res, namespace, name, "status"),
      { metadata: { resourceVersion }, status },
      "application/merge-patch+json",
      { fieldManager: this.opts.fieldManager },
    ))!;
  }

  async delete(res: ResourceType, namespace: string | undefined, name: string): Promise<void> {
    try {
      await this.call("DELETE", resourcePath(res, namespace, name));
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return;
      throw err;
    }
  }

  informer<T extends KubeObject>(res: ResourceType, namespace?: string): Informer<T> {
    const inf = new FluentInformer<T>(res, namespace, this.opts.log);
    this.informers.push(inf as unknown as Informer);
    return inf;
  }

  close(): void {
    for (const i of this.informers) i.stop();
    void this.agent.close();
  }
}

const registered = new Map<string, typeof GenericKind>();
function modelFor(res: ResourceType): typeof GenericKind {
  const id = `${res.group}/${res.version}/${res.kind}`;
  let model = registered.get(id);
  if (!model) {
    model = class extends GenericKind {};
    Object.defineProperty(model, "name", { value: res.kind });
    RegisterKind(model, { group: res.group, version: res.version, kind: res.kind, plural: res.plural });
    registered.set(id, model);
  }
  return model;
}

/** An informer over kubernetes-fluent-client's Watcher. Handlers only see objects; they enqueue keys. */
class FluentInformer<T extends KubeObject> implements Informer<T> {
  readonly synced: Promise<void>;
  private readonly cache = new Map<string, T>();
  private readonly handlers: ((type: WatchEventType, obj: T) => void)[] = [];
  private isSynced = false;
  private stopped = false;
  private watcher: ReturnType<ReturnType<typeof K8s>["Watch"]> | undefined;

  constructor(
    readonly res: ResourceType,
    private readonly namespace: string | undefined,
    private readonly log: Logger,
  ) {
    let markSynced!: () => void;
    this.synced = new Promise((r) => (markSynced = r));
    const model = modelFor(res);
    const filters = namespace ? { namespace } : {};
    this.watcher = K8s(model, filters).Watch(
      (obj, phase) => this.apply(phase as WatchEventType, { ...(obj as unknown as T), apiVersion: apiVersionOf(res), kind: res.kind }),
      { resyncDelaySec: 5, relistIntervalSec: 300, lastSeenLimitSeconds: 300 },
    );
    this.watcher.events.on(WatchEvent.LIST, (list: { metadata?: { continue?: string } }) => {
      // Items of this page are delivered synchronously right after this event; mark synced after them.
      if (!list.metadata?.continue && !this.isSynced) {
        setImmediate(() => {
          this.isSynced = true;
          markSynced();
        });
      }
    });
    for (const ev of [WatchEvent.LIST_ERROR, WatchEvent.NETWORK_ERROR, WatchEvent.WATCH_ERROR, WatchEvent.DATA_ERROR, WatchEvent.GIVE_UP]) {
      this.watcher.events.on(ev, (err: unknown) => {
        if (!this.stopped) this.log.warn({ resource: res.plural, event: ev, err: String(err) }, "watch problem");
      });
    }
    void this.watcher.start().catch((err: unknown) => this.log.error({ resource: res.plural, err: String(err) }, "watch failed to start"));
  }

  private apply(type: WatchEventType, obj: T): void {
    if (this.stopped) return;
    const key = objectKey(obj);
    if (type === "DELETED") this.cache.delete(key);
    else this.cache.set(key, obj);
    for (const h of this.handlers) h(type, obj);
  }

  hasSynced(): boolean {
    return this.isSynced;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name);
  }

  list(namespace?: string): T[] {
    const all = [...this.cache.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  onEvent(handler: (type: WatchEventType, obj: T) => void): void {
    this.handlers.push(handler);
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.close();
  }
}
