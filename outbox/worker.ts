// OutboxWorker: delivers outbox rows to the ALMs (leader only; see operator/main.ts). It writes only to
// PostgreSQL (outbox rows, ticket links); the RemediationTask controller projects the result into task
// status when told through `onChange`.
//
// - Claims with FOR UPDATE SKIP LOCKED and a lease (outbox/store.ts), as many rows as it has free slots.
// - Per integration: a token bucket (spec.rateLimit) and a circuit breaker; an integration that is
//   saturated, rate limited or open is simply not claimed from, so one slow ALM never holds slots or
//   rows the others could use.
// - Exactly once: a create first looks the ticket up by its idempotency key (written into the ticket),
//   so a retry after a crash, a timeout or a lost response finds the ticket instead of making another.
// - Retry-After is honoured (for the row and the whole integration); other transient failures back off
//   exponentially with jitter; after `maxAttempts` failures, or at once for a permanent error, the row
//   is dead-lettered with its last error.
import type pg from "pg";
import type { IntegrationSpec } from "../api/v1alpha1/index.js";
import { AuthError, CircuitBreaker, ConnectorError, RateLimitedError, TokenBucket, createTicketConnector, type Credentials, type TicketConnector, type Timeouts } from "../connectors/index.js";
import type { Clock } from "../operator/clock.js";
import { errorMessage } from "../operator/errors.js";
import type { Logger } from "../operator/logger.js";
import type { OperatorMetrics } from "../operator/metrics.js";
import { DEFAULT_BACKOFF, retryDelayMs, type BackoffPolicy } from "./backoff.js";
import { claim, createIsDead, defer, markDelivered, markFailed, parseComment, parseCreate, parseSetState, ticketLink, type OutboxRow, type TicketLink } from "./store.js";

/** An Integration as the worker needs it; `version` changes when the spec or the Secret changes. */
export interface ResolvedIntegration {
  spec: IntegrationSpec;
  credentials: Credentials;
  version: string;
}

/** Thrown by a resolver when the Integration cannot be used (missing, invalid, no Secret). */
export class IntegrationUnavailableError extends Error {
  override readonly name = "IntegrationUnavailableError";
}

export interface IntegrationResolver {
  /** The Integration `name` of `namespace`, with credentials from a Secret of that same namespace. */
  resolve(namespace: string, name: string): Promise<ResolvedIntegration>;
  /** Forget cached credentials (the ALM rejected them; the Secret may have been fixed since). */
  invalidate?(namespace: string, name: string): void;
}

export interface OutboxWorkerOptions {
  pool: pg.Pool;
  resolver: IntegrationResolver;
  clock: Clock;
  log: Logger;
  metrics: Pick<OperatorMetrics, "outboxDeliveries" | "outboxDeliverySeconds" | "outboxDeadLetters">;
  /** Only this namespace's rows (an operator that watches one namespace). */
  namespace?: string;
  /** Rows in flight at once, over all integrations. */
  concurrency?: number;
  /** Rows in flight at once per integration. */
  perIntegration?: number;
  maxAttempts?: number;
  backoff?: BackoffPolicy;
  /**
   * How long a claim holds a row. It must exceed the longest delivery (a few requests, each bounded by
   * the connector timeouts): a row whose worker died comes back after it, and by then any request the
   * dead worker sent has long been answered, so the lookup by idempotency key sees its ticket.
   */
  leaseMs?: number;
  pollMs?: number;
  random?: () => number;
  /** A row of this task was delivered or dead-lettered: the task's status should be refreshed. */
  onChange?: (namespace: string, task: string) => void;
  /** Circuit breaker settings per integration. */
  circuit?: { failureThreshold?: number; coolDownMs?: number };
  /** Per-request ALM timeouts for the connectors the worker builds. */
  timeouts?: Partial<Timeouts>;
  /** Connector construction (tests inject a dispatcher through this). */
  connect?: (spec: IntegrationSpec, credentials: Credentials) => TicketConnector;
}

interface IntegrationState {
  version: string;
  connector: TicketConnector;
  bucket: TokenBucket;
  circuit: CircuitBreaker;
  /** Epoch ms before which no row of this integration is claimed. */
  notBefore: number;
}

/** Waiting for the create of the same (task, integration): not an attempt. */
class NotYetError extends Error {}

export class OutboxWorker {
  private readonly o: Required<Omit<OutboxWorkerOptions, "namespace" | "onChange" | "circuit" | "connect" | "timeouts">> & Pick<OutboxWorkerOptions, "namespace" | "onChange" | "circuit" | "timeouts">;
  private readonly connect: (spec: IntegrationSpec, credentials: Credentials) => TicketConnector;
  private readonly integrations = new Map<string, IntegrationState>();
  private readonly resolving = new Map<string, Promise<IntegrationState>>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Ids of rows being delivered by this worker: never claimed twice, even if a lease ran out. */
  private readonly rowsInFlight = new Set<string>();
  /** Rows launched and not finished, per `namespace/integration` (the per-integration cap counts these). */
  private readonly launched = new Map<string, number>();
  private running = false;
  private loop: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  /** Each start() runs one claim loop; a loop from before a stop() never resumes. */
  private generation = 0;
  private wake: (() => void) | undefined;

