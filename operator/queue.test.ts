import { describe, expect, it } from "@jest/globals";
import { WorkQueue } from "./queue.js";

describe("WorkQueue", () => {
  it("de-duplicates keys waiting in the queue", async () => {
    const q = new WorkQueue();
    q.add("ns/a");
    q.add("ns/a");
    q.add("ns/b");
    expect(q.len()).toBe(2);
    expect(await q.get()).toBe("ns/a");
    expect(await q.get()).toBe("ns/b");
  });

  it("never hands a key being processed to a second worker, and re-queues it when added meanwhile", async () => {
    const q = new WorkQueue();
    q.add("ns/a");
    const k = await q.get();
    q.add("ns/a"); // arrives while processing
    expect(q.len()).toBe(0);
    let second: string | undefined;
    void q.get().then((v) => (second = v));
    await Promise.resolve();
    expect(second).toBeUndefined();
    q.done(k!);
    await Promise.resolve();
    expect(second).toBe("ns/a");
  });

  it("backs off exponentially per key with bounded jitter, and forget() resets", () => {
    const q = new WorkQueue({ baseDelayMs: 100, maxDelayMs: 1000, jitter: 0.5, random: () => 1 });
    expect(q.addRateLimited("k")).toBe(150); // 100 * (1 + 0.5)
    expect(q.addRateLimited("k")).toBe(300);
    expect(q.addRateLimited("k")).toBe(600);
    expect(q.addRateLimited("k")).toBe(1200); // capped at 1000, plus jitter
    expect(q.addRateLimited("other")).toBe(150);
    q.forget("k");
    expect(q.backoffDelay("k")).toBe(150);
    q.shutDown();
  });

  it("addAfter keeps the earliest schedule and delivers the key when due", async () => {
    const q = new WorkQueue();
    q.addAfter("k", 10_000);
    q.addAfter("k", 20);
    const t0 = Date.now();
    expect(await q.get()).toBe("k");
    expect(Date.now() - t0).toBeLessThan(5_000);
    q.shutDown();
  });

  it("get() resolves undefined after shutDown", async () => {
    const q = new WorkQueue();
    const p = q.get();
    q.shutDown();
    expect(await p).toBeUndefined();
  });
});
