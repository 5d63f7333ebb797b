import { describe, expect, it } from "@jest/globals";
import { PolicyGateSpec, type ScanResultResource } from "../../api/v1alpha1/index.js";
import { gateCounts, whatIf, workloadPod } from "./evaluation.js";

const NOW = new Date("2026-11-22T10:00:00Z");
const DIGEST_A = `sha256:${"a".repeat(64)}`;
const DIGEST_B = `sha256:${"b".repeat(64)}`;

const scan = (name: string, image: string, gates: { name: string; outcome: "ALLOW" | "BLOCK" | "NEEDS_REVIEW" }[], digest?: string): ScanResultResource =>
  ({
    apiVersion: "fixops.io/v1alpha1",
    kind: "ScanResult",
    metadata: { name, namespace: "team-a" },
    spec: { artifact: { image, ...(digest ? { digest } : {}) }, scanner: { name: "trivy" }, report: { inline: "{}" } },
    status: {
      decision: {
        outcome: gates[0]?.outcome ?? "ALLOW",
        riskScore: 0,
        confidence: 1,
        decidedAt: NOW.toISOString(),
        gates: gates.map((g) => ({ ...g, mode: "audit", reasons: [] })),
        topFindings: [],
      },
    },
  }) as unknown as ScanResultResource;

const gate = (spec: Partial<PolicyGateSpec> = {}) => ({ name: "prod", namespace: "team-a", spec: PolicyGateSpec.parse({ mode: "audit", ...spec }) });

describe("PolicyGate counts", () => {
  it("counts the gate's own verdicts only, and skips ScanResults without a decision", () => {
    const scans = [
      scan("a", "r/a:1", [{ name: "prod", outcome: "BLOCK" }]),
      scan("b", "r/b:1", [{ name: "prod", outcome: "NEEDS_REVIEW" }, { name: "other", outcome: "BLOCK" }]),
      scan("c", "r/c:1", [{ name: "prod", outcome: "ALLOW" }]),
      scan("d", "r/d:1", [{ name: "other", outcome: "BLOCK" }]),
      { ...scan("e", "r/e:1", []), status: {} } as ScanResultResource,
    ];
    expect(gateCounts("prod", scans)).toEqual({ allow: 1, block: 1, needsReview: 1 });
  });
});

describe("PolicyGate what-if", () => {
  const scans = [
    scan("api", "ghcr.io/acme/api:1.4.2", [{ name: "prod", outcome: "BLOCK" }]),
    scan("web", "ghcr.io/acme/web:2.0.0", [{ name: "prod", outcome: "NEEDS_REVIEW" }]),
    scan("db", "ghcr.io/acme/db@" + DIGEST_A, [{ name: "prod", outcome: "BLOCK" }], DIGEST_A),
    scan("ok", "ghcr.io/acme/ok:1", [{ name: "prod", outcome: "ALLOW" }]),
    scan("unselected", "ghcr.io/acme/batch:1", [{ name: "other", outcome: "BLOCK" }]),
  ];
  const pod = (owner: string, images: string[], labels: Record<string, string> = {}) => ({ owner: { kind: "Deployment", name: owner }, labels, images });

  it("lists the workloads an enforcing gate would refuse: BLOCK, missing scans per missingScan, NEEDS_REVIEW only when the gate denies it", () => {
    const pods = [
      pod("api", ["ghcr.io/acme/api:1.4.2"]),
      pod("api", ["ghcr.io/acme/api:1.4.2"]), // a second replica is the same workload
      pod("web", ["ghcr.io/acme/web:2.0.0"]),
      pod("db", [`ghcr.io/acme/db:15@${DIGEST_A}`]),
      pod("ok", ["ghcr.io/acme/ok:1"]),
      pod("unscanned", ["ghcr.io/acme/new:9"]),
      pod("batch", ["ghcr.io/acme/batch:1"]),
    ];
    const w = whatIf(gate({ missingScan: "block" }), scans, pods, NOW);
    expect(w).toEqual({
      evaluatedAt: NOW.toISOString(),
      wouldDeny: 3,
      workloads: [
        { kind: "Deployment", name: "api", image: "ghcr.io/acme/api:1.4.2", outcome: "BLOCK" },
        { kind: "Deployment", name: "db", image: `ghcr.io/acme/db:15@${DIGEST_A}`, outcome: "BLOCK" },
        { kind: "Deployment", name: "unscanned", image: "ghcr.io/acme/new:9", outcome: "BLOCK" },
      ],
    });
    const strict = whatIf(gate({ missingScan: "allow", needsReviewAction: "deny" }), scans, pods, NOW);
    expect(strict.workloads?.map((x) => `${x.name}:${x.outcome}`)).toEqual(["api:BLOCK", "db:BLOCK", "web:NEEDS_REVIEW"]);
  });

  it("respects the gate's image and workload selectors", () => {
    const pods = [pod("api", ["ghcr.io/acme/api:1.4.2"], { tier: "backend" }), pod("db", [`ghcr.io/acme/db@${DIGEST_A}`], { tier: "data" })];
    expect(whatIf(gate({ selector: { images: ["ghcr.io/acme/db*"] } }), scans, pods, NOW).workloads?.map((x) => x.name)).toEqual(["db"]);
    expect(whatIf(gate({ selector: { workloads: { matchLabels: { tier: "backend" } } } }), scans, pods, NOW).workloads?.map((x) => x.name)).toEqual(["api"]);
    expect(whatIf(gate(), scans, [], NOW)).toEqual({ evaluatedAt: NOW.toISOString(), wouldDeny: 0 });
  });

  it("a digest scan does not stand for another digest under the same tag", () => {
    const pods = [pod("db", [`ghcr.io/acme/db:15@${DIGEST_B}`])];
    expect(whatIf(gate({ missingScan: "allow" }), scans, pods, NOW).wouldDeny).toBe(0);
    expect(whatIf(gate({ missingScan: "block" }), scans, pods, NOW).wouldDeny).toBe(1);
  });
});

describe("workloadPod", () => {
  const base = {
    metadata: { name: "api-7d9f-x2", labels: { app: "api" }, ownerReferences: [{ kind: "ReplicaSet", name: "api-7d9f", controller: true }] },
    spec: { initContainers: [{ name: "migrate", image: "ghcr.io/acme/migrate:1" }], containers: [{ name: "api", image: "ghcr.io/acme/api:1.4.2" }] },
  };
  it("names the top-level owner and adds the digest the node resolved", () => {
    const w = workloadPod(
      { ...base, status: { phase: "Running", containerStatuses: [{ name: "api", imageID: `docker-pullable://ghcr.io/acme/api@${DIGEST_A}` }] } },
      (kind, name) => (kind === "ReplicaSet" && name === "api-7d9f" ? { kind: "Deployment", name: "api" } : undefined),
    );
    expect(w).toEqual({ owner: { kind: "Deployment", name: "api" }, labels: { app: "api" }, images: ["ghcr.io/acme/migrate:1", `ghcr.io/acme/api:1.4.2@${DIGEST_A}`] });
  });
  it("skips finished Pods and falls back to the direct owner or the Pod itself", () => {
    expect(workloadPod({ ...base, status: { phase: "Succeeded" } }, () => undefined)).toBeNull();
    expect(workloadPod({ ...base, status: { phase: "Pending" } }, () => undefined)?.owner).toEqual({ kind: "ReplicaSet", name: "api-7d9f" });
    expect(workloadPod({ metadata: { name: "debug" }, spec: { containers: [{ name: "c", image: "busybox" }] } }, () => undefined)?.owner).toEqual({ kind: "Pod", name: "debug" });
  });
});
