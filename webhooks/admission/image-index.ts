// The in-memory index admission reads: per namespace, image digest → ScanResults, and image tag
// reference → ScanResults (where the ScanResult names a tag). Fed by the ScanResult informer through
// upsert/delete (keyed by the ScanResult's namespace/name); read on every admission request with two
// Map lookups. The payload `A` is whatever the decision engine needs per image (its compact
// assessment); the index never looks inside it.
import { parseImageRef, type ImageRef } from "../../engine/image-ref.js";

const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;

/** `algorithm:hex` with the hex in lower case; null when it is not a digest. */
export function normaliseDigest(d: string): string | null {
  return typeof d === "string" && d.length <= 256 && DIGEST.test(d) ? d.toLowerCase() : null;
}

export interface ScanResultKey {
  namespace: string;
  name: string;
}

export interface IndexedScan<A> {
  readonly scanResult: ScanResultKey;
  /** `namespace/name`, for messages. */
  readonly scanResultRef: string;
  /** The image as the ScanResult names it (spec.artifact.image). */
  readonly image: string;
  readonly digest?: string;
  /** Normalised `registry/repository:tag`, when the ScanResult names a tag. */
  readonly tagRef?: string;
  /** Epoch ms of spec.scannedAt (0 when unknown); newer scans win. */
  readonly scannedAt: number;
  readonly assessment: A;
}

export interface IndexUpsert<A> {
  scanResult: ScanResultKey;
  /** spec.artifact.image: a tag and/or digest reference. */
  image: string;
  /** spec.artifact.digest; must agree with a digest inside `image` when both are given. */
  digest?: string;
  scannedAt?: Date | string;
  assessment: A;
}

export type UpsertResult = "added" | "updated" | "unindexable";

export interface IndexLookup<A> {
  /** How the entries were found; "none" also when the image reference is invalid. */
  matchedBy: "digest" | "tag" | "none";
  /** Newest scan first; empty when nothing matched. */
  entries: readonly IndexedScan<A>[];
  ref: ImageRef | null;
}

const EMPTY: readonly never[] = Object.freeze([]);
/** Parsed references of recently seen pod images; parsing is pure, and the same images recur. */
const PARSE_MEMO_MAX = 20_000;
// "\0" cannot occur in a namespace or name, so ScanResult keys cannot collide.
const key = (namespace: string, k: string) => `${namespace}\0${k}`;

/** namespace → key → entries. Two levels, so a lookup concatenates no strings (it runs per container). */
type Buckets<A> = Map<string, Map<string, IndexedScan<A>[]>>;

function newestFirst<A>(a: IndexedScan<A>, b: IndexedScan<A>): number {
  if (a.scannedAt !== b.scannedAt) return b.scannedAt - a.scannedAt;
  return a.scanResultRef < b.scanResultRef ? -1 : a.scanResultRef > b.scanResultRef ? 1 : 0;
}

/**
 * Maps with one small sorted array per key (usually one ScanResult per digest; a few when several
 * scanners report on the same image). 10,000 digests cost a few MB and lookups are O(1).
 */
export class ImageDecisionIndex<A> {
  private readonly byScan = new Map<string, IndexedScan<A>>();
  private readonly byDigest: Buckets<A> = new Map();
  private readonly byTag: Buckets<A> = new Map();
  private syncedFlag = false;
  private readonly parsed = new Map<string, ImageRef | null>();
  private changes = 0;

  /** Grows with every change to the entries; deciders key their cached verdicts by it. */
  get version(): number {
    return this.changes;
  }

  /** Adds or replaces the entry of one ScanResult; "unindexable" when its image reference is invalid (any old entry is removed). */
  upsert(input: IndexUpsert<A>): UpsertResult {
    const scanKey = key(input.scanResult.namespace, input.scanResult.name);
    this.changes++;
    const existed = this.removeScan(scanKey);
    const ref = parseImageRef(input.image);
    if (!ref) return "unindexable";
    let digest = ref.digest;
    if (input.digest !== undefined) {
      const d = normaliseDigest(input.digest);
      if (d === null) return "unindexable";
      // Two different digests for one artifact: the ScanResult is inconsistent, index neither.
      if (digest !== undefined && digest !== d) return "unindexable";
      digest = d;
    }
    const scannedAt = input.scannedAt === undefined ? 0 : new Date(input.scannedAt).getTime();
    const entry: IndexedScan<A> = {
      scanResult: { namespace: input.scanResult.namespace, name: input.scanResult.name },
      scanResultRef: `${input.scanResult.namespace}/${input.scanResult.name}`,
      image: input.image,
      ...(digest !== undefined ? { digest } : {}),
      // A digest-only reference gets no tag key: `:latest` is not implied when a digest is given.
      ...(ref.tagRef !== undefined ? { tagRef: ref.tagRef } : {}),
      scannedAt: Number.isFinite(scannedAt) ? scannedAt : 0,
      assessment: input.assessment,
    };
    this.byScan.set(scanKey, entry);
    if (entry.digest !== undefined) insert(this.byDigest, input.scanResult.namespace, entry.digest, entry);
    if (entry.tagRef !== undefined) insert(this.byTag, input.scanResult.namespace, entry.tagRef, entry);
    return existed ? "updated" : "added";
  }

