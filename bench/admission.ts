// npm run bench:admission — the admission webhook with 10,000 image digests indexed, driven over TLS on
// loopback by autocannon at 64 and 100 connections, side by side with a bare Node HTTPS server that
// answers a fixed AdmissionReview (the ceiling on this machine) and, for reference, one that only
// parses the review and echoes its uid (the floor of any webhook that reads its input). The load
// generator runs in a child process so it does not share the servers' event loop. Prints figures;
// asserts nothing.
import { fork, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { createServer as createHttpsServer, type Server } from "node:https";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { cpus } from "node:os";
import { Registry } from "prom-client";
import type { Outcome, Severity } from "../api/v1alpha1/index.js";
import { analyseReports, parseReport, type ArtifactAssessment } from "../engine/index.js";
import { EngineDecider } from "../webhooks/admission/engine-decider.js";
import { ImageDecisionIndex } from "../webhooks/admission/image-index.js";
import type { AdmissionDecider } from "../webhooks/admission/types.js";
import { PrecomputedVerdictDecider, type AdmissionGate, type PrecomputedAssessment, type PrecomputedGateOutcome } from "../webhooks/admission/precomputed-decider.js";
import { histogramQuantile } from "../webhooks/server/metrics.js";
import { createWebhookServer } from "../webhooks/server/server.js";
import { createCertificateAuthority, issueServingCertificate } from "../webhooks/tls/certificates.js";
import { seededRandom } from "../test/support/seeded-random.js";

const IMAGES = 10_000;
const NAMESPACE = "shop";
// `--duration <s>`, `--connections 64,100`, `--only webhook|parse|bare` and `--decider engine|precomputed`
// change a run (e.g. for profiling).
function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}
const DURATION_S = Number(flag("duration") ?? 10);
const WARMUP_S = 2;
const CONNECTIONS = (flag("connections") ?? "64,100").split(",").map(Number);
const ONLY = flag("only");
/** engine: the operator's EngineDecider over engine assessments (the production path); precomputed: per-gate outcomes stored in the index. */
const DECIDER = flag("decider") ?? "engine";
const BODIES = 4_096;
const TARGETS = { ratio: 0.7, meanMs100: 8, evalP99Ms: 1 };

// ---- shared by both processes: the indexed images -----------------------------------------------


interface IndexedImage {
  repo: string;
  tag: string;
  digest: string;
}

function indexedImage(i: number): IndexedImage {
  return {
    repo: `registry.example.com/team-${i % 40}/svc-${i}`,
    tag: `1.${i % 13}.${i % 7}`,
    digest: `sha256:${createHash("sha256").update(`image-${i}`).digest("hex")}`,
  };
}

// ---- load generator (child process) -------------------------------------------------------------

interface LoadRequest {
  url: string;
  connections: number;
  durationS: number;
}

