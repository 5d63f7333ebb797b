// Image reference normalisation (distribution/reference grammar, Docker defaults), so that a glob
// written for `docker.io/library/nginx:*` matches a pod that says `nginx:1.27`.

export interface ImageRef {
  /** Registry host, lower case, with port: `docker.io`, `ghcr.io`, `localhost:5000`. */
  readonly registry: string;
  /** Repository path: `library/nginx`, `acme/api`. */
  readonly repository: string;
  /** `registry/repository`. */
  readonly name: string;
  readonly tag?: string;
  /** `algorithm:hex`, hex in lower case. */
  readonly digest?: string;
  /** `name:tag` (tag defaulted to latest when there is neither tag nor digest). */
  readonly tagRef?: string;
  /** `name[:tag][@digest]`. */
  readonly canonical: string;
}

const DOCKER_HUB = "docker.io";
const DOCKER_HUB_ALIASES = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;
const REGISTRY = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::\d{1,5})?$/;

/** Normalises an image reference; undefined when it is not a valid reference. */
export function parseImageRef(input: string): ImageRef | undefined {
  if (input.length === 0 || input.length > 1024) return undefined;
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    const d = rest.slice(at + 1);
    if (!DIGEST.test(d)) return undefined;
    digest = d.toLowerCase();
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    if (!TAG.test(tag)) return undefined;
    rest = rest.slice(0, colon);
  }
  if (rest.length === 0) return undefined;
  const parts = rest.split("/");
  let registry = DOCKER_HUB;
  const first = parts[0]!;
  // The first component is a registry when it looks like a host (dot, port, localhost, upper case).
  if (parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost" || first !== first.toLowerCase())) {
    if (!REGISTRY.test(first)) return undefined;
    registry = first.toLowerCase();
    parts.shift();
  }
  if (DOCKER_HUB_ALIASES.has(registry)) {
    registry = DOCKER_HUB;
    if (parts.length === 1) parts.unshift("library");
  }
  if (!parts.every((p) => PATH_COMPONENT.test(p))) return undefined;
  const repository = parts.join("/");
  const name = `${registry}/${repository}`;
  if (tag === undefined && digest === undefined) tag = "latest";
  const tagRef = tag === undefined ? undefined : `${name}:${tag}`;
  return {
    registry,
    repository,
    name,
    canonical: `${tagRef ?? name}${digest ? `@${digest}` : ""}`,
    ...(tag !== undefined ? { tag } : {}),
    ...(tagRef !== undefined ? { tagRef } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}