  delete(scanResult: ScanResultKey): boolean {
    const removed = this.removeScan(key(scanResult.namespace, scanResult.name));
    if (removed) this.changes++;
    return removed;
  }

  get(scanResult: ScanResultKey): IndexedScan<A> | undefined {
    return this.byScan.get(key(scanResult.namespace, scanResult.name));
  }

  /**
   * Resolves a container image in a namespace. A digest reference matches by digest; only when no
   * ScanResult has that digest does a tag+digest reference fall back to tag entries, and then only to
   * scans that name no digest (a scan of another digest under the same tag is not this image).
   */
  lookup(namespace: string, image: string): IndexLookup<A> {
    const ref = this.parse(image);
    if (!ref) return { matchedBy: "none", entries: EMPTY, ref };
    if (ref.digest !== undefined) {
      const hit = this.byDigest.get(namespace)?.get(ref.digest);
      if (hit && hit.length > 0) return { matchedBy: "digest", entries: hit, ref };
      if (ref.tagRef === undefined) return { matchedBy: "none", entries: EMPTY, ref };
      const tagged = this.byTag.get(namespace)?.get(ref.tagRef);
      const undigested = tagged?.filter((e) => e.digest === undefined) ?? EMPTY;
      return undigested.length > 0 ? { matchedBy: "tag", entries: undigested, ref } : { matchedBy: "none", entries: EMPTY, ref };
    }
    const tagged = ref.tagRef === undefined ? undefined : this.byTag.get(namespace)?.get(ref.tagRef);
    return tagged && tagged.length > 0 ? { matchedBy: "tag", entries: tagged, ref } : { matchedBy: "none", entries: EMPTY, ref };
  }

  /** Keys of every indexed ScanResult, e.g. to drop the ones a relist no longer returns. */
  *scanResults(): IterableIterator<ScanResultKey> {
    for (const e of this.byScan.values()) yield e.scanResult;
  }

  get size(): { scanResults: number; digests: number; tags: number } {
    let digests = 0;
    let tags = 0;
    for (const m of this.byDigest.values()) digests += m.size;
    for (const m of this.byTag.values()) tags += m.size;
    return { scanResults: this.byScan.size, digests, tags };
  }

  /** Called by the informer wiring once the initial list has been indexed. */
  markSynced(): void {
    this.syncedFlag = true;
  }

  get synced(): boolean {
    return this.syncedFlag;
  }

  private parse(image: string): ImageRef | null {
    let ref = this.parsed.get(image);
    if (ref === undefined) {
      ref = parseImageRef(image) ?? null;
      // Bounded: start over rather than grow without limit on a stream of distinct images.
      if (this.parsed.size >= PARSE_MEMO_MAX) this.parsed.clear();
      this.parsed.set(image, ref);
    }
    return ref;
  }

  private removeScan(scanKey: string): boolean {
    const old = this.byScan.get(scanKey);
    if (!old) return false;
    this.byScan.delete(scanKey);
    if (old.digest !== undefined) remove(this.byDigest, old.scanResult.namespace, old.digest, old);
    if (old.tagRef !== undefined) remove(this.byTag, old.scanResult.namespace, old.tagRef, old);
    return true;
  }
}

function insert<A>(buckets: Buckets<A>, namespace: string, k: string, entry: IndexedScan<A>): void {
  let map = buckets.get(namespace);
  if (!map) {
    map = new Map();
    buckets.set(namespace, map);
  }
  const list = map.get(k);
  // Replace rather than mutate: a lookup result handed out earlier stays a consistent snapshot.
  map.set(k, list ? [...list, entry].sort(newestFirst) : [entry]);
}

function remove<A>(buckets: Buckets<A>, namespace: string, k: string, entry: IndexedScan<A>): void {
  const map = buckets.get(namespace);
  const list = map?.get(k);
  if (!map || !list) return;
  const next = list.filter((e) => e !== entry);
  if (next.length > 0) map.set(k, next);
  else {
    map.delete(k);
    if (map.size === 0) buckets.delete(namespace);
  }
}
