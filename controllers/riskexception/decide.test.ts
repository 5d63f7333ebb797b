import { describe, expect, it } from "@jest/globals";
import type { RiskExceptionResource } from "../../api/v1alpha1/index.js";
import { planRiskException } from "./decide.js";

const anException = (spec: Partial<RiskExceptionResource["spec"]>, generation = 1): RiskExceptionResource => ({
  apiVersion: "fixops.io/v1alpha1",
  kind: "RiskException",
  metadata: { name: "ex", namespace: "team-a", generation },
  spec: { expiresAt: "2026-06-01T00:00:00Z", approver: "alice", reason: "vendor fix pending", vulnerabilityIds: ["CVE-2021-44228"], ...spec },
});

describe("planRiskException", () => {
  const before = new Date("2026-05-31T23:59:59.999Z");
  const atExpiry = new Date("2026-06-01T00:00:00.000Z");

  it("is Active before expiry and requeues exactly at the expiry instant", () => {
    const p = planRiskException(anException({}), before);
    expect(p.status.state).toBe("Active");
    expect(p.conditions[0]).toMatchObject({ type: "Ready", status: "True", reason: "Active", observedGeneration: 1 });
    expect(p.requeueAfterMs).toBe(1);
  });

  it("is Expired at the expiry instant, with a Warning event", () => {
    const p = planRiskException(anException({}), atExpiry);
    expect(p.status.state).toBe("Expired");
    expect(p.conditions[0]).toMatchObject({ status: "False", reason: "Expired" });
    expect(p.requeueAfterMs).toBeUndefined();
    expect(p.events?.[0]?.reason).toBe("Expired");
  });

  it.each([
    ["no ids and no images", { vulnerabilityIds: undefined, images: undefined }, /vulnerabilityIds, images/],
    ["empty approver", { approver: "" }, /spec\.approver/],
    ["bad date", { expiresAt: "next tuesday" }, /spec\.expiresAt/],
  ])("rejects %s with a clear message", (_name, spec, msg) => {
    const p = planRiskException(anException(spec as Partial<RiskExceptionResource["spec"]>, 3), before);
    expect(p.status.state).toBe("Invalid");
    expect(p.conditions[0]).toMatchObject({ status: "False", reason: "InvalidSpec", observedGeneration: 3 });
    expect(p.conditions[0]!.message).toMatch(msg);
  });
});
