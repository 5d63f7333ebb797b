// Pure: a PolicyGate's evaluation status — how the ScanResults of its namespace fare under it
// (counts per outcome, read from their decisions so gate and ScanResult never disagree), and the
// what-if: which running workloads in its scope would be refused on their next rollout if the gate
// enforced (so a team can move audit → enforce knowing what breaks).
import type { Outcome, PolicyGateSpec, PolicyGateStatus, ScanResultResource, ScanResultStatus } from "../../api/v1alpha1/index.js";
import { compileGate, gateSelects } from "../../engine/index.js";
import { ImageDecisionIndex } from "../../webhooks/admission/image-index.js";

export const MAX_WHATIF_WORKLOADS = 20;

type GateVerdicts = NonNullable<ScanResultStatus["decision"]>["gates"];

export function gateCounts(gate: string, scanResults: readonly ScanResultResource[]): NonNullable<PolicyGateStatus["counts"]> {
  const counts = { allow: 0, block: 0, needsReview: 0 };
  for (const s of scanResults) {
    const v = ((s.status ?? {}) as ScanResultStatus).decision?.gates.find((g) => g.name === gate);
    if (!v) continue;
    if (v.outcome === "BLOCK") counts.block++;
    else if (v.outcome === "NEEDS_REVIEW") counts.needsReview++;
    else counts.allow++;
  }
  return counts;
}

/** A running Pod, reduced to what the what-if needs; `owner` is its top-level controller. */
export interface WorkloadPod {
  owner: { kind: string; name: string };
  labels: Readonly<Record<string, string>>;
  /** Images of all containers (init, app, ephemeral), preferring the digest the node resolved. */
  images: readonly string[];
}

export function whatIf(
  gate: { name: string; namespace: string; spec: PolicyGateSpec },
  scanResults: readonly ScanResultResource[],
  pods: readonly WorkloadPod[],
  now: Date,
): NonNullable<PolicyGateStatus["whatIf"]> {
  const compiled = compileGate(gate);
  const index = new ImageDecisionIndex<GateVerdicts>();
  for (const s of scanResults) {
    const decision = ((s.status ?? {}) as ScanResultStatus).decision;
    const artifact = (s.spec as { artifact?: { image?: string; digest?: string } } | undefined)?.artifact;
    if (!decision || !artifact?.image) continue;
    const scannedAt = (s.spec as { scannedAt?: string }).scannedAt;
    index.upsert({
      scanResult: { namespace: gate.namespace, name: s.metadata.name },
      image: artifact.image,
      ...(artifact.digest ? { digest: artifact.digest } : {}),
      ...(scannedAt ? { scannedAt } : {}),
      assessment: decision.gates,
    });
  }
  const missing: Outcome = gate.spec.missingScan === "block" ? "BLOCK" : gate.spec.missingScan === "review" ? "NEEDS_REVIEW" : "ALLOW";
  const denies = (o: Outcome) => o === "BLOCK" || (o === "NEEDS_REVIEW" && gate.spec.needsReviewAction === "deny");
  const seen = new Set<string>();
  const workloads: NonNullable<NonNullable<PolicyGateStatus["whatIf"]>["workloads"]> = [];
  for (const pod of pods) {
    for (const image of pod.images) {
      if (!gateSelects(compiled, { now, namespace: gate.namespace, image, workloadLabels: pod.labels })) continue;
      const hit = index.lookup(gate.namespace, image);
      const verdict = hit.entries[0]?.assessment.find((g) => g.name === gate.name);
      // A ScanResult the gate does not select (its decision has no verdict for the gate) is not in scope.
      const outcome: Outcome | undefined = hit.entries.length === 0 ? missing : verdict?.outcome;
      if (!outcome || !denies(outcome)) continue;
      const key = `${pod.owner.kind}/${pod.owner.name}\0${image}`;
      if (seen.has(key)) continue;
      seen.add(key);
      workloads.push({ kind: pod.owner.kind, name: pod.owner.name, image, outcome });
    }
  }
  workloads.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name) || a.image.localeCompare(b.image));
  return {
    evaluatedAt: now.toISOString(),
    wouldDeny: new Set(workloads.map((w) => `${w.kind}/${w.name}`)).size,
    ...(workloads.length ? { workloads: workloads.slice(0, MAX_WHATIF_WORKLOADS) } : {}),
  };
}

type PodObject = {
  metadata: { name: string; labels?: Record<string, string>; ownerReferences?: { kind: string; name: string; controller?: boolean }[] };
  spec?: { containers?: { name: string; image?: string }[]; initContainers?: { name: string; image?: string }[]; ephemeralContainers?: { name: string; image?: string }[] };
  status?: {
    phase?: string;
    containerStatuses?: { name: string; imageID?: string }[];
    initContainerStatuses?: { name: string; imageID?: string }[];
    ephemeralContainerStatuses?: { name: string; imageID?: string }[];
  };
};

/**
 * A Pod as the what-if sees it, or null when it is not running (Succeeded/Failed). `ownerOf` maps a
 * direct controller (e.g. ReplicaSet/x) to the top-level one (Deployment/y) when known.
 */
export function workloadPod(pod: PodObject, ownerOf: (kind: string, name: string) => { kind: string; name: string } | undefined): WorkloadPod | null {
  if (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") return null;
  const ctrl = pod.metadata.ownerReferences?.find((r) => r.controller) ?? pod.metadata.ownerReferences?.[0];
  const owner = ctrl ? (ownerOf(ctrl.kind, ctrl.name) ?? { kind: ctrl.kind, name: ctrl.name }) : { kind: "Pod", name: pod.metadata.name };
  const resolved = new Map<string, string>();
  for (const st of [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.ephemeralContainerStatuses ?? [])]) {
    const m = /(sha256:[0-9a-f]{64})$/.exec(st.imageID ?? "");
    if (m) resolved.set(st.name, m[1]!);
  }
  const images: string[] = [];
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? []), ...(pod.spec?.ephemeralContainers ?? [])]) {
    if (!c.image) continue;
    const digest = resolved.get(c.name);
    // The digest the node pulled is the image that runs; a tag alone may since point elsewhere.
    images.push(digest && !c.image.includes("@") ? `${c.image}@${digest}` : c.image);
  }
  return { owner, labels: pod.metadata.labels ?? {}, images: [...new Set(images)] };
}
