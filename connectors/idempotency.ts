// The idempotency key is written into each ticket so a retry after a crash finds the ticket instead of
// creating another. The same label/tag form is used everywhere, so keys are restricted to characters every
// ALM accepts in a label (no spaces: Jira; no commas: GitLab; no ";": Azure DevOps tags) and to a length
// that keeps "fixops-<key>" within GitHub's 50-character label limit.
export const LABEL_PREFIX = "fixops-";
export const MARKER_LABEL = "fixops";
const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,42}$/;

export function isValidIdempotencyKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

export function idempotencyLabel(key: string): string {
  return LABEL_PREFIX + key;
}

/** The key carried by a label/tag list, if any. */
export function keyFromLabels(labels: readonly string[]): string | undefined {
  for (const l of labels) {
    if (l.startsWith(LABEL_PREFIX) && isValidIdempotencyKey(l.slice(LABEL_PREFIX.length))) return l.slice(LABEL_PREFIX.length);
  }
  return undefined;
}

/** Marker FixOps appends to text it writes (comments), so the loop guard can recognise its own echoes. */
export const ORIGIN_MARKER = "(fixops:origin)";

export function withOriginMarker(text: string): string {
  return text.includes(ORIGIN_MARKER) ? text : `${text}\n\n— FixOps ${ORIGIN_MARKER}`;
}

/** Labels a caller asked for, minus the reserved "fixops-" prefix (only the idempotency label may use it). */
export function userLabels(labels: readonly string[] | undefined): string[] {
  return (labels ?? []).map((l) => l.trim().replace(/\s+/g, "-")).filter((l) => l !== "" && !l.startsWith(LABEL_PREFIX));
}
