import { describe, expect, it } from "@jest/globals";
import type { KubeObject } from "../../operator/kube/port.js";
import { suppressesOf } from "./index.js";

const scan = (name: string, suppressed: { exception: string; count: number; vulnerabilityIds: string[] }[] | undefined): KubeObject => ({
  metadata: { name, namespace: "team-a" },
  status: suppressed ? { decision: { outcome: "ALLOW", gates: [], topFindings: [], suppressed } } : {},
});

describe("what a RiskException suppresses", () => {
  it("adds up its entries across ScanResults, listing at most 20 items", () => {
    const many = Array.from({ length: 30 }, (_, i) => `CVE-2024-${1000 + i}`);
    const scans = [
      scan("b", [{ exception: "waiver", count: 30, vulnerabilityIds: many.slice(0, 20) }]),
      scan("a", [
        { exception: "waiver", count: 1, vulnerabilityIds: ["CVE-2021-44228"] },
        { exception: "other", count: 2, vulnerabilityIds: ["CVE-2020-1", "CVE-2020-2"] },
      ]),
      scan("c", undefined),
    ];
    const s = suppressesOf("waiver", scans);
    expect(s.scanResults).toBe(2);
    expect(s.findings).toBe(31);
    expect(s.items).toHaveLength(20);
    expect(s.items![0]).toEqual({ scanResult: "a", vulnerabilityId: "CVE-2021-44228" });
    expect(suppressesOf("nobody", scans)).toEqual({ scanResults: 0, findings: 0 });
  });
});
