// Keeps the operator's EPSS and KEV snapshots current.
//
// - The leader fetches each feed from its source (URL on the refresh interval; file and ConfigMap on
//   every poll, so an air-gapped update is picked up within a poll) and stores a new version in
//   PostgreSQL.
// - Every replica loads the newest stored version from its configured source on every poll, so the
//   controllers (leader) and the admission index (all replicas) decide with the same data.
// - A feed that cannot be fetched keeps the last good snapshot; a feed never fetched is absent, which
//   lowers decision confidence but never fails a decision.
import { Counter, Gauge, type Registry } from "prom-client";
import type pg from "pg";
import type { Dispatcher } from "undici";
import { decodeFeed, type EpssSnapshot, type FeedName, type FeedSnapshots, type KevSnapshot } from "../engine/index.js";
import { systemTimers, type Clock, type Timers } from "../operator/clock.js";
import { errorMessage } from "../operator/errors.js";
import type { KubePort } from "../operator/kube/port.js";
import type { Logger } from "../operator/logger.js";
import { fetchFeed } from "./fetch.js";
import { describeFeedSource, type FeedSource } from "./source.js";
import { latestFeedHead, loadFeedBody, saveFeedSnapshot } from "./store.js";

export const FEEDS: readonly FeedName[] = ["epss", "kev"];

/** What controllers and admission read: the current snapshots, and a signal when they change. */
export interface FeedView {
  current(): FeedSnapshots;
  /** Called after a snapshot was replaced (a new version was loaded). */
  onChange(listener: () => void): void;
}

/** A FeedView that never changes (tests, CLI-like callers). */
export const staticFeeds = (snapshots: FeedSnapshots = {}): FeedView => ({ current: () => snapshots, onChange: () => {} });

export interface FeedStatus {
  source: string;
  version?: string;
  entries?: number;
  fetchedAt?: string;
  lastError?: string;
}

export interface FeedManagerOptions {
  pool: pg.Pool;
  kube: Pick<KubePort, "get">;
  log: Logger;
  clock: Clock;
  sources: Readonly<Record<FeedName, FeedSource>>;
  /** How old a URL feed may get before the leader fetches it again. */
  refreshMs: number;
  /** How often every replica checks the store (and the leader re-reads file/ConfigMap sources). */
  pollMs: number;
  registry?: Registry;
  timers?: Timers;
  dispatcher?: Dispatcher;
}

type Snapshot = EpssSnapshot | KevSnapshot;

export class FeedManager implements FeedView {
  private readonly snaps: { epss?: EpssSnapshot; kev?: KevSnapshot } = {};
  private view: FeedSnapshots = {};
  private readonly listeners: (() => void)[] = [];
  /** sha256 of the bytes last stored per feed (skip decoding what did not change). */
  private readonly lastSha = new Map<FeedName, string>();
  private readonly lastError = new Map<FeedName, string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private isLeader: () => boolean = () => false;
  private readonly metrics?: { entries: Gauge<"feed">; fetchedAt: Gauge<"feed">; errors: Counter<"feed">; loads: Counter<"feed"> };

  constructor(private readonly opts: FeedManagerOptions) {
    if (opts.registry) {
      const r = [opts.registry];
      this.metrics = {
        entries: new Gauge({ name: "fixops_feed_entries", help: "Entries in the feed snapshot in use", labelNames: ["feed"], registers: r }),
        fetchedAt: new Gauge({ name: "fixops_feed_fetched_timestamp_seconds", help: "When the snapshot in use was fetched", labelNames: ["feed"], registers: r }),
        errors: new Counter({ name: "fixops_feed_refresh_errors_total", help: "Failed feed fetches or parses", labelNames: ["feed"], registers: r }),
        loads: new Counter({ name: "fixops_feed_loads_total", help: "New feed versions taken into use", labelNames: ["feed"], registers: r }),
      };
    }
  }

