// Applies the inbound ALM webhooks every replica's endpoint queued (webhooks/inbound/deliveries.ts), on
// the leader only, oldest first, and tells the RemediationTask controller which tasks changed. A row is
// claimed with a lease: a processor that dies mid-row leaves it to the next one. A row that keeps failing
// is closed after MAX_ATTEMPTS with its error as the outcome, so it cannot block the queue.
import type pg from "pg";
import { errorMessage } from "../../operator/errors.js";
import type { Logger } from "../../operator/logger.js";
import { claimDeliveries, finishDelivery, type PendingDelivery } from "../../webhooks/inbound/deliveries.js";
import { applyAlmState } from "../../remediation/alm.js";

const MAX_ATTEMPTS = 5;

export interface InboundProcessorOptions {
  pool: pg.Pool;
  log: Logger;
  /** Only this namespace's deliveries (an operator that watches one namespace). */
  namespace?: string;
  taskChanged?: (namespace: string, task: string) => void;
  pollMs?: number;
  batch?: number;
  leaseMs?: number;
}

export class InboundProcessor {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private pending = false;

  constructor(private readonly o: InboundProcessorOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.nudge();
    await this.loop;
  }

  /** A delivery was queued: look now rather than at the next poll. */
  nudge(): void {
    this.pending = true;
    this.wake?.();
  }

  /** Applies what is queued now; returns how many deliveries were handled. */
  async drain(): Promise<number> {
    let handled = 0;
    for (;;) {
      const rows = await claimDeliveries(this.o.pool, this.o.batch ?? 50, this.o.leaseMs ?? 60_000, this.o.namespace);
      if (rows.length === 0) return handled;
      for (const row of rows) {
        await this.apply(row);
        handled++;
      }
    }
  }

  private async apply(row: PendingDelivery): Promise<void> {
    const e = row.event;
    try {
      const r = await applyAlmState(this.o.pool, {
        namespace: row.namespace,
        integration: row.integration,
        ticketRef: e.ticketKey,
        category: e.category,
        rawState: e.rawState,
        actor: e.actor,
        selfInflicted: row.self_inflicted,
        stateChanged: e.stateChanged,
        source: "webhook",
      });
      await finishDelivery(this.o.pool, row, r.outcome);
      if (r.task) this.o.taskChanged?.(row.namespace, r.task);
      this.o.log.debug({ integration: `${row.namespace}/${row.integration}`, delivery: row.delivery_id, outcome: r.outcome }, "inbound webhook applied");
    } catch (err) {
      const message = errorMessage(err);
      this.o.log.warn({ integration: `${row.namespace}/${row.integration}`, delivery: row.delivery_id, attempts: row.attempts, err: message }, "could not apply an inbound webhook");
      // Left claimed: it comes back when the lease ends, unless it has failed too often.
      if (row.attempts >= MAX_ATTEMPTS) await finishDelivery(this.o.pool, row, `failed: ${message}`).catch(() => {});
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.pending = false;
      try {
        await this.drain();
      } catch (err) {
        this.o.log.warn({ err: errorMessage(err) }, "inbound webhook queue unavailable; retrying");
      }
      if (!this.running) break;
      if (this.pending) continue;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.o.pollMs ?? 1_000);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}
