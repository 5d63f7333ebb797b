// Construction shared by all connectors: the dispatcher (SSRF-guarded unless one is injected), the
// transport, and checks on the idempotency key and credentials.
import type { Dispatcher } from "undici";
import type { IntegrationSpec } from "../api/v1alpha1/integration.js";
import { TerminalError, type Provider } from "./errors.js";
import { HttpTransport, type ProviderPolicy } from "./http.js";
import { isValidIdempotencyKey } from "./idempotency.js";
import { createGuardedAgent, DEFAULT_NETWORK_POLICY } from "./ssrf.js";
import { DEFAULT_TIMEOUTS, type ConnectorDeps, type Credentials, type TargetState, type Ticket } from "./types.js";

export interface OwnedDispatcher {
  dispatcher: Dispatcher;
  close(): Promise<void>;
}

/** Uses the injected dispatcher (not closed by us) or builds a guarded Agent that `close` destroys. */
export function dispatcherFor(spec: IntegrationSpec, deps: ConnectorDeps, provider: Provider): OwnedDispatcher {
  if (deps.dispatcher) return { dispatcher: deps.dispatcher, close: async () => {} };
  const policy = { ...DEFAULT_NETWORK_POLICY, ...spec.network };
  const agent = createGuardedAgent(policy, { provider, connectTimeoutMs: deps.timeouts?.connectMs ?? DEFAULT_TIMEOUTS.connectMs });
  return { dispatcher: agent, close: () => agent.close() };
}

export function buildTransport(
  baseUrl: string,
  spec: IntegrationSpec,
  deps: ConnectorDeps,
  policy: ProviderPolicy,
  headers: Record<string, string>,
  secrets: (string | undefined)[],
): { transport: HttpTransport; close(): Promise<void> } {
  const owned = dispatcherFor(spec, deps, policy.provider);
  const all = [...secrets, ...Object.values(headers)].filter((s): s is string => !!s);
  return { transport: new HttpTransport(baseUrl, owned.dispatcher, policy, headers, all, deps), close: owned.close };
}

export function requireKey(provider: Provider, key: string): void {
  if (!isValidIdempotencyKey(key)) {
    throw new TerminalError({ provider }, `invalid idempotency key ${JSON.stringify(key.slice(0, 60))}: letters, digits, ".", "_", "-", at most 43`);
  }
}

export function requireCredential(provider: Provider, creds: Credentials, ...names: (keyof Credentials)[]): string[] {
  return names.map((n) => {
    const v = creds[n];
    if (!v) throw new TerminalError({ provider }, `credentials Secret has no "${n}" key`);
    return v;
  });
}

export function requireBlock<T>(provider: Provider, block: T | undefined, name: string): T {
  if (!block) throw new TerminalError({ provider }, `spec.${name} is required for type ${provider}`);
  return block;
}

/** Truncates to a limit the ALM enforces (Jira summary 255, GitHub title 256, …). */
export function truncate(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, max - 1) + "…";
}

/** "open" is reached by any not-done category: an in-progress ticket needs no reopening. */
export function reached(t: Ticket, target: TargetState): boolean {
  return target === "done" ? t.category === "done" : t.category !== "done";
}