  current(): FeedSnapshots {
    return this.view;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  status(): Record<FeedName, FeedStatus> {
    const out = {} as Record<FeedName, FeedStatus>;
    for (const feed of FEEDS) {
      const s = this.snaps[feed];
      const err = this.lastError.get(feed);
      out[feed] = { source: describeFeedSource(this.opts.sources[feed]), ...(s ? { version: s.version, entries: s.count } : {}), ...(err ? { lastError: err } : {}) };
    }
    return out;
  }

  /**
   * Leader work: fetch each feed whose source is due and store a new version. Returns the feeds it
   * could not fetch, with why (the last good snapshot stays in use).
   */
  async refresh(force = false): Promise<Partial<Record<FeedName, string>>> {
    const failed: Partial<Record<FeedName, string>> = {};
    const now = this.opts.clock.now();
    for (const feed of FEEDS) {
      const source = this.opts.sources[feed];
      if (source.kind === "none") continue;
      const where = describeFeedSource(source);
      try {
        if (source.kind === "url" && !force) {
          const head = await latestFeedHead(this.opts.pool, feed, where);
          if (head && now.getTime() - head.fetchedAt.getTime() < this.opts.refreshMs) continue;
        }
        const got = await fetchFeed(feed, source, { kube: this.opts.kube, ...(this.opts.dispatcher ? { dispatcher: this.opts.dispatcher } : {}) });
        if (this.lastSha.get(feed) === got.sha256 && source.kind !== "url") {
          this.lastError.delete(feed);
          continue;
        }
        const snap = decodeFeed(feed, got.bytes);
        await saveFeedSnapshot(this.opts.pool, feed, snap.version, where, snap.count, got.bytes, now);
        this.lastSha.set(feed, got.sha256);
        this.lastError.delete(feed);
        this.opts.log.info({ feed, version: snap.version, entries: snap.count, source: where }, "feed fetched");
      } catch (err) {
        const message = errorMessage(err);
        failed[feed] = message;
        if (this.lastError.get(feed) !== message) this.opts.log.warn({ feed, source: where, err: message }, "feed refresh failed; keeping the last good snapshot");
        this.lastError.set(feed, message);
        this.metrics?.errors.inc({ feed });
      }
    }
    return failed;
  }

  /** Every replica: take the newest stored version of each feed into use. True when anything changed. */
  async load(): Promise<boolean> {
    let changed = false;
    for (const feed of FEEDS) {
      const source = this.opts.sources[feed];
      if (source.kind === "none") continue;
      const head = await latestFeedHead(this.opts.pool, feed, describeFeedSource(source));
      if (!head || this.snaps[feed]?.version === head.version) continue;
      const body = await loadFeedBody(this.opts.pool, feed, head.version);
      if (!body) continue;
      let snap: Snapshot;
      try {
        snap = decodeFeed(feed, body);
      } catch (err) {
        this.opts.log.error({ feed, version: head.version, err: errorMessage(err) }, "stored feed snapshot does not parse");
        continue;
      }
      if (feed === "epss") this.snaps.epss = snap as EpssSnapshot;
      else this.snaps.kev = snap as KevSnapshot;
      this.metrics?.entries.set({ feed }, snap.count);
      this.metrics?.fetchedAt.set({ feed }, head.fetchedAt.getTime() / 1000);
      this.metrics?.loads.inc({ feed });
      this.opts.log.info({ feed, version: snap.version, entries: snap.count }, "feed snapshot in use");
      changed = true;
    }
    if (changed) {
      this.view = { ...(this.snaps.epss ? { epss: this.snaps.epss } : {}), ...(this.snaps.kev ? { kev: this.snaps.kev } : {}) };
      for (const l of this.listeners) {
        try {
          l();
        } catch (err) {
          this.opts.log.error({ err: errorMessage(err) }, "feed change listener failed");
        }
      }
    }
    return changed;
  }

  /** One poll: refresh (leader only), then load. Never throws. */
  async poll(): Promise<void> {
    // One poll at a time: a slow download must not overlap the next tick.
    this.running ??= (async () => {
      try {
        if (this.isLeader()) await this.refresh();
        await this.load();
      } catch (err) {
        this.opts.log.warn({ err: errorMessage(err) }, "feed poll failed");
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** Polls now and then every pollMs. */
  start(isLeader: () => boolean): void {
    this.isLeader = isLeader;
    this.stopped = false;
    const timers = this.opts.timers ?? systemTimers;
    const loop = () => {
      void this.poll().then(() => {
        if (!this.stopped) this.timer = timers.setTimeout(loop, this.opts.pollMs);
      });
    };
    loop();
  }

  /** The leader changed: poll now instead of waiting for the next tick. */
  nudge(): void {
    if (!this.stopped) void this.poll();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) (this.opts.timers ?? systemTimers).clearTimeout(this.timer);
    await this.running;
  }
}
