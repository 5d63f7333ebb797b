// Feed texts shaped exactly as FIRST and CISA publish them, for tests.
import { gzipSync } from "node:zlib";

export const kevEntry = (cve: string, dueDate = "2021-12-24") => ({
  cveID: cve,
  vendorProject: "Apache",
  product: "Log4j2",
  vulnerabilityName: "Apache Log4j2 Remote Code Execution Vulnerability",
  dateAdded: "2021-12-10",
  shortDescription: "JNDI features do not protect against attacker-controlled LDAP endpoints.",
  requiredAction: "Apply updates per vendor instructions.",
  dueDate,
  knownRansomwareCampaignUse: "Known",
  notes: "https://logging.apache.org/log4j/2.x/security.html",
  cwes: ["CWE-20", "CWE-400", "CWE-502"],
});

/** `known_exploited_vulnerabilities.json` with the given CVEs. */
export function kevCatalogText(catalogVersion: string, cves: readonly string[]): string {
  return JSON.stringify({
    title: "CISA Catalog of Known Exploited Vulnerabilities",
    catalogVersion,
    dateReleased: "2026-11-20T15:01:02.123Z",
    count: cves.length,
    vulnerabilities: cves.map((c) => kevEntry(c)),
  });
}

/** `epss_scores-current.csv.gz` (gzip-compressed CSV with the model/date comment line). */
export function epssCsvGz(scoreDate: string, rows: readonly [cve: string, epss: number, percentile: number][]): Buffer {
  const text = `#model_version:v2025.03.14,score_date:${scoreDate}T00:00:00+0000\ncve,epss,percentile\n${rows.map((r) => r.join(",")).join("\n")}\n`;
  return gzipSync(text);
}
