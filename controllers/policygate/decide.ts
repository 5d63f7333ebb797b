// Pure: validate a PolicyGate against what its namespace holds.
import { PolicyGateSpec, type GateRule, type PolicyGateResource, type PolicyGateStatus } from "../../api/v1alpha1/index.js";
import { ready } from "../shared/ready.js";
import type { Plan } from "../shared/reconcile-status.js";
import { parseSpec } from "../shared/spec.js";

export type PolicyGatePlan = Plan<Omit<PolicyGateStatus, "conditions" | "observedGeneration">>;

const CONDITION_FIELDS: (keyof GateRule)[] = ["kev", "minSeverity", "fixAvailable", "minEpss", "minEpssPercentile", "minRiskScore", "minAgeDays", "vulnerabilityIds"];

export function ruleProblems(rules: GateRule[], list: string): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const r of rules) {
    if (seen.has(r.name)) problems.push(`${list}: rule name ${JSON.stringify(r.name)} is used twice`);
    seen.add(r.name);
    if (!CONDITION_FIELDS.some((f) => r[f] !== undefined)) problems.push(`${list}[${r.name}]: a rule must set at least one condition (${CONDITION_FIELDS.join(", ")})`);
  }
  return problems;
}

export interface PolicyGateContext {
  /** Names of the Integrations in the gate's own namespace. */
  integrations: ReadonlySet<string>;
  /** Validates an image glob; returns an error message or undefined. */
  checkGlob: (glob: string) => string | undefined;
  /** Status fields computed by evaluation (counts, what-if), when available. */
  evaluation?: Pick<PolicyGateStatus, "counts" | "whatIf">;
}

export function planPolicyGate(obj: PolicyGateResource, ctx: PolicyGateContext): PolicyGatePlan {
  const gen = obj.metadata.generation;
  const parsed = parseSpec(PolicyGateSpec, obj.spec);
  if (!parsed.ok) return { status: {}, conditions: [ready("False", "InvalidSpec", parsed.message, gen)] };
  const spec = parsed.spec;
  const problems = [...ruleProblems(spec.blockRules, "blockRules"), ...ruleProblems(spec.reviewRules, "reviewRules")];
  for (const g of [...(spec.selector.images ?? []), ...(spec.selector.excludeImages ?? [])]) {
    const err = ctx.checkGlob(g);
    if (err) problems.push(`selector: image glob ${JSON.stringify(g)}: ${err}`);
  }
  if (problems.length) return { status: {}, conditions: [ready("False", "InvalidSpec", problems.join("; "), gen)] };
  const missing = (spec.remediation?.integrationRefs ?? []).map((r) => r.name).filter((n) => !ctx.integrations.has(n));
  if (missing.length) {
    return {
      status: {},
      conditions: [
        ready(
          "False",
          "IntegrationNotFound",
          `remediation.integrationRefs names ${missing.map((m) => JSON.stringify(m)).join(", ")}, not found in namespace ${obj.metadata.namespace} (a gate can only use Integrations of its own namespace)`,
          gen,
        ),
      ],
    };
  }
  return {
    status: { ...(ctx.evaluation ?? {}) },
    conditions: [ready("True", "Valid", `mode ${spec.mode}: ${spec.blockRules.length} block and ${spec.reviewRules.length} review rules`, gen)],
  };
}
