// Pure: which RemediationTasks a ScanResult's findings call for. For every PolicyGate with
// `spec.remediation`, each finding is evaluated on its own under that gate (and the namespace's
// RiskExceptions) with the same engine the decision uses; a finding whose own outcome reaches the gate's
// `minOutcome` is marked for action. Marked findings are grouped (by correlated cluster, package or
// image) into one task per group, named by a hash of namespace + gate + group key, so a rescan — or a
// second ScanResult of the same artifact — maps to the same task name and never creates a second one.
import { createHash } from "node:crypto";
import {
  PolicyGateSpec,
  RiskExceptionSpec,
  type Outcome,
  type PolicyGateResource,
  type RemediationTaskSpec,
  type RiskExceptionResource,
  type Severity,
} from "../api/v1alpha1/index.js";
import {
  assessScored,
  compileException,
  compileGate,
  evaluateGates,
  severityRank,
  type CorrelationStats,
  type ExceptionInput,
  type FeedSnapshots,
  type GateInput,
  type ScoredFinding,
} from "../engine/index.js";

/** The annotations a planned task carries (the spec has no place for them). */
export const ANNOTATION_KEV_DUE = "fixops.io/kev-due-date";
export const ANNOTATION_SOURCE_SCAN = "fixops.io/source-scan";
export const LABEL_GATE = "fixops.io/gate";
export const LABEL_GROUP_BY = "fixops.io/group-by";
/** Upper bound of tasks one ScanResult can ask for (most severe first); the rest are counted. */
export const MAX_TASKS_PER_SCAN = 1000;
const MAX_IDS = 500;

export interface RemediationInput {
  namespace: string;
  scanResult: string;
  artifact: { image: string; digest?: string };
  scored: readonly ScoredFinding[];
  stats: CorrelationStats;
  feeds: FeedSnapshots;
  scannedAt?: string;
  /** First-seen times stored for this ScanResult, by cluster key. */
  firstSeen?: (clusterKey: string) => string | undefined;
  gates: readonly PolicyGateResource[];
  exceptions: readonly RiskExceptionResource[];
  now: Date;
}