interface LoadResult {
  requests: number;
  durationS: number;
  rps: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

/** The subset of autocannon's programmatic API used here (the package ships no types). */
interface AutocannonResult {
  requests: { total: number; average: number };
  latency: { mean: number; p50: number; p99: number };
  duration: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (
  opts: {
    url: string;
    connections: number;
    duration: number;
    method: string;
    headers: Record<string, string>;
    requests: Array<{ setupRequest: (req: { body?: Buffer | string }) => { body?: Buffer | string } }>;
  },
  cb: (err: Error | null, result: AutocannonResult) => void,
) => unknown;

function deploymentReview(rand: () => number, n: number): Buffer {
  const pickImage = (): string => {
    const r = rand();
    const img = indexedImage(Math.floor(rand() * IMAGES));
    // Realistic mix: pinned digests, plain tags, tag+digest, and some images nobody scanned.
    if (r < 0.4) return `${img.repo}@${img.digest}`;
    if (r < 0.8) return `${img.repo}:${img.tag}`;
    if (r < 0.95) return `${img.repo}:${img.tag}@${img.digest}`;
    return `registry.example.com/unscanned/tool-${Math.floor(rand() * 1000)}:latest`;
  };
  const containers = [{ name: "app", image: pickImage(), ports: [{ containerPort: 8080 }], resources: { requests: { cpu: "100m", memory: "128Mi" } } }];
  if (rand() < 0.5) containers.push({ name: "sidecar", image: pickImage(), ports: [{ containerPort: 9090 }], resources: { requests: { cpu: "10m", memory: "32Mi" } } });
  const labels = { app: `svc-${n}`, tier: ["web", "api", "batch"][n % 3]! };
  const object = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: `svc-${n}`, namespace: NAMESPACE, uid: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`, labels },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: labels.app } },
      template: {
        metadata: { labels },
        spec: { initContainers: rand() < 0.3 ? [{ name: "migrate", image: pickImage() }] : [], containers, serviceAccountName: "default" },
      },
    },
  };
  return Buffer.from(
    JSON.stringify({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      request: {
        uid: `10000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
        kind: { group: "apps", version: "v1", kind: "Deployment" },
        resource: { group: "apps", version: "v1", resource: "deployments" },
        requestKind: { group: "apps", version: "v1", kind: "Deployment" },
        name: object.metadata.name,
        namespace: NAMESPACE,
        operation: "CREATE",
        userInfo: { username: "system:serviceaccount:argocd:argocd-application-controller", groups: ["system:serviceaccounts", "system:authenticated"] },
        object,
        oldObject: null,
        dryRun: false,
        options: { apiVersion: "meta.k8s.io/v1", kind: "CreateOptions", fieldManager: "argocd-controller" },
      },
    }),
  );
}

function runLoadGenerator(): void {
  const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;
  const rand = seededRandom(42);
  const bodies = Array.from({ length: BODIES }, (_, n) => deploymentReview(rand, n));
  process.on("message", (msg: LoadRequest) => {
    autocannon(
      {
        url: msg.url,
        connections: msg.connections,
        duration: msg.durationS,
        method: "POST",
        headers: { "content-type": "application/json" },
        requests: [
          {
            setupRequest: (req) => {
              req.body = bodies[Math.floor(Math.random() * bodies.length)]!;
              return req;
            },
          },
        ],
      },
      (err, r) => {
        if (err) {
          process.send!({ error: err.message });
          return;
        }
        const result: LoadResult = {
          requests: r.requests.total,
          durationS: r.duration,
          rps: r.requests.total / r.duration,
          meanMs: r.latency.mean,
          p50Ms: r.latency.p50,
          p99Ms: r.latency.p99,
          non2xx: r.non2xx,
          errors: r.errors,
          timeouts: r.timeouts,
        };
        process.send!(result);
      },
    );
  });
  process.send!({ ready: true });
}

// ---- main process: servers, index, report --------------------------------------------------------

function assessment(rand: () => number, i: number): PrecomputedAssessment {
  const findings = (n: number, kevShare: number) =>
    Array.from({ length: n }, (_, k) => ({
      id: `CVE-20${20 + (k % 5)}-${10000 + ((i * 7 + k * 131) % 90000)}`,
      severity: (["CRITICAL", "HIGH", "HIGH", "MEDIUM"] as Severity[])[k % 4]!,
      kev: rand() < kevShare,
    }));
  const outcome = (pBlock: number, pReview: number): Outcome => {
    const r = rand();
    return r < pBlock ? "BLOCK" : r < pBlock + pReview ? "NEEDS_REVIEW" : "ALLOW";
  };
  const gate = (o: Outcome): PrecomputedGateOutcome => ({
    outcome: o,
    reasons: o === "ALLOW" ? [] : o === "BLOCK" ? ["finding in CISA KEV with a fix available"] : ["HIGH findings without a fix"],
    topFindings: o === "ALLOW" ? findings(Math.floor(rand() * 3), 0) : findings(1 + Math.floor(rand() * 6), o === "BLOCK" ? 0.6 : 0.1),
    ...(o === "BLOCK" ? { remediationTask: `${NAMESPACE}/svc-${i}-kev` } : {}),
  });
  return { gates: { "shop/baseline": gate(outcome(0.05, 0.1)), "shop/api-review": gate(outcome(0, 0.2)), "shop/strict-audit": gate(outcome(0.3, 0.1)) } };
}

