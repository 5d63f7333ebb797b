// The CRDs on a real kube-apiserver: registration, samples, and the server's own schema validation.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { join } from "node:path";
import { KubeApiError } from "../../operator/errors.js";
import type { KubeClient } from "../../operator/kube/client.js";
import { Resources, type KubeObject } from "../../operator/kube/port.js";
import { CRD, applyObjects, readManifests } from "../harness/apply.js";
import { ROOT, adminClient, createNamespace } from "../harness/env.js";

let kube: KubeClient;
let ns: string;

beforeAll(async () => {
  kube = await adminClient();
  ns = await createNamespace(kube, "crds");
});
afterAll(async () => {
  await kube.delete(Resources.Namespace, undefined, ns);
  kube.close();
});


describe("FixOps CRDs on the API server", () => {
  it("registers all five kinds, namespaced, with short names, category fixops and a status subresource", async () => {
    for (const [plural, kind] of [
      ["integrations", "Integration"],
      ["policygates", "PolicyGate"],
      ["scanresults", "ScanResult"],
      ["remediationtasks", "RemediationTask"],
      ["riskexceptions", "RiskException"],
    ] as const) {
      const crd = await kube.get<KubeObject & { spec: { scope: string; names: { kind: string; shortNames: string[]; categories: string[] }; versions: { subresources?: { status?: object } }[] } }>(
        CRD,
        undefined,
        `${plural}.fixops.io`,
      );
      expect(crd).not.toBeNull();
      expect(crd!.spec.scope).toBe("Namespaced");
      expect(crd!.spec.names.kind).toBe(kind);
      expect(crd!.spec.names.categories).toContain("fixops");
      expect(crd!.spec.names.shortNames.length).toBeGreaterThan(0);
      expect(crd!.spec.versions[0]!.subresources?.status).toBeDefined();
    }
  });

  it("accepts every sample in crds/samples", async () => {
    const objs = readManifests(join(ROOT, "crds", "samples"));
    expect(objs.map((o) => o.kind).sort()).toEqual(["Integration", "PolicyGate", "RemediationTask", "RiskException", "ScanResult", "Secret"]);
    const applied = await applyObjects(kube, objs, ns);
    expect(applied).toHaveLength(objs.length);
    // The server applied the schema defaults.
    const gate = await kube.get<KubeObject & { spec: { failurePolicy: string; needsReviewAction: string } }>(Resources.PolicyGate, ns, "production");
    expect(gate!.spec.needsReviewAction).toBe("warn");
    const integ = await kube.get<KubeObject & { spec: { servicenow?: unknown; jira: { issueType: string } } }>(Resources.Integration, ns, "jira-security");
    expect(integ!.spec.jira.issueType).toBe("Bug");
  });

  const invalid: [string, (typeof Resources)[keyof typeof Resources], Record<string, unknown>, RegExp][] = [
    ["a RiskException without expiresAt", Resources.RiskException, { vulnerabilityIds: ["CVE-1"], approver: "a", reason: "r" }, /expiresAt: Required value/],
    ["a RiskException with a malformed expiresAt", Resources.RiskException, { vulnerabilityIds: ["CVE-1"], approver: "a", reason: "r", expiresAt: "soon" }, /expiresAt/],
    ["a PolicyGate with a bad mode", Resources.PolicyGate, { mode: "block-all" }, /spec\.mode: Unsupported value: "block-all"/],
    ["a PolicyGate rule with minEpss > 1", Resources.PolicyGate, { blockRules: [{ name: "x", minEpss: 3 }] }, /minEpss/],
    ["an Integration of unknown type", Resources.Integration, { type: "bugzilla", url: "https://b.example" }, /spec\.type: Unsupported value/],
    ["an Integration without url", Resources.Integration, { type: "jira" }, /spec\.url: Required value/],
    ["a ScanResult without artifact", Resources.ScanResult, { report: { inline: "{}" } }, /spec\.artifact: Required value/],
    ["a ScanResult with a malformed digest", Resources.ScanResult, { artifact: { image: "x", digest: "md5:abc" }, report: { inline: "{}" } }, /digest/],
    ["a RemediationTask with a bad severity", Resources.RemediationTask, { title: "t", artifact: { image: "x" }, clusterKey: "k", severity: "SEVERE" }, /severity: Unsupported value/],
  ];
  it.each(invalid)("rejects %s", async (_name, res, spec, message) => {
    const err = await kube.create(res, { metadata: { name: "invalid", namespace: ns }, spec }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).status).toBe(422);
    expect((err as KubeApiError).message).toMatch(message);
  });
});
