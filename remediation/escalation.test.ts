import { describe, expect, it } from "@jest/globals";
import { openTasksFor, slaBreaches, taskPointer, taskRefs } from "./escalation.js";

const DIGEST = `sha256:${"a".repeat(64)}`;
const task = (name: string, over: { image?: string; digest?: string; gate?: string; state?: string; breached?: boolean } = {}) => ({
  metadata: { name },
  spec: { artifact: { image: over.image ?? "ghcr.io/acme/api:1.0", ...(over.digest ? { digest: over.digest } : {}) }, ...(over.gate ? { gateRef: { name: over.gate } } : {}), vulnerabilityIds: ["CVE-2024-0001"] },
  status: { state: over.state ?? "IN_PROGRESS", sla: { dueAt: "2026-01-05T00:00:00Z", breached: over.breached ?? false } },
});

describe("tasks for a decision", () => {
  const refs = taskRefs([
    task("b-breached", { gate: "prod", breached: true }),
    task("a-open", { gate: "prod" }),
    task("c-resolved", { gate: "prod", breached: true, state: "RESOLVED" }),
    task("d-other-image", { image: "ghcr.io/acme/web:1.0", gate: "prod", breached: true }),
    task("e-by-digest", { image: `ghcr.io/acme/api@${DIGEST}`, digest: DIGEST, gate: "prod", breached: true }),
    task("f-no-gate", { breached: true }),
    { metadata: { name: "g-no-artifact" }, spec: {} },
  ]);

  it("keeps open tasks of the same image or digest, sorted by name", () => {
    expect(openTasksFor(refs, { image: "ghcr.io/acme/api:1.0" }).map((t) => t.name)).toEqual(["a-open", "b-breached", "f-no-gate"]);
    expect(openTasksFor(refs, { image: "ghcr.io/acme/api:1.0", digest: DIGEST }).map((t) => t.name)).toEqual(["a-open", "b-breached", "e-by-digest", "f-no-gate"]);
  });

  it("reports breaches only for tasks a gate asked for", () => {
    expect(slaBreaches(openTasksFor(refs, { image: "ghcr.io/acme/api:1.0" }))).toEqual([{ gate: "prod", task: "b-breached", vulnerabilityIds: ["CVE-2024-0001"], dueAt: "2026-01-05T00:00:00Z" }]);
  });

  it("points people at the first task and says how many more there are", () => {
    expect(taskPointer("shop", [])).toBeUndefined();
    expect(taskPointer("shop", refs.slice(0, 1))).toBe("shop/a-open");
    expect(taskPointer("shop", refs.slice(0, 3))).toBe("shop/a-open (+2 more)");
  });
});