const GATES: AdmissionGate[] = [
  { name: "shop/baseline", mode: "enforce", needsReviewAction: "warn", missingScan: "review", images: ["registry.example.com/**"] },
  { name: "shop/api-review", mode: "warn", needsReviewAction: "warn", missingScan: "allow", workloads: { matchExpressions: [{ key: "tier", operator: "In", values: ["web", "api"] }] } },
  { name: "shop/strict-audit", mode: "audit", needsReviewAction: "deny", missingScan: "block", excludeImages: ["registry.example.com/team-0/**"] },
];

// The same three gates as PolicyGate specs, for the engine decider; the findings below are drawn so
// that the outcomes mix roughly as in the precomputed set (a few BLOCKs, more reviews and audits).
const ENGINE_GATES = [
  { name: "baseline", spec: { mode: "enforce", missingScan: "review", selector: { images: ["registry.example.com/**"] }, blockRules: [{ name: "critical-fixable", minSeverity: "CRITICAL", fixAvailable: true }] } },
  { name: "api-review", spec: { mode: "warn", missingScan: "allow", selector: { workloads: { matchExpressions: [{ key: "tier", operator: "In", values: ["web", "api"] }] } }, reviewRules: [{ name: "high", minSeverity: "HIGH" }] } },
  { name: "strict-audit", spec: { mode: "audit", missingScan: "block", needsReviewAction: "deny", selector: { excludeImages: ["registry.example.com/team-0/**"] }, blockRules: [{ name: "any-critical", minSeverity: "CRITICAL" }] } },
];

function engineAssessment(rand: () => number, i: number, img: IndexedImage, asOf: Date): ArtifactAssessment {
  const image = `${img.repo}:${img.tag}`;
  const severity = (): string => {
    const r = rand();
    return r < 0.04 ? "CRITICAL" : r < 0.12 ? "HIGH" : r < 0.5 ? "MEDIUM" : "LOW";
  };
  const vulns = Array.from({ length: 2 + Math.floor(rand() * 12) }, (_, k) => ({
    VulnerabilityID: `CVE-20${20 + (k % 5)}-${10000 + ((i * 7 + k * 131) % 90000)}`,
    PkgName: `pkg-${k}`,
    InstalledVersion: "1.0.0",
    ...(rand() < 0.6 ? { FixedVersion: "1.0.1" } : {}),
    Severity: severity(),
  }));
  const report = JSON.stringify({ SchemaVersion: 2, ArtifactName: image, ArtifactType: "container_image", Results: [{ Target: `${image} (debian 12)`, Class: "os-pkgs", Type: "debian", Vulnerabilities: vulns }] });
  return analyseReports([parseReport(report)], { feeds: {}, asOf, image, digest: img.digest, scannedAt: asOf.toISOString() }).assessment;
}

