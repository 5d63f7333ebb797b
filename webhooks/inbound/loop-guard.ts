// Loop guard: a ticket change FixOps made itself comes back as a webhook; acting on it again could push
// it back out (DefectDojo's "finding reopens itself"). Two independent signals, either is enough:
// the acting account is the integration's own (as checkCredentials reported it), or the event is the
// echo of a change we just made (same ticket, same category, within a short window) — the second covers
// identities we cannot know, such as a GitHub App installation bot.
import { ORIGIN_MARKER } from "../../connectors/idempotency.js";
import type { Category, Clock } from "../../connectors/types.js";
import type { InboundEvent } from "./parse.js";

export function isOwnAccount(event: Pick<InboundEvent, "actor">, ownAccounts: readonly string[]): boolean {
  const actor = event.actor.trim().toLowerCase();
  return actor !== "" && ownAccounts.some((a) => a.trim().toLowerCase() === actor);
}

/** Text FixOps wrote carries the origin marker (connectors append it to comments and notes). */
export function hasOriginMarker(text: string | undefined): boolean {
  return !!text && text.includes(ORIGIN_MARKER);
}

/** Remembers the state changes we made so their webhook echoes can be recognised. */
export class EchoSuppressor {
  private readonly expected = new Map<string, { category: Category | "deleted"; until: number }[]>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = 5 * 60_000,
    private readonly maxEntries = 50_000,
  ) {}

  /** Call after FixOps changed `ticketKey` to `category` through the connector. */
  expect(provider: string, ticketKey: string, category: Category | "deleted"): void {
    const now = this.clock.now().getTime();
    const key = `${provider}\u0000${ticketKey}`;
    const list = (this.expected.get(key) ?? []).filter((e) => e.until > now);
    list.push({ category, until: now + this.ttlMs });
    this.expected.delete(key); // re-insert so Map order approximates age
    this.expected.set(key, list);
    while (this.expected.size > this.maxEntries) this.expected.delete(this.expected.keys().next().value as string);
  }

  /** True (and consumed) when the event matches a change we made within the window. */
  isEcho(event: Pick<InboundEvent, "provider" | "ticketKey" | "category">): boolean {
    const now = this.clock.now().getTime();
    const key = `${event.provider}\u0000${event.ticketKey}`;
    const list = (this.expected.get(key) ?? []).filter((e) => e.until > now);
    const i = list.findIndex((e) => e.category === event.category);
    if (i >= 0) list.splice(i, 1);
    if (list.length) this.expected.set(key, list);
    else this.expected.delete(key);
    return i >= 0;
  }
}

export interface LoopGuardInput {
  ownAccounts: readonly string[];
  echoes?: EchoSuppressor;
}

/** Whether FixOps caused this event itself and it must not trigger another push. */
export function isCausedByFixOps(event: InboundEvent, guard: LoopGuardInput): boolean {
  if (isOwnAccount(event, guard.ownAccounts)) return true;
  return guard.echoes?.isEcho(event) ?? false;
}