  constructor(opts: OutboxWorkerOptions) {
    this.o = {
      concurrency: 32,
      perIntegration: 8,
      maxAttempts: 10,
      backoff: DEFAULT_BACKOFF,
      leaseMs: 120_000,
      pollMs: 250,
      random: Math.random,
      ...opts,
    };
    this.connect = opts.connect ?? ((spec, credentials) => createTicketConnector(spec, credentials, { clock: opts.clock, log: opts.log, ...(opts.timeouts ? { timeouts: opts.timeouts } : {}) }));
    if (this.o.concurrency < 1 || this.o.perIntegration < 1 || this.o.maxAttempts < 1) throw new RangeError("concurrency, perIntegration and maxAttempts must be >= 1");
  }

  /** Starts claiming (again); a stop still winding down finishes first, so no connector is closed under us. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const gen = ++this.generation;
    const previous = this.stopping;
    this.loop = (async () => {
      await previous;
      await this.run(gen);
    })();
  }

  /** New rows were queued: look now rather than at the next poll. */
  nudge(): void {
    this.wake?.();
  }

  /** Stops claiming, waits for deliveries in flight, closes connectors. */
  async stop(): Promise<void> {
    if (!this.running) return this.stopping;
    this.running = false;
    this.generation++;
    this.nudge();
    const loop = this.loop;
    this.stopping = (async () => {
      await loop;
      await Promise.allSettled([...this.inFlight]);
      for (const s of this.integrations.values()) await s.connector.close().catch(() => {});
      this.integrations.clear();
    })();
    return this.stopping;
  }

  get busy(): number {
    return this.inFlight.size;
  }

