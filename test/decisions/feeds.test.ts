// EPSS and KEV feeds on real parts: a loopback HTTP server publishing the files as FIRST and CISA do,
// a real PostgreSQL storing the snapshots, a ConfigMap and a file as air-gapped sources, and the
// operator re-deciding a ScanResult when the KEV catalog changes — then the exception/expiry cycle
// driven by the KEV rule alone.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { FeedManager } from "../../feeds/manager.js";
import { parseFeedSource } from "../../feeds/source.js";
import { systemClock } from "../../operator/clock.js";
import type { KubeClient } from "../../operator/kube/client.js";
import { Resources, type KubeObject } from "../../operator/kube/port.js";
import type { RunningOperator } from "../../operator/main.js";
import { migrate } from "../../store/migrate.js";
import { adminClient, createDatabase, createNamespace, quietLog, readyCondition, suffix, waitForObject } from "../harness/env.js";
import { operatorConfig, runOperatorInProcess } from "../harness/operator.js";
import { epssCsvGz, kevCatalogText } from "../support/feeds.js";
import { LOG4SHELL, SPRING4SHELL, trivyReport } from "../support/reports.js";

let kube: KubeClient;
let ns: string;

beforeAll(async () => {
  kube = await adminClient();
  ns = await createNamespace(kube, "feeds");
});
afterAll(async () => {
  await kube.delete(Resources.Namespace, undefined, ns);
  kube.close();
});

