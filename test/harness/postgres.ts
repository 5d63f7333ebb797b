// PostgreSQL for tests and `dev:up`: DATABASE_URL when set, else a throwaway Debian PostgreSQL
// cluster (initdb in a temp dir, run as the `postgres` OS user when we are root, loopback only).
import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, chmodSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports.js";
import { tailLog } from "./processes.js";

export interface TestPostgres {
  url: string;
  /** Only for a cluster we started. */
  dataDir?: string;
  logFile?: string;
  stop(): Promise<void>;
}

function findPgBin(): string {
  for (const d of ["/usr/lib/postgresql"]) {
    if (!existsSync(d)) continue;
    const versions = readdirSync(d).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (existsSync(join(d, v, "bin", "initdb"))) return join(d, v, "bin");
  }
  throw new Error("PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install -y postgresql)");
}

function pgUid(): { uid: number; gid: number } | null {
  if (userInfo().uid !== 0) return null;
  const out = execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim();
  const gid = execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim();
  return { uid: Number(out), gid: Number(gid) };
}

export async function startPostgres(): Promise<TestPostgres> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, stop: async () => {} };
  const binDir = findPgBin();
  // Not under /root (mode 700): the postgres user must reach it.
  const base = mkdtempSync(join(existsSync("/var/tmp") ? "/var/tmp" : tmpdir(), "fixops-pg-"));
  chmodSync(base, 0o755);
  const owner = pgUid();
  if (owner) chownSync(base, owner.uid, owner.gid);
  const dataDir = join(base, "data");
  const logFile = join(base, "postgres.log");
  const asPg = (cmd: string, args: string[]) =>
    owner
      ? execFileSync("runuser", ["-u", "postgres", "--", join(binDir, cmd), ...args], { stdio: "pipe" })
      : execFileSync(join(binDir, cmd), args, { stdio: "pipe" });
  asPg("initdb", ["-D", dataDir, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
  const port = await freePort();
  try {
    asPg("pg_ctl", [
      "-D", dataDir,
      "-o", `-p ${port} -k ${base} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`,
      "-l", logFile,
      "-w", "-t", "60",
      "start",
    ]);
  } catch (err) {
    throw new Error(`PostgreSQL failed to start: ${String(err)}\n${tailLog(logFile)}`);
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    dataDir,
    logFile,
    stop: async () => {
      try {
        asPg("pg_ctl", ["-D", dataDir, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(base, { recursive: true, force: true });
      }
    },
  };
}
