import { describe, expect, it } from "@jest/globals";
import { CircuitBreaker } from "./circuit.js";
import { AuthError, RateLimitedError, TerminalError, TransientError } from "./errors.js";

function fakeClock() {
  let t = 0;
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms) };
}
const transient = () => new TransientError({ provider: "jira", status: 502 });
const auth = () => new AuthError({ provider: "jira", status: 401 });

describe("CircuitBreaker", () => {
  it("opens after N consecutive transient failures and refuses during the cool-down", () => {
    const clock = fakeClock();
    const cb = new CircuitBreaker(clock, { failureThreshold: 3, coolDownMs: 10_000 });
    for (let i = 0; i < 2; i++) {
      expect(cb.tryAcquire()).toEqual({ allowed: true, probe: false });
      cb.onFailure(transient());
    }
    expect(cb.state).toBe("closed");
    cb.onFailure(transient());
    expect(cb.state).toBe("open");
    expect(cb.tryAcquire()).toEqual({ allowed: false, retryInMs: 10_000 });
    clock.advance(4_000);
    expect(cb.tryAcquire()).toEqual({ allowed: false, retryInMs: 6_000 });
  });

  it("counts only consecutive transient failures: an answer from the ALM ends the streak", () => {
    const cb = new CircuitBreaker(fakeClock(), { failureThreshold: 3 });
    cb.onFailure(transient());
    cb.onFailure(transient());
    cb.onFailure(auth());
    cb.onFailure(transient());
    cb.onFailure(transient());
    expect(cb.state).toBe("closed");
    cb.onFailure(new RateLimitedError({ provider: "jira", status: 429 }, 1000, true));
    cb.onFailure(new TerminalError({ provider: "jira", status: 400 }));
    cb.onFailure(transient());
    cb.onFailure(transient());
    expect(cb.state).toBe("closed");
    cb.onSuccess();
    cb.onFailure(transient());
    cb.onFailure(transient());
    expect(cb.state).toBe("closed");
    cb.onFailure(transient());
    expect(cb.state).toBe("open");
  });

  it("lets exactly one probe through after the cool-down; success closes", () => {
    const clock = fakeClock();
    const cb = new CircuitBreaker(clock, { failureThreshold: 1, coolDownMs: 5_000 });
    cb.onFailure(transient());
    clock.advance(5_000);
    expect(cb.state).toBe("half_open");
    expect(cb.tryAcquire()).toEqual({ allowed: true, probe: true });
    expect(cb.tryAcquire()).toEqual({ allowed: false, retryInMs: 5_000 });
    cb.onSuccess();
    expect(cb.state).toBe("closed");
    expect(cb.tryAcquire()).toEqual({ allowed: true, probe: false });
  });

  it("re-opens for a fresh cool-down when the probe fails", () => {
    const clock = fakeClock();
    const cb = new CircuitBreaker(clock, { failureThreshold: 2, coolDownMs: 5_000 });
    cb.onFailure(transient());
    cb.onFailure(transient());
    clock.advance(5_000);
    expect(cb.tryAcquire()).toMatchObject({ probe: true });
    cb.onFailure(transient());
    expect(cb.state).toBe("open");
    expect(cb.tryAcquire()).toEqual({ allowed: false, retryInMs: 5_000 });
  });

  it("closes when the probe gets a non-transient answer (the ALM is reachable)", () => {
    const clock = fakeClock();
    const cb = new CircuitBreaker(clock, { failureThreshold: 1, coolDownMs: 1_000 });
    cb.onFailure(transient());
    clock.advance(1_000);
    cb.tryAcquire();
    cb.onFailure(auth());
    expect(cb.state).toBe("closed");
  });

  it("gives up on a probe whose outcome was never reported, after another cool-down", () => {
    const clock = fakeClock();
    const cb = new CircuitBreaker(clock, { failureThreshold: 1, coolDownMs: 1_000 });
    cb.onFailure(transient());
    clock.advance(1_000);
    expect(cb.tryAcquire()).toMatchObject({ allowed: true, probe: true });
    clock.advance(999);
    expect(cb.tryAcquire()).toEqual({ allowed: false, retryInMs: 1 });
    clock.advance(1);
    expect(cb.tryAcquire()).toEqual({ allowed: true, probe: true });
  });
});
