// Where the operator gets each feed: the official URL (default), another URL (a mirror), a file
// (mounted volume) or a ConfigMap key (air-gapped clusters), or nowhere ("none": decisions are then
// made without it, at lower confidence).
import type { FeedName } from "../engine/index.js";

export type FeedSource =
  | { kind: "none" }
  | { kind: "url"; url: string }
  | { kind: "file"; path: string }
  | { kind: "configMap"; namespace: string; name: string; key: string };

/** The publishers' own locations (alm-and-formats.md §7). */
export const OFFICIAL_FEED_URLS: Readonly<Record<FeedName, string>> = {
  epss: "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz",
  kev: "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json",
};

export class FeedSourceError extends Error {
  override readonly name = "FeedSourceError";
}

const K8S_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const CM_KEY = /^[-._a-zA-Z0-9]+$/;

/**
 * Parses a feed source setting:
 * - `none`
 * - `https://…` or `http://…`
 * - `file:/path/to/file` (or an absolute path)
 * - `configmap:<namespace>/<name>/<key>`
 */
export function parseFeedSource(feed: FeedName, text: string): FeedSource {
  const s = text.trim();
  const bad = (why: string) => new FeedSourceError(`${feed} feed source ${JSON.stringify(text)}: ${why}`);
  if (s === "" || s === "none") return { kind: "none" };
  if (/^https?:\/\//i.test(s)) {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      throw bad("not a valid URL");
    }
    return { kind: "url", url: u.toString() };
  }
  if (s.startsWith("file:") || s.startsWith("/")) {
    const path = s.startsWith("file://") ? s.slice("file://".length) : s.startsWith("file:") ? s.slice("file:".length) : s;
    if (!path.startsWith("/")) throw bad("a file source needs an absolute path (file:/path)");
    return { kind: "file", path };
  }
  if (s.toLowerCase().startsWith("configmap:")) {
    const parts = s.slice("configmap:".length).split("/");
    if (parts.length !== 3) throw bad("expected configmap:<namespace>/<name>/<key>");
    const [namespace, name, key] = parts as [string, string, string];
    if (!K8S_NAME.test(namespace) || !K8S_NAME.test(name)) throw bad("namespace and name must be Kubernetes object names");
    if (!CM_KEY.test(key)) throw bad("the key may contain only letters, digits, '-', '_' and '.'");
    return { kind: "configMap", namespace, name, key };
  }
  throw bad("expected none, an http(s) URL, file:/path or configmap:<namespace>/<name>/<key>");
}

export function describeFeedSource(s: FeedSource): string {
  switch (s.kind) {
    case "none":
      return "none";
    case "url":
      return s.url;
    case "file":
      return `file:${s.path}`;
    case "configMap":
      return `configmap:${s.namespace}/${s.name}/${s.key}`;
  }
}
