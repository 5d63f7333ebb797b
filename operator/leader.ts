// Lease-based leader election, modelled on client-go's: the holder renews every retryPeriod; a
// candidate takes over only once the Lease has not changed for leaseDuration as seen by ITS OWN
// clock (observed time, so clock skew between replicas does not matter); a leader that cannot
// renew within renewDeadline stops leading. Updates are guarded by resourceVersion.
import type { Clock } from "./clock.js";
import { ConflictError, KubeApiError, errorMessage } from "./errors.js";
import { Resources, type KubeObject, type KubePort } from "./kube/port.js";
import type { Logger } from "./logger.js";

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

type Lease = KubeObject & { spec?: LeaseSpec };

const microTime = (d: Date) => d.toISOString().replace("Z", "000Z");

export class LeaderElector {
  private leading = false;
  private stopped = false;
  private observedRecord = "";
  private observedAt = 0;
  private lastRenew = 0;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly kube: KubePort,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: LeaderElectionOptions,
    private readonly callbacks: { onStartedLeading: () => void; onStoppedLeading: () => void; onNewLeader?: (id: string) => void },
  ) {}

  isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const ok = await this.tryAcquireOrRenew().catch((err: unknown) => {
        this.log.warn({ err: errorMessage(err) }, "leader election: lease update failed");
        return false;
      });
      const now = this.clock.now().getTime();
      if (ok) {
        this.lastRenew = now;
        if (!this.leading && !this.stopped) {
          this.leading = true;
          this.log.info({ identity: this.opts.identity }, "became leader");
          this.callbacks.onStartedLeading();
        }
      } else if (this.leading && now - this.lastRenew >= this.opts.renewDeadlineMs) {
        this.loseLeadership("could not renew the lease within the renew deadline");
      }
      if (this.stopped) break;
      await new Promise<void>((r) => {
        this.wake = r;
        // Jitter the candidates' retries so they do not stampede the API server together.
        const delay = this.leading ? this.opts.retryPeriodMs : this.opts.retryPeriodMs * (1 + Math.random() * 0.2);
        this.timer = setTimeout(r, delay);
      });
    }
  }

  private loseLeadership(why: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.log.warn({ identity: this.opts.identity, why }, "stopped leading");
    this.callbacks.onStoppedLeading();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock.now();
    const { namespace, name, identity } = this.opts;
    const leaseSeconds = Math.ceil(this.opts.leaseDurationMs / 1000);
    const current = await this.kube.get<Lease>(Resources.Lease, namespace, name);
    if (!current) {
      try {
        await this.kube.create(Resources.Lease, {
          metadata: { name, namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds: leaseSeconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
        });
        return true;
      } catch (err) {
        if (err instanceof ConflictError || (err instanceof KubeApiError && err.status === 409)) return false;
        throw err;
      }
    }
    const spec = current.spec ?? {};
    const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.leaseTransitions]);
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAt = now.getTime();
      if (spec.holderIdentity && spec.holderIdentity !== identity) this.callbacks.onNewLeader?.(spec.holderIdentity);
    }
    const holder = spec.holderIdentity ?? "";
    const duration = (spec.leaseDurationSeconds ?? leaseSeconds) * 1000;
    const heldByOther = holder !== "" && holder !== identity;
    if (heldByOther && this.observedAt + duration > now.getTime()) {
      if (this.leading) this.loseLeadership(`lease is held by ${holder}`);
      return false;
    }
    const next: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: leaseSeconds,
      acquireTime: holder === identity ? spec.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: holder === identity ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
    };
    try {
      const updated = await this.kube.replace<Lease>(Resources.Lease, { ...current, spec: next });
      const s = updated.spec ?? {};
      this.observedRecord = JSON.stringify([s.holderIdentity, s.renewTime, s.leaseTransitions]);
      this.observedAt = now.getTime();
      return true;
    } catch (err) {
      if (err instanceof ConflictError) return false;
      throw err;
    }
  }

  /** Stop campaigning; if leading, release the Lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    await this.loop?.catch(() => {});
    if (!this.leading) return;
    this.leading = false;
    this.callbacks.onStoppedLeading();
    try {
      const current = await this.kube.get<Lease>(Resources.Lease, this.opts.namespace, this.opts.name);
      if (current?.spec?.holderIdentity === this.opts.identity) {
        await this.kube.replace(Resources.Lease, {
          ...current,
          spec: { ...current.spec, holderIdentity: null, leaseDurationSeconds: 1, renewTime: microTime(this.clock.now()) },
        });
      }
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, "could not release the lease");
    }
  }
}
