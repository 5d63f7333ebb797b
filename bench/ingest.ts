// `npm run bench:ingest`: generates a 100k-finding Trivy report (realistic entries: descriptions,
// references, two CVSS sources, purls), then measures, each in a fresh child process:
//   pipeline  — read + parse + normalise + correlate + score + assess + evaluate (default gate)
//   json      — plain JSON.parse of the same file, for the ratio
//   baseline  — a child that only starts, to show what the runtime itself costs in RSS
// and prints wall time, peak RSS (process.resourceUsage().maxRSS) and the ratio.
// It also prints the per-request cost of evaluateGates on the resulting compact assessment (the
// admission webhook's hot path). Targets (issue 3): ≤ 3 s, ≤ 400 MB, ≤ 3× JSON.parse. Figures are
// printed, never asserted. BENCH_FINDINGS changes the size; BENCH_DIR keeps the generated files.
import { spawnSync } from "node:child_process";
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { analyseReports, compileException, compileGate, DEFAULT_GATE, evaluateGates, parseEpssCsv, parseKevCatalog, parseReport, type ArtifactAssessment } from "../engine/index.js";
import { openReportFile } from "../cli/evaluate.js";

const FINDINGS = Number(process.env.BENCH_FINDINGS ?? 100_000);
const SELF = fileURLToPath(import.meta.url);

interface ChildResult {
  ms: number;
  maxRssMb: number;
  detail?: Record<string, unknown>;
}

// ---- Child modes -------------------------------------------------------------------------------

function child(mode: string, dir: string): void {
  const report = join(dir, "trivy-report.json");
  const t0 = performance.now();
  let detail: Record<string, unknown> | undefined;
  if (mode === "json") {
    const doc = JSON.parse(readFileSync(report, "utf8")) as { Results: { Vulnerabilities?: unknown[] }[] };
    detail = { vulnerabilities: doc.Results.reduce((n, r) => n + (r.Vulnerabilities?.length ?? 0), 0) };
  } else if (mode === "pipeline") {
    // Feeds load once per operator lifetime, not per report: parsed before the clock starts.
    const feeds = { epss: parseEpssCsv(readFileSync(join(dir, "epss.csv"), "utf8")), kev: parseKevCatalog(readFileSync(join(dir, "kev.json"), "utf8")) };
    const start = performance.now();
    // As the CLI reads it: streamed from the file through a small window.
    const file = openReportFile(report);
    const parsed = parseReport(file.source);
    file.close();
    const tParsed = performance.now();
    const now = new Date("2026-06-01T00:00:00Z");
    const analysis = analyseReports([parsed], { feeds, asOf: now });
    const tAnalysed = performance.now();
    const decision = evaluateGates(analysis.assessment, [DEFAULT_GATE], [], { now });
    const end = performance.now();
    detail = {
      parseMs: Math.round(tParsed - start),
      correlateScoreAssessMs: Math.round(tAnalysed - tParsed),
      evaluateMs: +(end - tAnalysed).toFixed(2),
      raw: analysis.assessment.summary.raw,
      unique: analysis.assessment.summary.unique,
      noiseReductionPercent: analysis.assessment.summary.noiseReductionPercent,
      outcome: decision.outcome,
      riskScore: decision.riskScore,
      assessmentJsonBytes: JSON.stringify(analysis.assessment).length,
    };
    detail.admissionEvaluateMicros = admissionMicros(analysis.assessment, now);
    process.stdout.write(`${JSON.stringify({ ms: end - start, maxRssMb: process.resourceUsage().maxRSS / 1024, detail })}\n`);
    return;
  }
  const ms = performance.now() - t0;
  process.stdout.write(`${JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024, ...(detail ? { detail } : {}) })}\n`);
}

/**
 * What the admission webhook pays per request: evaluateGates on the compact assessment with
 * compiled gates and exceptions (compiled once, when they change), averaged over many calls.
 */
function admissionMicros(assessment: ArtifactAssessment, now: Date): number {
  const gates = [
    DEFAULT_GATE,
    { name: "prod", spec: { ...DEFAULT_GATE.spec, selector: { images: ["ghcr.io/acme/**"], workloads: { matchLabels: { tier: "prod" } } }, reviewRules: [{ name: "epss", minEpss: 0.3 }, { name: "old", minAgeDays: 30 }] } },
    { name: "ids", spec: { ...DEFAULT_GATE.spec, blockRules: [{ name: "log4shell", vulnerabilityIds: ["CVE-2021-44228", "GHSA-jfh8-c2jp-5v3q"] }], reviewRules: [] } },
  ].map(compileGate);
  const exceptions = [
    { name: "a", spec: { vulnerabilityIds: ["CVE-2015-10000"], expiresAt: "2027-01-01T00:00:00Z", approver: "x", reason: "y" } },
    { name: "b", spec: { images: ["ghcr.io/acme/bench:*"], vulnerabilityIds: ["CVE-2016-10007"], expiresAt: "2026-01-01T00:00:00Z", approver: "x", reason: "y" } },
  ].map(compileException);
  const input = { now, image: "ghcr.io/acme/bench:1.0.0", workloadLabels: { tier: "prod" } };
  for (let i = 0; i < 200; i++) evaluateGates(assessment, gates, exceptions, input);
  const n = 5000;
  const t = performance.now();
  for (let i = 0; i < n; i++) evaluateGates(assessment, gates, exceptions, input);
  return +(((performance.now() - t) * 1000) / n).toFixed(1);
}