function buildDecider(): { decider: AdmissionDecider; size: () => { scanResults: number; digests: number; tags: number }; gates: string } {
  const rand = seededRandom(7);
  if (DECIDER === "precomputed") {
    const index = new ImageDecisionIndex<PrecomputedAssessment>();
    for (let i = 0; i < IMAGES; i++) {
      const img = indexedImage(i);
      index.upsert({ scanResult: { namespace: NAMESPACE, name: `svc-${i}-scan` }, image: `${img.repo}:${img.tag}`, digest: img.digest, scannedAt: new Date(Date.UTC(2026, 1, 1) + i * 1000), assessment: assessment(rand, i) });
    }
    index.markSynced();
    const decider = new PrecomputedVerdictDecider(index);
    decider.setGates(NAMESPACE, GATES);
    return { decider, size: () => index.size, gates: GATES.map((g) => `${g.name} (${g.mode})`).join(", ") };
  }
  const index = new ImageDecisionIndex<ArtifactAssessment>();
  const asOf = new Date();
  for (let i = 0; i < IMAGES; i++) {
    const img = indexedImage(i);
    index.upsert({ scanResult: { namespace: NAMESPACE, name: `svc-${i}-scan` }, image: `${img.repo}:${img.tag}`, digest: img.digest, scannedAt: asOf, assessment: engineAssessment(rand, i, img, asOf) });
  }
  index.markSynced();
  const decider = new EngineDecider(index);
  decider.setGates(NAMESPACE, ENGINE_GATES.map((g) => ({ metadata: { name: g.name, namespace: NAMESPACE }, spec: g.spec })));
  decider.markGatesSynced();
  return { decider, size: () => index.size, gates: ENGINE_GATES.map((g) => `${g.name} (${g.spec.mode})`).join(", ") };
}

function startLoadGenerator(): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    // Same loader flags (tsx) as this process, so the child runs this TypeScript file too.
    const child = fork(process.argv[1]!, ["--loadgen"], { execArgv: process.execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    child.once("message", () => resolve(child));
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`load generator exited with ${code}`)));
  });
}

// This machine is shared: CPU used by other processes during a run is measured and printed (Linux
// /proc; 0 elsewhere), so that a contaminated figure is visible as such.
function busyTicks(): number {
  try {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    return f[0]! + f[1]! + f[2]! + f[4]! + f[5]! + f[6]! + f[7]!; // all but idle (and guest, counted in user)
  } catch {
    return 0;
  }
}
function processTicks(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return Number(f[11]) + Number(f[12]); // utime + stime
  } catch {
    return 0;
  }
}
const TICKS_PER_S = 100;

function drive(child: ChildProcess, req: LoadRequest): Promise<LoadResult & { othersCpu: number; serverCpuUs: number }> {
  const busy0 = busyTicks();
  const server0 = processTicks(process.pid);
  const ours0 = server0 + processTicks(child.pid!);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    child.once("message", (m: LoadResult | { error: string }) => {
      if ("error" in m) return reject(new Error(m.error));
      const elapsedTicks = ((performance.now() - t0) / 1000) * TICKS_PER_S;
      const others = busyTicks() - busy0 - (processTicks(process.pid) + processTicks(child.pid!) - ours0);
      // Kernel work for our sockets (softirq) lands here too, so a few percent is normal.
      // CPU time of the servers' process per answered request: unlike req/s, it hardly depends on
      // what else runs on the machine, so it compares the servers even on a busy host.
      const serverCpuUs = m.requests > 0 ? (((processTicks(process.pid) - server0) / TICKS_PER_S) * 1e6) / m.requests : NaN;
      resolve({ ...m, othersCpu: elapsedTicks > 0 ? Math.max(0, others / elapsedTicks) : 0, serverCpuUs });
    });
    child.send(req);
  });
}

function listen(server: Server): Promise<AddressInfo> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server.address() as AddressInfo)));
}

const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);

