// Reads a feed's bytes from its source. No parsing here (engine/feeds.ts does that) and no caching
// (the manager decides when to read).
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { Agent, interceptors, request, type Dispatcher } from "undici";
import type { FeedName } from "../engine/index.js";
import { Resources, type KubeObject, type KubePort } from "../operator/kube/port.js";
import { describeFeedSource, type FeedSource } from "./source.js";

/** Largest feed accepted (the EPSS CSV is ~15 MB uncompressed; the KEV catalog ~1.5 MB). */
export const MAX_FEED_BYTES = 128 * 1024 * 1024;

export class FeedFetchError extends Error {
  override readonly name = "FeedFetchError";
}

export interface FeedBytes {
  bytes: Buffer;
  /** sha256 of the bytes, to skip re-parsing what did not change. */
  sha256: string;
  source: string;
}

export interface FetchDeps {
  kube: Pick<KubePort, "get">;
  /** Tests pass their own; otherwise one Agent that follows up to 3 redirects. */
  dispatcher?: Dispatcher;
  timeoutMs?: number;
}

let defaultDispatcher: Dispatcher | undefined;
const redirecting = (): Dispatcher => (defaultDispatcher ??= new Agent().compose(interceptors.redirect({ maxRedirections: 3 })));

type ConfigMapObject = KubeObject & { data?: Record<string, string>; binaryData?: Record<string, string> };

export async function fetchFeed(feed: FeedName, source: Exclude<FeedSource, { kind: "none" }>, deps: FetchDeps): Promise<FeedBytes> {
  const where = describeFeedSource(source);
  const fail = (why: string) => new FeedFetchError(`${feed} feed from ${where}: ${why}`);
  let bytes: Buffer;
  switch (source.kind) {
    case "file": {
      try {
        bytes = await readFile(source.path);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw fail(code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : err instanceof Error ? err.message : String(err));
      }
      break;
    }
    case "configMap": {
      const cm = await deps.kube.get<ConfigMapObject>(Resources.ConfigMap, source.namespace, source.name);
      if (!cm) throw fail("ConfigMap not found");
      if (cm.binaryData?.[source.key] !== undefined) bytes = Buffer.from(cm.binaryData[source.key]!, "base64");
      else if (cm.data?.[source.key] !== undefined) bytes = Buffer.from(cm.data[source.key]!, "utf8");
      else throw fail(`the ConfigMap has no key ${JSON.stringify(source.key)}`);
      break;
    }
    case "url": {
      const timeout = deps.timeoutMs ?? 60_000;
      let res: Dispatcher.ResponseData;
      try {
        res = await request(source.url, {
          method: "GET",
          dispatcher: deps.dispatcher ?? redirecting(),
          headersTimeout: timeout,
          bodyTimeout: timeout,
          headers: { accept: "*/*", "user-agent": "fixops-operator" },
        });
      } catch (err) {
        throw fail(err instanceof Error ? err.message : String(err));
      }
      if (res.statusCode < 200 || res.statusCode > 299) {
        await res.body.dump();
        throw fail(`HTTP ${res.statusCode}`);
      }
      const len = Number(res.headers["content-length"]);
      if (Number.isFinite(len) && len > MAX_FEED_BYTES) {
        await res.body.dump();
        throw fail(`${len} bytes is more than the ${MAX_FEED_BYTES}-byte limit`);
      }
      const chunks: Buffer[] = [];
      let total = 0;
      try {
        for await (const c of res.body) {
          total += (c as Buffer).length;
          if (total > MAX_FEED_BYTES) {
            res.body.destroy();
            throw fail(`more than the ${MAX_FEED_BYTES}-byte limit`);
          }
          chunks.push(c as Buffer);
        }
      } catch (err) {
        if (err instanceof FeedFetchError) throw err;
        throw fail(err instanceof Error ? err.message : String(err));
      }
      bytes = Buffer.concat(chunks, total);
      break;
    }
  }
  if (bytes.length === 0) throw fail("it is empty");
  return { bytes, sha256: createHash("sha256").update(bytes).digest("hex"), source: where };
}