function runChild(mode: string, dir: string): ChildResult {
  const r = spawnSync(process.execPath, ["--import", "tsx", SELF, "--child", mode, dir], { encoding: "utf8", maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`bench child ${mode} failed (exit ${r.status}): ${r.stderr}`);
  const line = r.stdout.trim().split("\n").pop()!;
  return JSON.parse(line) as ChildResult;
}

// ---- Report generation ---------------------------------------------------------------------------

/** Trivy's UID is a hash of the package instance: the same package at the same path, the same UID. */
function uidOf(s: string): string {
  let h = 0xcbf29ce4;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0") + s.length.toString(16).padStart(8, "0");
}

/** Deterministic pseudo-random numbers (the same report every run). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "MEDIUM", "LOW", "LOW", "LOW", "UNKNOWN"];
const VECTORS: [string, number][] = [
  ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8],
  ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5],
  ["CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8],
  ["CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H", 6.5],
  ["CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:L/A:N", 3.7],
];

async function generate(dir: string, n: number): Promise<{ bytes: number; cves: string[] }> {
  const rand = rng(42);
  const file = join(dir, "trivy-report.json");
  const out = createWriteStream(file);
  const write = (s: string) => (out.write(s) ? Promise.resolve() : new Promise<void>((res) => out.once("drain", () => res())));
  const packages = Array.from({ length: 2500 }, (_, i) => ({ name: `lib${i.toString(36)}-${["core", "utils", "ssl", "xml", "net"][i % 5]}`, version: `${1 + (i % 7)}.${i % 13}.${i % 29}-r${i % 4}` }));
  const cves = Array.from({ length: 30_000 }, (_, i) => `CVE-${2015 + (i % 10)}-${String(10000 + i * 7).padStart(5, "0")}`);
  await write(
    `{\n  "SchemaVersion": 2,\n  "CreatedAt": "2026-05-31T10:00:00.123456789Z",\n  "ArtifactName": "ghcr.io/acme/bench:1.0.0",\n  "ArtifactType": "container_image",\n  "Metadata": {\n    "OS": { "Family": "debian", "Name": "12.5" },\n    "ImageID": "sha256:${"ab".repeat(32)}",\n    "RepoTags": ["ghcr.io/acme/bench:1.0.0"],\n    "RepoDigests": ["ghcr.io/acme/bench@sha256:${"cd".repeat(32)}"]\n  },\n  "Results": [\n`,
  );
  const perResult = Math.ceil(n / 4);
  // Trivy's CVSS, title and severity come from its database per CVE: derive them from the id.
  const cveIndex = (cve: string) => Number(cve.slice(9));
  let prev: { pkg: { name: string; version: string }; cve: string } | undefined;
  let written = 0;
  for (let res = 0; res < 4 && written < n; res++) {
    const target = res === 0 ? "ghcr.io/acme/bench:1.0.0 (debian 12.5)" : `app/lib${res}/package-lock.json`;
    await write(`${res ? ",\n" : ""}    {\n      "Target": "${target}",\n      "Class": "${res === 0 ? "os-pkgs" : "lang-pkgs"}",\n      "Type": "${res === 0 ? "debian" : "npm"}",\n      "Vulnerabilities": [\n`);
    for (let i = 0; i < perResult && written < n; i++, written++) {
      // About 5% repeat the previous finding: the same package found again at another path (a real
      // source of noise, e.g. a library vendored twice).
      const again = prev !== undefined && rand() < 0.05;
      const pkg = again ? prev!.pkg : packages[Math.floor(rand() * packages.length)]!;
      const cve = again ? prev!.cve : cves[Math.floor(rand() * cves.length)]!;
      const path = again ? `opt/vendor/${pkg.name}` : `usr/lib/${pkg.name}`;
      prev = { pkg, cve };
      const [v3, s3] = VECTORS[cveIndex(cve) % VECTORS.length]!;
      const sev = SEVERITIES[cveIndex(cve) % SEVERITIES.length]!;
      const type = res === 0 ? "deb/debian" : "npm";
      const fixed = rand() < 0.6 ? `"FixedVersion": "${pkg.version}+fix1",\n          "Status": "fixed",` : `"Status": "affected",`;
      const refs = Array.from({ length: 4 + Math.floor(rand() * 8) }, (_, k) => `"https://security.example.org/${cve.toLowerCase()}/advisory-${k}.html"`).join(",\n            ");
      const v = `        {
          "VulnerabilityID": "${cve}",
          "PkgID": "${pkg.name}@${pkg.version}",
          "PkgName": "${pkg.name}",
          "PkgPath": "${path}",
          "PkgIdentifier": { "PURL": "pkg:${type}/${pkg.name}@${pkg.version}${res === 0 ? "?arch=amd64&distro=debian-12.5" : ""}", "UID": "${uidOf(`${pkg.name}@${pkg.version}/${path}`)}" },
          "InstalledVersion": "${pkg.version}",
          ${fixed}
          "Layer": { "Digest": "sha256:${"1f".repeat(32)}", "DiffID": "sha256:${"2e".repeat(32)}" },
          "SeveritySource": "nvd",
          "PrimaryURL": "https://avd.aquasec.com/nvd/${cve.toLowerCase()}",
          "DataSource": { "ID": "debian", "Name": "Debian Security Tracker", "URL": "https://salsa.debian.org/security-tracker-team/security-tracker" },
          "Title": "component${cveIndex(cve) % 997}: memory corruption in request parser allows denial of service",
          "Description": "A flaw was found in component${cveIndex(cve) % 997} before release ${cveIndex(cve) % 31}. A remote attacker could send a crafted request that makes the parser read past the end of a heap buffer, which may crash the process or disclose memory. This issue affects all configurations that accept untrusted input and is fixed upstream.",
          "Severity": "${sev}",
          "CweIDs": ["CWE-125", "CWE-787"],
          "CVSS": {
            "nvd": { "V2Vector": "AV:N/AC:L/Au:N/C:P/I:P/A:P", "V3Vector": "${v3}", "V2Score": 7.5, "V3Score": ${s3} },
            "redhat": { "V3Vector": "${v3}", "V3Score": ${s3} }
          },
          "References": [
            ${refs}
          ],
          "PublishedDate": "2021-0${1 + (i % 9)}-1${i % 10}T12:15:00Z",
          "LastModifiedDate": "2024-02-1${i % 10}T08:00:00Z"
        }`;
      await write(i ? `,\n${v}` : v);
    }
    await write("\n      ]\n    }");
  }
  await write("\n  ]\n}\n");
  await new Promise<void>((res, rej) => out.end((err?: Error | null) => (err ? rej(err) : res())));
  return { bytes: statSync(file).size, cves };
}

function writeFeeds(dir: string, cves: readonly string[]): void {
  const rand = rng(7);
  const rows = cves.map((c) => `${c},${(rand() * rand()).toFixed(5)},${rand().toFixed(5)}`);
  writeFileSync(join(dir, "epss.csv"), `#model_version:v2025.03.14,score_date:2026-05-31T00:00:00+0000\ncve,epss,percentile\n${rows.join("\n")}\n`);
  const kev = cves.filter((_, i) => i % 200 === 0).map((c) => ({
    cveID: c,
    vendorProject: "Example",
    product: "Library",
    vulnerabilityName: `Example ${c}`,
    dateAdded: "2024-01-10",
    shortDescription: "Exploited in the wild.",
    requiredAction: "Apply updates per vendor instructions.",
    dueDate: "2024-01-31",
    knownRansomwareCampaignUse: "Unknown",
  }));
  writeFileSync(join(dir, "kev.json"), JSON.stringify({ title: "CISA KEV", catalogVersion: "2026.05.31", dateReleased: "2026-05-31T12:00:00.000Z", count: kev.length, vulnerabilities: kev }));
}

// ---- Main --------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const dir = process.env.BENCH_DIR ?? mkdtempSync(join(tmpdir(), "fixops-bench-ingest-"));
  try {
    const g0 = performance.now();
    const { bytes, cves } = await generate(dir, FINDINGS);
    writeFeeds(dir, cves);
    console.log(`generated ${FINDINGS.toLocaleString("en")} findings, ${(bytes / 1048576).toFixed(1)} MiB Trivy JSON in ${Math.round(performance.now() - g0)} ms`);

    const baseline = runChild("baseline", dir);
    const json = runChild("json", dir);
    const pipeline = runChild("pipeline", dir);
    const ratio = pipeline.ms / json.ms;
    const row = (name: string, r: ChildResult) => `${name.padEnd(34)} ${`${Math.round(r.ms)} ms`.padStart(9)} ${`${Math.round(r.maxRssMb)} MB`.padStart(9)}`;
    console.log(`${"".padEnd(34)} ${"wall".padStart(9)} ${"peak RSS".padStart(9)}`);
    console.log(row("runtime only (node + tsx)", baseline));
    console.log(row("JSON.parse (read + parse)", json));
    console.log(row("FixOps ingest (read → decision)", pipeline));
    console.log(`pipeline detail: ${JSON.stringify(pipeline.detail)}`);
    const check = (ok: boolean) => (ok ? "ok" : "MISSED");
    console.log(`targets: wall ${Math.round(pipeline.ms)} ms ≤ 3000 ms ${check(pipeline.ms <= 3000)}; peak RSS ${Math.round(pipeline.maxRssMb)} MB ≤ 400 MB ${check(pipeline.maxRssMb <= 400)}; ${ratio.toFixed(2)}× JSON.parse ≤ 3× ${check(ratio <= 3)}`);
  } finally {
    if (!process.env.BENCH_DIR) rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--child") child(process.argv[3]!, process.argv[4]!);
else
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
