import { describe, expect, it } from "@jest/globals";
import { Registry } from "prom-client";
import { WebhookMetrics, histogramQuantile } from "./metrics.js";

function metrics() {
  return new WebhookMetrics(new Registry());
}

describe("histogramQuantile", () => {
  it("is NaN without observations", async () => {
    expect(await histogramQuantile(metrics().evaluationSeconds, 0.99)).toBeNaN();
  });

  it("interpolates within the bucket holding the rank, like PromQL", async () => {
    const m = metrics();
    for (let i = 0; i < 90; i++) m.evaluationSeconds.observe({ route: "workloads" }, 0.00007);
    for (let i = 0; i < 10; i++) m.evaluationSeconds.observe({ route: "workloads" }, 0.0009);
    expect(await histogramQuantile(m.evaluationSeconds, 0.5)).toBeCloseTo(0.00005 + 0.00005 * (50 / 90), 9);
    expect(await histogramQuantile(m.evaluationSeconds, 0.99)).toBeCloseTo(0.00075 + 0.00025 * (9 / 10), 9);
  });

  it("filters by labels and sums series without a filter", async () => {
    const m = metrics();
    for (let i = 0; i < 10; i++) m.evaluationSeconds.observe({ route: "workloads" }, 0.00007);
    for (let i = 0; i < 10; i++) m.evaluationSeconds.observe({ route: "fixops" }, 0.004);
    expect(await histogramQuantile(m.evaluationSeconds, 0.99, { route: "workloads" })).toBeLessThanOrEqual(0.0001);
    expect(await histogramQuantile(m.evaluationSeconds, 0.99, { route: "fixops" })).toBeGreaterThan(0.003);
    expect(await histogramQuantile(m.evaluationSeconds, 0.25)).toBeLessThanOrEqual(0.0001);
    expect(await histogramQuantile(m.evaluationSeconds, 0.99)).toBeGreaterThan(0.003);
  });

  it("answers the highest finite bound when the rank falls in +Inf", async () => {
    const m = metrics();
    m.evaluationSeconds.observe({ route: "workloads" }, 2);
    expect(await histogramQuantile(m.evaluationSeconds, 0.99)).toBe(0.1);
  });

  it("keeps two servers' metrics apart (one registry each)", async () => {
    const a = metrics();
    const b = metrics();
    a.countRequest("workloads", 200);
    expect(await b.registry.metrics()).not.toMatch(/fixops_webhook_requests_total\{/);
    expect(await a.registry.metrics()).toMatch(/fixops_webhook_requests_total\{route="workloads",code="200"\} 1/);
  });
});

describe("buffered counters", () => {
  it("appear when the registry is read, and are never counted twice", async () => {
    const m = metrics();
    m.countDecision("shop/baseline", "denied");
    m.countDecision("shop/baseline", "denied");
    m.countDecision("shop/baseline", "allowed");
    m.countReview("workloads", "denied");
    expect(await m.registry.metrics()).toMatch(/fixops_admission_decisions_total\{gate="shop\/baseline",decision="denied"\} 2/);
    m.countDecision("shop/baseline", "denied");
    const text = await m.registry.metrics();
    expect(text).toMatch(/fixops_admission_decisions_total\{gate="shop\/baseline",decision="denied"\} 3/);
    expect(text).toMatch(/fixops_admission_decisions_total\{gate="shop\/baseline",decision="allowed"\} 1/);
    expect(text).toMatch(/fixops_admission_reviews_total\{route="workloads",result="denied"\} 1/);
    expect(await m.registry.metrics()).toMatch(/decision="denied"\} 3/);
  });
});
