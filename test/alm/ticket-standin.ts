// What every ticketing stand-in offers tests beyond its HTTP API: direct reads of its store and the
// actions a person would take in the ALM's UI (which fire the ALM's outgoing webhooks).
import type { StandIn } from "./standin.js";

export type HumanTarget = "open" | "in_progress" | "done";

export interface TicketStandIn extends StandIn {
  /** How many tickets (deleted ones excluded) carry this idempotency key. The exactly-once assertion. */
  ticketsWithKey(key: string): number;
  /** Raw state of a ticket as the ALM would show it, or undefined when it does not exist. */
  stateOf(ref: string): string | undefined;
  commentsOf(ref: string): string[];
  /** A person moves the ticket (UI action, not our API client); fires a webhook. */
  humanSetState(ref: string, target: HumanTarget): void;
  /** A person deletes the ticket; fires a webhook where the ALM does. */
  humanDelete(ref: string): void;
}
