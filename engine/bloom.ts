// A small Bloom filter of vulnerability ids, so that the bounded assessment can still say "none of
// the findings it summarised has this id" (a definite no) or "one may have" (a possible yes).
// Bounded: at most MAX_BITS bits whatever the number of ids.
import { idKey } from "./model.js";

const HASHES = 3;
const BITS_PER_ID = 10;
const MIN_BITS = 64;
const MAX_BITS = 8192;

/** Two independent 32-bit hashes of an id (cyrb53's mixing, split in halves). */
function hashes(id: string): [number, number] {
  const s = idKey(id);
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return [h1 >>> 0, (h2 >>> 0) | 1];
}

export interface IdFilter {
  /** Number of bits. */
  readonly bits: number;
  /** The bit array, base64 (JSON-friendly). */
  readonly data: string;
}

export function buildIdFilter(ids: Iterable<string>, count: number): IdFilter {
  const bits = Math.min(MAX_BITS, Math.max(MIN_BITS, Math.ceil((count * BITS_PER_ID) / 8) * 8));
  const bytes = new Uint8Array(bits / 8);
  for (const id of ids) {
    const [a, b] = hashes(id);
    for (let k = 0; k < HASHES; k++) {
      const bit = (a + k * b) % bits;
      bytes[bit >>> 3]! |= 1 << (bit & 7);
    }
  }
  return { bits, data: toBase64(bytes) };
}

/** False: the id is certainly not in the filter. True: it may be. */
export function mayContain(filter: IdFilter, bytes: Uint8Array, id: string): boolean {
  const [a, b] = hashes(id);
  for (let k = 0; k < HASHES; k++) {
    const bit = (a + k * b) % filter.bits;
    if ((bytes[bit >>> 3]! & (1 << (bit & 7))) === 0) return false;
  }
  return true;
}

function toBase64(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** The filter's bit array (decode once per assessment, not per check). */
export function filterBytes(filter: IdFilter): Uint8Array {
  const bin = atob(filter.data);
  const bytes = new Uint8Array(filter.bits / 8);
  for (let i = 0; i < bytes.length && i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}