describe("FeedManager with a loopback publisher and PostgreSQL", () => {
  let server: Server;
  let base: string;
  let db: pg.Pool;
  const hits: string[] = [];
  let failWith: number | undefined;
  const tag = suffix();
  let kevVersion = `2026.11.${tag}a`;

  beforeAll(async () => {
    db = new pg.Pool({ connectionString: await createDatabase("feeds"), max: 4 });
    await migrate(db, quietLog());
    server = createServer((req, res) => {
      hits.push(req.url ?? "");
      if (failWith) {
        res.writeHead(failWith).end("upstream trouble");
        return;
      }
      if (req.url === "/epss_scores-current.csv.gz") {
        res.writeHead(200, { "content-type": "application/gzip" }).end(epssCsvGz("2026-11-21", [["CVE-2021-44228", 0.94358, 0.99957], ["CVE-2022-22965", 0.97, 0.999]]));
      } else if (req.url === "/known_exploited_vulnerabilities.json") {
        res.writeHead(200, { "content-type": "application/json" }).end(kevCatalogText(kevVersion, ["CVE-2021-44228"]));
      } else if (req.url === "/moved") {
        res.writeHead(302, { location: "/known_exploited_vulnerabilities.json" }).end();
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await db.end();
  });

  const manager = (kevPath = "/known_exploited_vulnerabilities.json") =>
    new FeedManager({
      pool: db,
      kube,
      log: quietLog(),
      clock: systemClock,
      sources: { epss: parseFeedSource("epss", `${base}/epss_scores-current.csv.gz`), kev: parseFeedSource("kev", `${base}${kevPath}`) },
      refreshMs: 3600_000,
      pollMs: 60_000,
    });

  it("fetches, stores with version and source, and serves the snapshots; a replica loads them from the store without fetching", async () => {
    const leader = manager();
    let changes = 0;
    leader.onChange(() => changes++);
    expect(await leader.refresh()).toEqual({});
    expect(hits.sort()).toEqual(["/epss_scores-current.csv.gz", "/known_exploited_vulnerabilities.json"]);
    expect(leader.current()).toEqual({});
    expect(await leader.load()).toBe(true);
    expect(changes).toBe(1);
    const f = leader.current();
    expect(f.epss?.version).toBe("epss:v2025.03.14@2026-11-21");
    expect(f.epss?.get("CVE-2021-44228")).toEqual({ probability: 0.94358, percentile: 0.99957 });
    expect(f.kev?.version).toBe(`kev:${kevVersion}`);
    expect(f.kev?.get("cve-2021-44228")?.dueDate).toBe("2021-12-24");

    const rows = await db.query<{ feed: string; version: string; source: string; entries: string }>("SELECT feed, version, source, entries FROM feed_snapshots ORDER BY feed");
    expect(rows.rows).toEqual([
      { feed: "epss", version: "epss:v2025.03.14@2026-11-21", source: `${base}/epss_scores-current.csv.gz`, entries: "2" },
      { feed: "kev", version: `kev:${kevVersion}`, source: `${base}/known_exploited_vulnerabilities.json`, entries: "1" },
    ]);

    // Within the refresh interval the leader does not download again.
    hits.length = 0;
    expect(await leader.refresh()).toEqual({});
    expect(hits).toEqual([]);
    expect(await leader.load()).toBe(false);

    // Another replica: same data from the store, no download.
    const replica = manager();
    expect(await replica.load()).toBe(true);
    expect(hits).toEqual([]);
    expect(replica.current().kev?.version).toBe(`kev:${kevVersion}`);
    expect(replica.current().epss?.version).toBe(leader.current().epss?.version);
  });

  it("a failing publisher keeps the last good snapshot and says why; a new catalog version replaces it (following a redirect)", async () => {
    const m = manager();
    await m.load();
    failWith = 503;
    const failed = await m.refresh(true);
    expect(failed.kev).toMatch(/^kev feed from http:\/\/127\.0\.0\.1:\d+\/known_exploited_vulnerabilities\.json: HTTP 503$/);
    expect(failed.epss).toMatch(/HTTP 503/);
    expect(m.status().kev.lastError).toBe(failed.kev);
    expect(m.current().kev?.version).toBe(`kev:${kevVersion}`);
    failWith = undefined;

    kevVersion = `2026.11.${tag}b`;
    const moved = manager("/moved");
    expect(await moved.refresh(true)).toEqual({});
    expect(await moved.load()).toBe(true);
    expect(moved.current().kev?.version).toBe(`kev:${kevVersion}`);
    expect(moved.status().kev).toMatchObject({ version: `kev:${kevVersion}`, entries: 1 });
  });
});

const IMAGE = "ghcr.io/acme/payments:3.1.0";
// CVE-2021-44228 reported as MEDIUM here: only its KEV membership can make the gate block it.
const report = trivyReport(IMAGE, [{ ...LOG4SHELL, severity: "MEDIUM" }, { ...SPRING4SHELL, severity: "LOW" }]);

type Decision = {
  outcome: string;
  confidence: number;
  feeds?: { epss?: string; kev?: string };
  exceptionsApplied?: string[];
  gates: { name: string; outcome: string; reasons: string[] }[];
  topFindings: { id: string; kev?: boolean; epss?: number }[];
};
const decision = (o: KubeObject) => (o.status as { decision?: Decision } | undefined)?.decision;
const decided = (pred: (d: Decision) => boolean) => (o: KubeObject) => readyCondition(o)?.status === "True" && !!decision(o) && pred(decision(o)!);

describe("the operator decides with the feeds", () => {
  let op: RunningOperator;
  const tag = suffix();
  const kevV1 = `2026.11.${tag}-1`;
  const kevV2 = `2026.11.${tag}-2`;
  const setKev = async (version: string, cves: string[]) => {
    const data = { "kev.json": kevCatalogText(version, cves) };
    const existing = await kube.get<KubeObject>(Resources.ConfigMap, ns, "feeds");
    if (existing) await kube.mergePatch(Resources.ConfigMap, ns, "feeds", { data });
    else await kube.create(Resources.ConfigMap, { metadata: { name: "feeds", namespace: ns }, data } as KubeObject);
  };

  beforeAll(async () => {
    await setKev(kevV1, ["CVE-2014-0160"]);
    const dir = mkdtempSync(join(tmpdir(), "fixops-epss-"));
    const epssFile = join(dir, "epss_scores-current.csv.gz");
    writeFileSync(epssFile, epssCsvGz(`2026-10-${String(10 + (parseInt(tag, 16) % 18)).padStart(2, "0")}`, [["CVE-2021-44228", 0.94358, 0.99957]]));
    op = await runOperatorInProcess(
      await operatorConfig({ watchNamespace: ns, kevSource: `configmap:${ns}/feeds/kev.json`, epssSource: `file:${epssFile}`, feedPollSeconds: 1 }),
    );
  });
  afterAll(async () => {
    await op?.stop();
  });

  it("ALLOW while the CVE is not in KEV; BLOCK when a new catalog adds it (no change to the ScanResult); an exception lifts it until its expiry", async () => {
    await kube.create(Resources.PolicyGate, {
      metadata: { name: "no-kev", namespace: ns },
      spec: { mode: "enforce", blockRules: [{ name: "known-exploited", kev: true }] },
    });
    await kube.create(Resources.ScanResult, {
      metadata: { name: "payments", namespace: ns },
      spec: { artifact: { image: IMAGE }, scanner: { name: "trivy" }, report: { inline: report } },
    });
    const allowed = await waitForObject(kube, Resources.ScanResult, ns, "payments", decided((d) => d.outcome === "ALLOW" && d.feeds?.kev === `kev:${kevV1}` && d.feeds?.epss !== undefined));
    const d0 = decision(allowed)!;
    expect(d0.feeds?.epss).toMatch(/^epss:v2025\.03\.14@2026-10-\d\d$/);
    expect(d0.topFindings.find((f) => f.id === "CVE-2021-44228")).toMatchObject({ epss: 0.94358 });
    expect(d0.topFindings.find((f) => f.id === "CVE-2021-44228")?.kev).toBeFalsy();
    const generation = allowed.metadata.generation;

    await setKev(kevV2, ["CVE-2014-0160", "CVE-2021-44228"]);
    const blocked = await waitForObject(kube, Resources.ScanResult, ns, "payments", decided((d) => d.outcome === "BLOCK"), 20_000);
    const d1 = decision(blocked)!;
    expect(d1.feeds?.kev).toBe(`kev:${kevV2}`);
    expect(d1.gates.find((g) => g.name === "no-kev")?.reasons.join("\n")).toContain("CVE-2021-44228");
    expect(d1.topFindings.find((f) => f.id === "CVE-2021-44228")).toMatchObject({ kev: true });
    expect(blocked.metadata.generation).toBe(generation);

    const expiresAt = new Date(Date.now() + 7000);
    expiresAt.setMilliseconds(0);
    await kube.create(Resources.RiskException, {
      metadata: { name: "log4j-kev-waiver", namespace: ns },
      spec: { vulnerabilityIds: ["CVE-2021-44228"], expiresAt: expiresAt.toISOString(), approver: "alice", reason: "WAF rule in place until the rollout" },
    });
    const waived = await waitForObject(kube, Resources.ScanResult, ns, "payments", decided((d) => d.outcome !== "BLOCK"), 6000);
    expect(Date.now()).toBeLessThan(expiresAt.getTime());
    expect(decision(waived)!.exceptionsApplied).toEqual(["log4j-kev-waiver"]);

    const again = await waitForObject(kube, Resources.ScanResult, ns, "payments", decided((d) => d.outcome === "BLOCK"), 20_000);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt.getTime());
    expect(decision(again)!.exceptionsApplied ?? []).toEqual([]);
    expect(again.metadata.generation).toBe(generation);
  }, 60_000);

  it("/metrics names the feeds in use", async () => {
    const text = await (await fetch(`http://127.0.0.1:${op.healthPort}/metrics`)).text();
    expect(text).toMatch(/^fixops_feed_entries\{feed="kev"\} 2$/m);
    expect(text).toMatch(/^fixops_feed_entries\{feed="epss"\} 1$/m);
  });
});
