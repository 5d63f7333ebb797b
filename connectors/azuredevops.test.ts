import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { IntegrationSpec } from "../api/v1alpha1/integration.js";
import { ADO_BOT, ADO_ORG, ADO_PROJECT, AzureDevOpsStandIn } from "../test/alm/azuredevops.js";
import { aDraft, TEST_TIMEOUTS, ticketConnectorContract } from "../test/alm/ticket-contract.js";
import { AuthError, NotFoundError, RateLimitedError, TerminalError } from "./errors.js";
import { createTicketConnector } from "./index.js";
import type { TicketConnector } from "./types.js";

function adoSpec(url: string, workItemType = "Bug"): IntegrationSpec {
  return {
    type: "azuredevops",
    url,
    azuredevops: { organization: ADO_ORG, project: ADO_PROJECT.name, workItemType },
    syncInterval: "10m",
    network: { allowPrivateAddresses: true, allowLinkLocal: false },
  };
}

ticketConnectorContract("Azure DevOps", async () => {
  const standIn = await new AzureDevOpsStandIn().start();
  return {
    standIn,
    spec: adoSpec(standIn.baseUrl),
    credentials: { token: ADO_BOT.pat },
    badCredentials: { token: "not-a-valid-pat-000000000" },
    account: ADO_BOT.id,
    authMessageFragment: "TF400813",
    createRoute: "POST /:org/:project/_apis/wit/workitems/:type",
    getRoute: "GET /:org/:project/_apis/wit/workitems/:id",
  };
});

describe("Azure DevOps specifics", () => {
  let agile: AzureDevOpsStandIn;
  const opened: TicketConnector[] = [];
  const make = (spec: IntegrationSpec, token = ADO_BOT.pat) => {
    const c = createTicketConnector(spec, { token }, { timeouts: TEST_TIMEOUTS });
    opened.push(c);
    return c;
  };
  beforeAll(async () => {
    agile = await new AzureDevOpsStandIn().start();
  });
  afterAll(async () => {
    await Promise.all(opened.map((c) => c.close()));
    await agile.close();
  });

  it("creates a Bug with JSON Patch: title, HTML repro steps, severity and tags", async () => {
    const draft = aDraft({ severity: "HIGH" });
    const t = await make(adoSpec(agile.baseUrl)).create(draft);
    const item = agile.items.get(Number(t.ref))!;
    expect(item.fields["Microsoft.VSTS.Common.Severity"]).toBe("2 - High");
    expect(String(item.fields["Microsoft.VSTS.TCM.ReproSteps"])).toContain("<code>log4j-core</code>");
    expect(String(item.fields["System.Tags"]).split("; ")).toEqual(expect.arrayContaining(["fixops", `fixops-${draft.idempotencyKey}`, "security"]));
    expect(t.url).toBe(`${agile.baseUrl}/${ADO_ORG}/${ADO_PROJECT.name}/_workitems/edit/${t.ref}`);
  });

  it("chooses states by category in the Basic process (To Do / Doing / Done)", async () => {
    const basic = await new AzureDevOpsStandIn({ process: "basic" }).start();
    try {
      const c = make(adoSpec(basic.baseUrl, "Issue"));
      const t = await c.create(aDraft());
      expect(t).toMatchObject({ state: "To Do", category: "open" });
      expect(await c.setState(t.ref, "done", "fixed")).toMatchObject({ state: "Done", category: "done" });
      basic.humanSetState(t.ref, "in_progress");
      expect(await c.get(t.ref)).toMatchObject({ state: "Doing", category: "in_progress" });
      expect(await c.setState(t.ref, "done")).toMatchObject({ state: "Done" });
      expect(await c.setState(t.ref, "open")).toMatchObject({ state: "To Do" });
    } finally {
      await basic.close();
    }
  });

  it("requires the exact tag, not a longer tag that merely contains it", async () => {
    const c = make(adoSpec(agile.baseUrl));
    const long = aDraft({ idempotencyKey: "abc-123-extra" });
    await c.create(long);
    // WIQL CONTAINS 'fixops-abc-123' also matches 'fixops-abc-123-extra'.
    expect(await c.findByIdempotencyKey("abc-123")).toBeNull();
    expect((await c.findByIdempotencyKey("abc-123-extra"))?.idempotencyKey).toBe("abc-123-extra");
  });

  it("treats the 203 sign-in page for a bad PAT as AuthError", async () => {
    const quirky = await new AzureDevOpsStandIn({ badPatResponse: 203 }).start();
    try {
      const err = await make(adoSpec(quirky.baseUrl), "expired-pat-000000000000").checkCredentials().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthError);
      expect((err as AuthError).status).toBe(203);
    } finally {
      await quirky.close();
    }
  });

  it("reports Azure DevOps' TF/VS errors: unknown type as NotFoundError, rule errors as TerminalError", async () => {
    const unknownType = await make(adoSpec(agile.baseUrl, "Epic")).create(aDraft()).catch((e: unknown) => e);
    expect(unknownType).toBeInstanceOf(NotFoundError);
    expect((unknownType as Error).message).toContain("VS402323");
    const noTitle = await make(adoSpec(agile.baseUrl)).create(aDraft({ title: "" })).catch((e: unknown) => e);
    expect(noTitle).toBeInstanceOf(TerminalError);
    expect((noTitle as Error).message).toContain("TF401320: Rule Error for field Title");
  });

  it("turns a TF400733 429 into RateLimitedError with the message", async () => {
    agile.faults.rateLimit(1, "2");
    const err = await make(adoSpec(agile.baseUrl)).findByIdempotencyKey("zzz").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as Error).message).toContain("TF400733");
  });
});
