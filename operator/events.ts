// Kubernetes Events for state changes a person cares about. Repeats of the same (object, reason,
// message) within the aggregation window bump the count of one Event instead of creating more.
import { randomBytes } from "node:crypto";
import type { Clock } from "./clock.js";
import type { KubeObject, KubePort } from "./kube/port.js";
import { Resources } from "./kube/port.js";
import type { Logger } from "./logger.js";

export type EventType = "Normal" | "Warning";

export interface EventRecorder {
  record(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void>;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
  at: number;
}

export class KubeEventRecorder implements EventRecorder {
  private readonly seen = new Map<string, Seen>();

  constructor(
    private readonly kube: KubePort,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly component = "fixops-operator",
    private readonly windowMs = 10 * 60_000,
    private readonly maxTracked = 4096,
  ) {}

  async record(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const namespace = obj.metadata.namespace ?? "default";
    const now = this.clock.now();
    const ts = now.toISOString().replace(/\.\d{3}Z$/, "Z");
    const msg = message.length > 1024 ? `${message.slice(0, 1021)}...` : message;
    const id = `${obj.metadata.uid ?? obj.metadata.name}|${type}|${reason}|${msg}`;
    const prev = this.seen.get(id);
    try {
      if (prev && now.getTime() - prev.at < this.windowMs) {
        prev.count += 1;
        prev.at = now.getTime();
        await this.kube.mergePatch(Resources.Event, prev.namespace, prev.name, { count: prev.count, lastTimestamp: ts });
        return;
      }
      const name = `${obj.metadata.name}.${randomBytes(8).toString("hex")}`.slice(0, 253);
      await this.kube.create(Resources.Event, {
        metadata: { name, namespace },
        involvedObject: {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          name: obj.metadata.name,
          namespace: obj.metadata.namespace,
          uid: obj.metadata.uid,
          resourceVersion: obj.metadata.resourceVersion,
        },
        reason,
        message: msg,
        type,
        source: { component: this.component },
        reportingComponent: this.component,
        firstTimestamp: ts,
        lastTimestamp: ts,
        count: 1,
      });
      if (this.seen.size >= this.maxTracked) this.seen.delete(this.seen.keys().next().value as string);
      this.seen.set(id, { name, namespace, count: 1, firstTimestamp: ts, at: now.getTime() });
    } catch (err) {
      // Events are best effort: losing one must never fail a reconcile.
      this.log.warn({ err: String(err), reason, object: `${namespace}/${obj.metadata.name}` }, "could not record event");
    }
  }
}