  private async run(gen: number): Promise<void> {
    const live = () => this.running && gen === this.generation;
    while (live()) {
      let claimed = 0;
      const free = this.o.concurrency - this.inFlight.size;
      if (free > 0) {
        try {
          const rows = await claim(this.o.pool, {
            limit: free,
            leaseMs: this.o.leaseMs,
            exclude: this.excluded(),
            skipIds: [...this.rowsInFlight],
            quota: (key) => this.o.perIntegration - (this.launched.get(key) ?? 0),
            ...(this.o.namespace ? { namespace: this.o.namespace } : {}),
          });
          claimed = rows.length;
          for (const row of rows) this.launch(row);
        } catch (err) {
          this.o.log.warn({ err: errorMessage(err) }, "outbox claim failed; retrying");
        }
      }
      // A full batch means more may be waiting: claim again as soon as a slot frees up.
      if (!live()) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, claimed > 0 && claimed === free ? 5 : this.o.pollMs);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  private excluded(): string[] {
    const now = this.o.clock.now().getTime();
    const out: string[] = [];
    for (const [key, s] of this.integrations) if (s.notBefore > now) out.push(key);
    for (const [key, n] of this.launched) if (n >= this.o.perIntegration && !out.includes(key)) out.push(key);
    return out;
  }

  private launch(row: OutboxRow): void {
    const key = `${row.namespace}/${row.integration}`;
    this.launched.set(key, (this.launched.get(key) ?? 0) + 1);
    this.rowsInFlight.add(row.id);
    const p = this.process(row)
      .catch((err: unknown) => this.o.log.error({ err: errorMessage(err), outbox: row.id }, "outbox row handling failed; it comes back when its lease ends"))
      .finally(() => {
        this.rowsInFlight.delete(row.id);
        const left = (this.launched.get(key) ?? 1) - 1;
        if (left > 0) this.launched.set(key, left);
        else this.launched.delete(key);
        this.inFlight.delete(p);
        this.nudge();
      });
    this.inFlight.add(p);
  }

  private async state(namespace: string, name: string): Promise<IntegrationState> {
    const key = `${namespace}/${name}`;
    const resolved = await this.o.resolver.resolve(namespace, name);
    const have = this.integrations.get(key);
    if (have && have.version === resolved.version) return have;
    let pending = this.resolving.get(key);
    if (!pending) {
      pending = (async () => {
        const connector = this.connect(resolved.spec, resolved.credentials);
        const next: IntegrationState = {
          version: resolved.version,
          connector,
          bucket: TokenBucket.fromSpec(resolved.spec.rateLimit, this.o.clock),
          circuit: have?.circuit ?? new CircuitBreaker(this.o.clock, this.o.circuit ?? {}),
          notBefore: have?.notBefore ?? 0,
        };
        this.integrations.set(key, next);
        // Requests already in flight on the old connector finish first.
        if (have) setTimeout(() => void have.connector.close().catch(() => {}), this.o.leaseMs).unref();
        return next;
      })().finally(() => this.resolving.delete(key));
      this.resolving.set(key, pending);
    }
    return pending;
  }

  private async process(row: OutboxRow): Promise<void> {
    const { metrics, log } = this.o;
    let s: IntegrationState;
    try {
      s = await this.state(row.namespace, row.integration);
    } catch (err) {
      await this.fail(row, err, undefined);
      return;
    }
    // Updates need the ticket: wait for the create first (not an attempt, and no ALM call spent).
    let link: TicketLink | undefined;
    if (row.operation !== "create") {
      try {
        link = await this.linkOrWait(row);
      } catch (err) {
        if (err instanceof NotYetError) await defer(this.o.pool, row.id, 1000);
        else await this.fail(row, err, s);
        return;
      }
    }
    const now = this.o.clock.now().getTime();
    const slot = s.bucket.tryTake();
    if (!slot.ok) {
      s.notBefore = Math.max(s.notBefore, now + slot.waitMs);
      metrics.outboxDeliveries.inc({ operation: row.operation, result: "deferred" });
      await defer(this.o.pool, row.id, slot.waitMs);
      return;
    }
    const gate = s.circuit.tryAcquire();
    if (!gate.allowed) {
      s.notBefore = Math.max(s.notBefore, now + gate.retryInMs);
      metrics.outboxDeliveries.inc({ operation: row.operation, result: "deferred" });
      await defer(this.o.pool, row.id, gate.retryInMs, `circuit open for integration ${row.integration}`);
      return;
    }
    try {
      const ticket = await this.deliver(row, s.connector, link);
      s.circuit.onSuccess();
      await markDelivered(this.o.pool, row, ticket);
      metrics.outboxDeliveries.inc({ operation: row.operation, result: "delivered" });
      metrics.outboxDeliverySeconds.observe({ operation: row.operation }, Math.max(0, (this.o.clock.now().getTime() - new Date(row.created_at).getTime()) / 1000));
      this.o.onChange?.(row.namespace, row.task);
    } catch (err) {
      s.circuit.onFailure(err);
      if (err instanceof AuthError) this.o.resolver.invalidate?.(row.namespace, row.integration);
      if (err instanceof RateLimitedError) s.notBefore = Math.max(s.notBefore, this.o.clock.now().getTime() + err.retryAfterMs);
      log.debug({ err: errorMessage(err), outbox: row.id, integration: row.integration }, "outbox delivery failed");
      await this.fail(row, err, s);
    }
  }

  private async deliver(row: OutboxRow, c: TicketConnector, link: TicketLink | undefined) {
    switch (row.operation) {
      case "create": {
        const draft = parseCreate(row);
        return (await c.findByIdempotencyKey(draft.idempotencyKey)) ?? (await c.create(draft));
      }
      case "set_state": {
        const { target, comment } = parseSetState(row);
        return c.setState(link!.ticket_ref, target, comment);
      }
      case "comment": {
        await c.comment(link!.ticket_ref, parseComment(row));
        return undefined;
      }
    }
  }

  private async linkOrWait(row: OutboxRow): Promise<TicketLink> {
    const link = await ticketLink(this.o.pool, row.namespace, row.task, row.integration);
    if (link) return link;
    if (await createIsDead(this.o.pool, row.namespace, row.task, row.integration)) {
      throw new IntegrationUnavailableError(`the ticket for task ${row.task} in integration ${row.integration} was never created (its create is dead-lettered)`);
    }
    throw new NotYetError("waiting for the ticket to be created");
  }

  private async fail(row: OutboxRow, err: unknown, s: IntegrationState | undefined): Promise<void> {
    const { metrics } = this.o;
    const message = errorMessage(err);
    if (err instanceof RateLimitedError) {
      // The ALM said when: not counted as an attempt.
      s?.bucket.pauseFor(err.retryAfterMs);
      metrics.outboxDeliveries.inc({ operation: row.operation, result: "rate_limited" });
      await defer(this.o.pool, row.id, retryDelayMs(1, this.o.backoff, this.o.random, err.retryAfterMs), message);
      return;
    }
    // Connector errors say whether a retry can help; other errors (integration missing, a network error
    // below the connector) may go away, so they are retried until the attempts run out.
    const retryable = err instanceof ConnectorError ? err.retryable : !(err instanceof IntegrationUnavailableError) || row.operation === "create";
    const attempt = row.attempts + 1;
    if (!retryable || attempt >= this.o.maxAttempts) {
      metrics.outboxDeliveries.inc({ operation: row.operation, result: "dead" });
      metrics.outboxDeadLetters.inc({ operation: row.operation });
      this.o.log.warn({ outbox: row.id, task: `${row.namespace}/${row.task}`, integration: row.integration, attempts: attempt, err: message }, "outbox row dead-lettered");
      await markFailed(this.o.pool, row.id, message, { dead: true });
      this.o.onChange?.(row.namespace, row.task);
      return;
    }
    metrics.outboxDeliveries.inc({ operation: row.operation, result: "retry" });
    await markFailed(this.o.pool, row.id, message, { dead: false, delayMs: retryDelayMs(attempt, this.o.backoff, this.o.random) });
    // The first failure already shows in the task's status (tickets[].lastError).
    if (attempt === 1) this.o.onChange?.(row.namespace, row.task);
  }
}
