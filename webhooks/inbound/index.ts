// Inbound ALM webhooks, pure: verify → parse → replay check → loop guard. The HTTP server (later) reads
// the raw body within MAX_INBOUND_BODY_BYTES, calls `acceptDelivery`, answers by `outcome.kind` and
// hands accepted events to the remediation controller asynchronously.
import type { Clock } from "../../connectors/types.js";
import { isCausedByFixOps, type LoopGuardInput } from "./loop-guard.js";
import { InboundPayloadError, MAX_INBOUND_BODY_BYTES, parseInbound, type InboundEvent, type ParseOptions, type ParseResult } from "./parse.js";
import type { ReplayCache } from "./replay.js";
import { verifyInbound, type InboundAuth, type InboundHeaders, type VerifyFailure } from "./verify.js";

export interface DeliveryInput {
  /** Replay scope, e.g. "<namespace>/<integration>". */
  scope: string;
  auth: InboundAuth;
  headers: InboundHeaders;
  rawBody: Buffer;
  replay: ReplayCache;
  clock: Clock;
  parse?: ParseOptions;
  loopGuard?: LoopGuardInput;
}

export type DeliveryOutcome =
  /** 413: refused before verification. */
  | { kind: "too_large"; limit: number }
  /** 401: authenticity not proven. */
  | { kind: "unauthorized"; reason: VerifyFailure; message: string }
  /** 400: authentic but unreadable. */
  | { kind: "malformed"; message: string }
  /** 2xx, nothing to do: seen before. */
  | { kind: "replay"; deliveryId: string }
  /** 2xx, nothing to do: not a ticket-state event. */
  | { kind: "ignored"; deliveryId: string; reason: string }
  /** 2xx: a real event; `selfInflicted` events are recorded but must not cause another push. */
  | { kind: "accepted"; event: InboundEvent; selfInflicted: boolean };

/** What is known before the replay check: refused, or authentic and parsed (with its delivery id). */
export type CheckedDelivery =
  | Extract<DeliveryOutcome, { kind: "too_large" | "unauthorized" | "malformed" }>
  | { kind: "checked"; deliveryId: string; parsed: ParseResult; selfInflicted: boolean };

/**
 * Size, authenticity and payload, without the replay check: for callers whose replay record is durable
 * (and asynchronous), so that an id is only remembered once the delivery is safely stored.
 */
export function checkDelivery(input: Omit<DeliveryInput, "replay">): CheckedDelivery {
  if (input.rawBody.length > MAX_INBOUND_BODY_BYTES) return { kind: "too_large", limit: MAX_INBOUND_BODY_BYTES };
  const verdict = verifyInbound(input.auth, input.headers, input.rawBody, input.clock.now());
  if (!verdict.ok) return { kind: "unauthorized", reason: verdict.reason, message: verdict.message };
  let parsed: ParseResult;
  try {
    parsed = parseInbound(input.auth.provider, input.headers, input.rawBody, input.parse);
  } catch (err) {
    if (err instanceof InboundPayloadError) return { kind: "malformed", message: err.message };
    throw err;
  }
  const deliveryId = parsed.kind === "event" ? parsed.event.deliveryId : parsed.deliveryId;
  const selfInflicted = parsed.kind === "event" && input.loopGuard ? isCausedByFixOps(parsed.event, input.loopGuard) : false;
  return { kind: "checked", deliveryId, parsed, selfInflicted };
}

export function acceptDelivery(input: DeliveryInput): DeliveryOutcome {
  const checked = checkDelivery(input);
  if (checked.kind !== "checked") return checked;
  const { deliveryId, parsed } = checked;
  // Only after verification, so forged requests cannot fill the cache or pre-empt real ids.
  if (!input.replay.checkAndRemember(input.scope, deliveryId)) return { kind: "replay", deliveryId };
  if (parsed.kind === "ignored") return { kind: "ignored", deliveryId, reason: parsed.reason };
  return { kind: "accepted", event: parsed.event, selfInflicted: checked.selfInflicted };
}

export {
  verifyInbound,
  verifyGitHub,
  verifyJira,
  verifyGitLab,
  verifyBasicAuth,
  verifyServiceNow,
  verifyGenericHmac,
  inboundAuthFromSecret,
  constantTimeEquals,
  SERVICENOW_SECRET_HEADER,
  type InboundAuth,
  type InboundHeaders,
  type InboundProvider,
  type VerifyFailure,
  type VerifyResult,
} from "./verify.js";
export { parseInbound, InboundPayloadError, MAX_INBOUND_BODY_BYTES, type InboundEvent, type ParseOptions, type ParseResult } from "./parse.js";
export { ReplayCache, type ReplayCacheOptions } from "./replay.js";
export { EchoSuppressor, hasOriginMarker, isCausedByFixOps, isOwnAccount, type LoopGuardInput } from "./loop-guard.js";
