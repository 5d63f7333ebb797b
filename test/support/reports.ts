// Scanner reports generated for tests that need size rather than realism in every field.
import { createWriteStream } from "node:fs";

const SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "MEDIUM", "LOW", "LOW", "LOW", "UNKNOWN"];

/**
 * Writes a Trivy (SchemaVersion 2) report with `n` findings, all distinct (vulnerability × package),
 * streamed so that the test process never holds it as one string.
 */
export async function writeLargeTrivyReport(file: string, image: string, n: number): Promise<void> {
  const out = createWriteStream(file);
  const write = (s: string) => (out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once("drain", () => r())));
  await write(`{"SchemaVersion":2,"ArtifactName":${JSON.stringify(image)},"ArtifactType":"container_image","Results":[{"Target":"os","Class":"os-pkgs","Type":"debian","Vulnerabilities":[`);
  for (let i = 0; i < n; i++) {
    const cve = `CVE-${2015 + (i % 10)}-${String(10000 + Math.floor(i / 10)).padStart(5, "0")}`;
    const pkg = `lib${(i % 997).toString(36)}`;
    await write(
      `${i ? "," : ""}{"VulnerabilityID":"${cve}","PkgName":"${pkg}","InstalledVersion":"1.${i % 13}.${i % 7}","FixedVersion":"${i % 3 ? `1.${i % 13}.99` : ""}","Severity":"${SEVERITIES[i % SEVERITIES.length]}","Title":"flaw ${i}"}`,
    );
  }
  await write("]}]}\n");
  await new Promise<void>((res, rej) => out.end((err?: Error | null) => (err ? rej(err) : res())));
}

export interface TrivyVuln {
  id: string;
  severity: string;
  pkg?: string;
  installed?: string;
  fixed?: string;
}

/** A small Trivy (SchemaVersion 2) container-image report, one lang-pkgs result. */
export function trivyReport(image: string, vulns: readonly TrivyVuln[]): string {
  return JSON.stringify({
    SchemaVersion: 2,
    ArtifactName: image,
    ArtifactType: "container_image",
    Results: [
      {
        Target: "app/lib",
        Class: "lang-pkgs",
        Type: "jar",
        Vulnerabilities: vulns.map((v, i) => ({
          VulnerabilityID: v.id,
          PkgName: v.pkg ?? `pkg${i}`,
          InstalledVersion: v.installed ?? "1.0",
          ...(v.fixed !== "" ? { FixedVersion: v.fixed ?? "1.1" } : {}),
          Severity: v.severity,
        })),
      },
    ],
  });
}

export const LOG4SHELL: TrivyVuln = { id: "CVE-2021-44228", severity: "CRITICAL", pkg: "org.apache.logging.log4j:log4j-core", installed: "2.14.1", fixed: "2.15.0" };
export const SPRING4SHELL: TrivyVuln = { id: "CVE-2022-22965", severity: "MEDIUM", pkg: "org.springframework:spring-beans", installed: "5.3.17", fixed: "5.3.18" };
