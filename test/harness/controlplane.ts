// A real etcd + kube-apiserver + kube-controller-manager (Kubernetes 1.20.2, built from Debian's
// source package by test/controlplane/build-k8s.sh) on free loopback ports, with fresh data dirs.
// Used by the jest global setup and by `npm run dev:up`.
import { execFileSync } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, waitFor } from "./ports.js";
import { startProcess, stopProcess, tailLog, type ManagedProcess } from "./processes.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const BUILD_SCRIPT = join(HERE, "..", "controlplane", "build-k8s.sh");

export interface ControlPlane {
  dir: string;
  kubeconfigPath: string;
  server: string;
  token: string;
  caFile: string;
  processes: ManagedProcess[];
  /** Last lines of every component's log, for failure reports. */
  logs(lines?: number): string;
  stop(): Promise<void>;
}

/** Build (first time) or find the cached binaries; returns their folder. */
export function ensureControlPlaneBinaries(): string {
  const out = execFileSync("bash", [BUILD_SCRIPT], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  const dir = out.trim().split("\n").pop() ?? "";
  for (const bin of ["etcd", "kube-apiserver", "kube-controller-manager"]) {
    if (!existsSync(join(dir, bin))) throw new Error(`control plane binary ${bin} missing in ${dir}`);
  }
  return dir;
}

function httpsGet(url: string, token: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "GET", headers: { Authorization: `Bearer ${token}` }, ca, timeout: 2000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

export function kubeconfigYaml(server: string, caFile: string, token: string, namespace = "default"): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: fixops-test",
    "  cluster:",
    `    server: ${server}`,
    `    certificate-authority: ${caFile}`,
    "users:",
    "- name: admin",
    "  user:",
    `    token: ${token}`,
    "contexts:",
    "- name: fixops-test",
    "  context:",
    "    cluster: fixops-test",
    "    user: admin",
    `    namespace: ${namespace}`,
    "current-context: fixops-test",
    "",
  ].join("\n");
}

export async function startControlPlane(opts: { binDir: string; dir?: string; controllerManager?: boolean }): Promise<ControlPlane> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "fixops-cp-"));
  mkdirSync(dir, { recursive: true });
  const processes: ManagedProcess[] = [];
  const bin = (n: string) => join(opts.binDir, n);
  const stop = async () => {
    for (const p of [...processes].reverse()) await stopProcess(p);
  };
  const logs = (lines = 40) =>
    processes.map((p) => `----- ${p.name} (pid ${p.pid}, ${p.logFile}) -----\n${tailLog(p.logFile, lines)}`).join("\n");

  try {
    // etcd
    const [etcdPort, etcdPeer, apiPort, kcmPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    processes.push(
      startProcess(
        "etcd",
        bin("etcd"),
        [
          "--data-dir", join(dir, "etcd"),
          "--listen-client-urls", etcdUrl,
          "--advertise-client-urls", etcdUrl,
          "--listen-peer-urls", `http://127.0.0.1:${etcdPeer}`,
          "--initial-advertise-peer-urls", `http://127.0.0.1:${etcdPeer}`,
          "--initial-cluster", `default=http://127.0.0.1:${etcdPeer}`,
          "--unsafe-no-fsync",
        ],
        join(dir, "etcd.log"),
        { ...process.env, ETCD_UNSUPPORTED_ARCH: process.arch === "x64" ? "" : process.arch },
      ),
    );

    // credentials
    const { privateKey, publicKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs1", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    writeFileSync(join(dir, "sa.key"), privateKey, { mode: 0o600 });
    writeFileSync(join(dir, "sa.pub"), publicKey);
    const token = randomBytes(24).toString("hex");
    writeFileSync(join(dir, "tokens.csv"), `${token},admin,admin,system:masters\n`, { mode: 0o600 });
    const certDir = join(dir, "pki");
    mkdirSync(certDir, { recursive: true });

    await waitFor("etcd", async () => {
      const res = await fetch(`${etcdUrl}/health`);
      return res.ok ? true : undefined;
    }, 30_000);

    processes.push(
      startProcess(
        "kube-apiserver",
        bin("kube-apiserver"),
        [
          `--etcd-servers=${etcdUrl}`,
          "--bind-address=127.0.0.1",
          `--secure-port=${apiPort}`,
          `--cert-dir=${certDir}`,
          `--token-auth-file=${join(dir, "tokens.csv")}`,
          "--authorization-mode=RBAC",
          "--service-account-issuer=https://kubernetes.default.svc",
          `--service-account-key-file=${join(dir, "sa.pub")}`,
          `--service-account-signing-key-file=${join(dir, "sa.key")}`,
          "--service-cluster-ip-range=10.96.0.0/16",
          "--advertise-address=127.0.0.1",
          "--endpoint-reconciler-type=none",
          "--enable-priority-and-fairness=false",
          "--logtostderr=true",
          "--v=1",
        ],
        join(dir, "kube-apiserver.log"),
      ),
    );
    const server = `https://127.0.0.1:${apiPort}`;
    const caFile = join(certDir, "apiserver.crt");
    await waitFor("kube-apiserver serving certificate", async () => (existsSync(caFile) ? true : undefined), 60_000);
    const ca = readFileSync(caFile);
    await waitFor(
      "kube-apiserver /readyz",
      async () => {
        if (processes[1]?.child.exitCode !== null) throw new Error("kube-apiserver exited");
        const r = await httpsGet(`${server}/readyz`, token, ca);
        return r.status === 200 ? true : undefined;
      },
      90_000,
      250,
    );
    const kubeconfigPath = join(dir, "kubeconfig");
    writeFileSync(kubeconfigPath, kubeconfigYaml(server, caFile, token), { mode: 0o600 });

    if (opts.controllerManager !== false) {
      processes.push(
        startProcess(
          "kube-controller-manager",
          bin("kube-controller-manager"),
          [
            `--kubeconfig=${kubeconfigPath}`,
            "--bind-address=127.0.0.1",
            `--secure-port=${kcmPort}`,
            "--port=0",
            "--leader-elect=false",
            `--service-account-private-key-file=${join(dir, "sa.key")}`,
            `--root-ca-file=${caFile}`,
            "--use-service-account-credentials=false",
            "--controllers=*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-route,-service,-bootstrapsigner,-tokencleaner",
            "--logtostderr=true",
            "--v=1",
          ],
          join(dir, "kube-controller-manager.log"),
        ),
      );
    }
    return { dir, kubeconfigPath, server, token, caFile, processes, logs, stop };
  } catch (err) {
    const report = logs();
    await stop();
    throw new Error(`control plane failed to start: ${err instanceof Error ? err.message : String(err)}\n${report}`);
  }
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
