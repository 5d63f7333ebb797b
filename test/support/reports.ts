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