async function main(): Promise<void> {
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const { decider, size, gates } = buildDecider();
  const indexMs = performance.now() - t0;
  const heapIndex = process.memoryUsage().heapUsed - heap0;

  const now = new Date();
  const ca = await createCertificateAuthority({ now, validityMs: 3_600_000 });
  const serving = await issueServingCertificate({ ca, dnsNames: ["fixops-webhook.fixops-system.svc"], ipAddresses: ["127.0.0.1"], now, validityMs: 3_600_000 });

  const registry = new Registry();
  const webhook = createWebhookServer({
    tls: { cert: serving.certPem, key: serving.keyPem },
    host: "127.0.0.1",
    port: 0,
    decider,
    operatorNamespace: "fixops-system",
    clock: { now: () => new Date() },
    registry,
  });
  const webhookAddr = await webhook.listen();

  // The ceiling: same TLS, reads the whole body, answers a fixed AdmissionReview.
  const fixed = Buffer.from(JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: "00000000-0000-4000-8000-000000000000", allowed: true } }));
  const bare = createHttpsServer({ cert: serving.certPem, key: serving.keyPem, minVersion: "TLSv1.2" }, (req, res) => {
    req.on("data", () => undefined);
    req.on("end", () => {
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": fixed.length });
      res.end(fixed);
    });
  });
  const bareAddr = await listen(bare);
  // A reference for the floor of any real webhook: parse the review, echo its uid (no decision).
  const parseOnly = createHttpsServer({ cert: serving.certPem, key: serving.keyPem, minVersion: "TLSv1.2" }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const review = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { request: { uid: string } };
      const body = Buffer.from(JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: review.request.uid, allowed: true } }));
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": body.length });
      res.end(body);
    });
  });
  const parseAddr = await listen(parseOnly);

  const child = await startLoadGenerator();
  const urls = {
    bare: `https://127.0.0.1:${bareAddr.port}/validate/workloads`,
    parse: `https://127.0.0.1:${parseAddr.port}/validate/workloads`,
    webhook: `https://127.0.0.1:${webhookAddr.port}/validate/workloads`,
  };

  console.log(`FixOps admission benchmark — node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"})`);
  console.log(
    DECIDER === "precomputed"
      ? "decider: PrecomputedVerdictDecider (per-gate outcomes precomputed into the index)"
      : "decider: EngineDecider (the operator's: engine assessments in the index, evaluateGates per image, verdicts kept until an input changes)",
  );
  const sz = size();
  console.log(`index: ${sz.scanResults} ScanResults, ${sz.digests} digests, ${sz.tags} tags; built in ${f1(indexMs)} ms; ~${f1(heapIndex / 1024 / 1024)} MB heap`);
  console.log(`gates in ${NAMESPACE}: ${gates}`);
  console.log(`load: autocannon in a child process, ${BODIES} distinct Deployment AdmissionReviews (1–3 images: digest / tag / tag@digest / unscanned), ${DURATION_S} s per run after ${WARMUP_S} s warm-up\n`);

  type Measured = LoadResult & { othersCpu: number; serverCpuUs: number };
  const rows: Array<{ c: number; bare: Measured; parse: Measured; hook: Measured; evalP99Ms: number; evalP50Ms: number }> = [];
  for (const c of CONNECTIONS) {
    const skipped: Measured = { requests: 0, durationS: 0, rps: NaN, meanMs: NaN, p50Ms: NaN, p99Ms: NaN, non2xx: 0, errors: 0, timeouts: 0, othersCpu: 0, serverCpuUs: NaN };
    let b = skipped;
    let p = skipped;
    let h = skipped;
    if (ONLY === undefined || ONLY === "bare") {
      await drive(child, { url: urls.bare, connections: c, durationS: WARMUP_S });
      b = await drive(child, { url: urls.bare, connections: c, durationS: DURATION_S });
    }
    if (ONLY === undefined || ONLY === "parse") {
      await drive(child, { url: urls.parse, connections: c, durationS: WARMUP_S });
      p = await drive(child, { url: urls.parse, connections: c, durationS: DURATION_S });
    }
    if (ONLY === undefined || ONLY === "webhook") {
      await drive(child, { url: urls.webhook, connections: c, durationS: WARMUP_S });
      webhook.metrics.evaluationSeconds.reset();
      h = await drive(child, { url: urls.webhook, connections: c, durationS: DURATION_S });
    }
    const evalP99Ms = (await histogramQuantile(webhook.metrics.evaluationSeconds, 0.99, { route: "workloads" })) * 1000;
    const evalP50Ms = (await histogramQuantile(webhook.metrics.evaluationSeconds, 0.5, { route: "workloads" })) * 1000;
    rows.push({ c, bare: b, parse: p, hook: h, evalP99Ms, evalP50Ms });
  }

  const line = (name: string, c: number, r: Measured) =>
    `${name.padEnd(8)} ${String(c).padStart(5)} ${f1(r.rps).padStart(10)} ${f2(r.meanMs).padStart(9)} ${f2(r.p50Ms).padStart(8)} ${f2(r.p99Ms).padStart(8)} ${String(r.requests).padStart(9)} ${String(r.non2xx + r.errors + r.timeouts).padStart(7)} ${`${Math.round(r.othersCpu * 100)}%`.padStart(12)} ${f1(r.serverCpuUs).padStart(15)}`;
  console.log(`${"server".padEnd(8)} ${"conns".padStart(5)} ${"req/s".padStart(10)} ${"mean ms".padStart(9)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"requests".padStart(9)} ${"failed".padStart(7)} ${"other CPU".padStart(12)} ${"srv CPU µs/req".padStart(15)}`);
  for (const r of rows) {
    console.log(line("bare", r.c, r.bare));
    console.log(line("parse", r.c, r.parse));
    console.log(line("webhook", r.c, r.hook));
  }
  console.log("");
  const ok = (b: boolean) => (b ? "ok" : "MISSED");
  for (const r of rows) {
    const ratio = r.hook.rps / r.bare.rps;
    console.log(
      `${r.c} connections: throughput ratio webhook/bare ${f2(ratio)} (target ≥ ${TARGETS.ratio}: ${ok(ratio >= TARGETS.ratio)}; parse-only/bare ${f2(r.parse.rps / r.bare.rps)}, webhook/parse-only ${f2(r.hook.rps / r.parse.rps)}); ` +
        `server CPU per request bare/webhook ${f2(r.bare.serverCpuUs / r.hook.serverCpuUs)} (the ratio to expect with the server CPU-bound and the host otherwise idle); ` +
        `server-side evaluation p50 ${(r.evalP50Ms * 1000).toFixed(0)} µs, p99 ${(r.evalP99Ms * 1000).toFixed(0)} µs (target ≤ ${TARGETS.evalP99Ms} ms: ${ok(r.evalP99Ms <= TARGETS.evalP99Ms)})` +
        (r.c === 100 ? `; mean latency ${f2(r.hook.meanMs)} ms (target ≤ ${TARGETS.meanMs100} ms: ${ok(r.hook.meanMs <= TARGETS.meanMs100)})` : ""),
    );
  }
  const metrics = await registry.getSingleMetricAsString("fixops_admission_decisions_total");
  const totals = new Map<string, number>();
  for (const m of metrics.matchAll(/decision="(\w+)"\} (\d+)/g)) totals.set(m[1]!, (totals.get(m[1]!) ?? 0) + Number(m[2]));
  const reviews = await registry.getSingleMetricAsString("fixops_admission_reviews_total");
  const byResult = [...reviews.matchAll(/result="(\w+)"\} (\d+)/g)].map((m) => `${m[1]} ${m[2]}`).join(", ");
  console.log(`\nreviews answered (all runs): ${byResult}; per-gate decisions: ${[...totals].map(([k, v]) => `${k} ${v}`).join(", ")}`);
  if (rows.some((r) => r.bare.othersCpu > 0.1 || r.parse.othersCpu > 0.1 || r.hook.othersCpu > 0.1)) {
    console.log("NOTE: other processes used more than 10% of a CPU during some runs ('other CPU'); those figures understate this code.");
  }
  const failed = rows.some((r) => [r.bare, r.parse, r.hook].some((m) => m.non2xx + m.errors + m.timeouts > 0));
  if (failed) console.log("WARNING: some requests failed (see the 'failed' column)");

  child.kill();
  bare.close();
  parseOnly.close();
  await webhook.close(1_000);
}

if (process.argv.includes("--loadgen")) runLoadGenerator();
else
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