export interface PlannedTask {
  name: string;
  gate: string;
  groupKey: string;
  spec: RemediationTaskSpec;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RemediationPlan {
  tasks: PlannedTask[];
  /** Groups beyond MAX_TASKS_PER_SCAN. */
  truncated: number;
}

const OUTCOME_RANK: Readonly<Record<Outcome, number>> = { ALLOW: 0, NEEDS_REVIEW: 1, BLOCK: 2 };

/** `rt-` + 20 hex of sha256(namespace, gate, group key): a valid, stable object name. */
export function taskName(namespace: string, gate: string, groupKey: string): string {
  return `rt-${createHash("sha256").update(`${namespace}\u0000${gate}\u0000${groupKey}`).digest("hex").slice(0, 20)}`;
}

type GroupBy = "vulnerability" | "package" | "image";

export function groupKeyOf(sf: ScoredFinding, groupBy: GroupBy, artifactKey: string): string {
  const pkg = sf.cluster.finding.package;
  if (groupBy === "image") return `image|${artifactKey}`;
  if (groupBy === "package" && pkg) return `package|${artifactKey}|${pkg.name}@${pkg.version ?? ""}`;
  return sf.cluster.key;
}

/** The namespace's gates with a remediation block, and its exceptions; invalid ones are skipped (their own controllers report them). */
function remediationGates(gates: readonly PolicyGateResource[], namespace: string): GateInput[] {
  const out: GateInput[] = [];
  for (const g of gates) {
    if (g.metadata.namespace !== namespace) continue;
    const r = PolicyGateSpec.safeParse(g.spec ?? {});
    if (r.success && r.data.remediation) out.push({ name: g.metadata.name, namespace, spec: r.data });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

function exceptionsOf(excs: readonly RiskExceptionResource[], namespace: string): ExceptionInput[] {
  const out: ExceptionInput[] = [];
  for (const e of excs) {
    if (e.metadata.namespace !== namespace) continue;
    const r = RiskExceptionSpec.safeParse(e.spec ?? {});
    if (r.success) out.push({ name: e.metadata.name, namespace, spec: r.data });
  }
  return out;
}

const clip = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

export function planRemediationTasks(input: RemediationInput): RemediationPlan {
  const { namespace, artifact, now } = input;
  const artifactKey = artifact.digest ?? artifact.image;
  const exceptions = exceptionsOf(input.exceptions, namespace).map(compileException);
  const groups = new Map<string, { gate: string; groupBy: GroupBy; integrationRefs: { name: string }[]; members: ScoredFinding[] }>();
  for (const g of remediationGates(input.gates, namespace)) {
    const remediation = g.spec.remediation;
    if (!remediation) continue;
    const gate = compileGate(g);
    const min = OUTCOME_RANK[remediation.minOutcome];
    for (const sf of input.scored) {
      // One finding on its own, under this gate: its outcome says whether the gate marks it for action.
      const alone = assessScored([sf], input.stats, {
        feeds: input.feeds,
        asOf: now,
        image: artifact.image,
        ...(artifact.digest ? { digest: artifact.digest } : {}),
        ...(input.scannedAt ? { scannedAt: input.scannedAt } : {}),
        ...(input.firstSeen ? { firstSeen: input.firstSeen } : {}),
      });
      const verdict = evaluateGates(alone, [gate], exceptions, { now, namespace, image: artifact.image }).gates[0];
      if (!verdict || verdict.matches.length === 0 || OUTCOME_RANK[verdict.outcome] < min) continue;
      const key = groupKeyOf(sf, remediation.groupBy, artifactKey);
      const id = `${g.name}\u0000${key}`;
      const group = groups.get(id) ?? { gate: g.name, groupBy: remediation.groupBy, integrationRefs: remediation.integrationRefs, members: [] };
      group.members.push(sf);
      groups.set(id, group);
    }
  }
  const all = [...groups.entries()].map(([id, grp]) => ({ id, ...grp, rank: Math.max(...grp.members.map((m) => severityRank(m.cluster.finding.severity) * 1000 + m.risk.score)) }));
  all.sort((a, b) => b.rank - a.rank || (a.id < b.id ? -1 : 1));
  const kept = all.slice(0, MAX_TASKS_PER_SCAN);
  const tasks = kept.map((grp): PlannedTask => {
    const groupKey = grp.id.slice(grp.gate.length + 1);
    const members = [...grp.members].sort((a, b) => severityRank(b.cluster.finding.severity) - severityRank(a.cluster.finding.severity) || b.risk.score - a.risk.score);
    const top = members[0]!;
    const severity: Severity = top.cluster.finding.severity;
    const ids = [...new Set(members.map((m) => m.cluster.finding.id))];
    const kevDue = members
      .map((m) => m.risk.kev?.dueDate)
      .filter((d): d is string => !!d)
      .sort()[0];
    const pkg = top.cluster.finding.package;
    const what =
      grp.groupBy === "image" || (grp.groupBy === "package" && members.length > 1)
        ? `${ids.length} vulnerabilit${ids.length === 1 ? "y" : "ies"}${grp.groupBy === "package" && pkg ? ` in ${pkg.name}${pkg.version ? ` ${pkg.version}` : ""}` : ""}`
        : `${top.cluster.finding.id}${pkg ? ` in ${pkg.name}${pkg.version ? ` ${pkg.version}` : ""}` : ""}`;
    const spec: RemediationTaskSpec = {
      title: clip(`${what} (${artifact.image})`, 255),
      artifact: { image: artifact.image, ...(artifact.digest ? { digest: artifact.digest } : {}) },
      clusterKey: groupKey,
      findingKeys: members.map((m) => m.cluster.key).slice(0, MAX_IDS),
      vulnerabilityIds: ids.slice(0, MAX_IDS),
      severity,
      gateRef: { name: grp.gate },
      integrationRefs: grp.integrationRefs.map((r) => ({ name: r.name })),
    };
    return {
      name: taskName(namespace, grp.gate, groupKey),
      gate: grp.gate,
      groupKey,
      spec,
      labels: { ...(grp.gate.length <= 63 ? { [LABEL_GATE]: grp.gate } : {}), [LABEL_GROUP_BY]: grp.groupBy },
      annotations: { [ANNOTATION_SOURCE_SCAN]: input.scanResult, ...(kevDue ? { [ANNOTATION_KEV_DUE]: kevDue } : {}) },
    };
  });
  return { tasks, truncated: all.length - kept.length };
}
