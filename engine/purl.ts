// Package URLs (github.com/package-url/purl-spec) and the package identity correlation compares.
// Scanners name the same package differently (Trivy `org.apache.commons:commons-compress`, Grype
// `commons-compress` with a maven purl); identity makes them comparable.
import type { PackageRef } from "./model.js";

export interface Purl {
  readonly type: string;
  readonly namespace?: string;
  readonly name: string;
  readonly version?: string;
  readonly qualifiers: Readonly<Record<string, string>>;
}

const decode = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** Parses `pkg:type/namespace/name@version?qualifiers#subpath`; undefined when it is not a purl. */
export function parsePurl(purl: string): Purl | undefined {
  if (!purl.startsWith("pkg:")) return undefined;
  let rest = purl.slice(4).replace(/^\/+/, "");
  const hash = rest.indexOf("#");
  if (hash >= 0) rest = rest.slice(0, hash);
  const qualifiers: Record<string, string> = {};
  const q = rest.indexOf("?");
  if (q >= 0) {
    for (const pair of rest.slice(q + 1).split("&")) {
      const eq = pair.indexOf("=");
      if (eq > 0) qualifiers[pair.slice(0, eq).toLowerCase()] = decode(pair.slice(eq + 1));
    }
    rest = rest.slice(0, q);
  }
  let version: string | undefined;
  const at = rest.lastIndexOf("@");
  if (at >= 0) {
    version = decode(rest.slice(at + 1));
    rest = rest.slice(0, at);
  }
  const parts = rest.split("/").filter((p) => p.length > 0);
  if (parts.length < 2) return undefined;
  const type = parts[0]!.toLowerCase();
  const name = decode(parts[parts.length - 1]!);
  const namespace = parts.length > 2 ? parts.slice(1, -1).map(decode).join("/") : undefined;
  return { type, name, qualifiers, ...(namespace ? { namespace } : {}), ...(version ? { version } : {}) };
}

// Ecosystems whose names are case-insensitive or have spelling variants (purl-spec type rules).
function normaliseName(type: string, name: string): string {
  switch (type) {
    case "pypi":
      return name.toLowerCase().replace(/[-_.]+/g, "-");
    case "npm":
    case "deb":
    case "apk":
    case "rpm":
    case "gem":
    case "composer":
    case "nuget":
      return name.toLowerCase();
    default:
      return name;
  }
}

/** Scanner ecosystem names → purl types. */
const TYPE_ALIASES: Readonly<Record<string, string>> = {
  alpine: "apk",
  wolfi: "apk",
  chainguard: "apk",
  apk: "apk",
  debian: "deb",
  ubuntu: "deb",
  deb: "deb",
  redhat: "rpm",
  centos: "rpm",
  rocky: "rpm",
  alma: "rpm",
  amazon: "rpm",
  oracle: "rpm",
  fedora: "rpm",
  photon: "rpm",
  suse: "rpm",
  "cbl-mariner": "rpm",
  azurelinux: "rpm",
  rpm: "rpm",
  npm: "npm",
  yarn: "npm",
  pnpm: "npm",
  "node-pkg": "npm",
  pip: "pypi",
  pipenv: "pypi",
  poetry: "pypi",
  uv: "pypi",
  "python-pkg": "pypi",
  python: "pypi",
  pypi: "pypi",
  jar: "maven",
  pom: "maven",
  gradle: "maven",
  sbt: "maven",
  "java-archive": "maven",
  maven: "maven",
  gomod: "golang",
  gobinary: "golang",
  "go-module": "golang",
  golang: "golang",
  cargo: "cargo",
  "rust-binary": "cargo",
  "rust-crate": "cargo",
  composer: "composer",
  "php-composer": "composer",
  nuget: "nuget",
  "dotnet-core": "nuget",
  dotnet: "nuget",
  bundler: "gem",
  gemspec: "gem",
  gem: "gem",
  conan: "conan",
  cocoapods: "cocoapods",
  swift: "swift",
  pub: "pub",
  hex: "hex",
  conda: "conda",
};

/**
 * `type/namespace/name` in normalised form, without version and qualifiers. Taken from the purl
 * when there is one, else derived from the scanner's ecosystem name and package name.
 */
export function packageIdentity(pkg: PackageRef): string {
  const p = pkg.purl ? parsePurl(pkg.purl) : undefined;
  if (p) {
    return `${p.type}/${p.namespace ? `${p.namespace}/` : ""}${normaliseName(p.type, p.name)}`;
  }
  const eco = pkg.type?.toLowerCase();
  const type = eco === undefined ? "unknown" : Object.hasOwn(TYPE_ALIASES, eco) ? TYPE_ALIASES[eco]! : eco;
  if (type === "maven") {
    // Trivy names Java packages group:artifact.
    const colon = pkg.name.indexOf(":");
    if (colon > 0) return `maven/${pkg.name.slice(0, colon)}/${pkg.name.slice(colon + 1)}`;
  }
  return `${type}/${normaliseName(type, pkg.name)}`;
}

/** Versions as scanners print them differ in small ways (Go's leading "v"); compare this form. */
export function normaliseVersion(version: string | undefined): string {
  if (!version) return "";
  return /^v\d/.test(version) ? version.slice(1) : version;
}
