// decideAdmission: AdmissionReview in, AdmissionReview out, pure (the clock is an argument and the
// decider reads only memory). Per gate: enforce → deny on BLOCK; warn → allow with a warning; audit →
// allow and record "would deny". NEEDS_REVIEW warns, or counts as BLOCK when the gate says deny.
import { extractPodSpecs, isGatedKind, sameAdmissionInputs, type ContainerImage, type PodSpecs } from "./extract.js";
import { allow, reviewResponse } from "./review.js";
import type { AdmissionDecider, AdmissionReviewRequest, AdmissionReviewResponse, GateImageVerdict, ImageVerdict, TopFindingRef } from "./types.js";

export interface AdmissionOptions {
  operatorNamespace: string;
  now: Date;
  /** Never gated, whatever the webhook configuration says; kube-system and the operator's own are always added. */
  exemptNamespaces?: readonly string[];
  /** Bound of the deny message in UTF-8 bytes (default 1 KiB: one screen). */
  maxMessageBytes?: number;
}

export type GateAction = "deny" | "warn" | "audit" | "allow";

export interface GateDecision {
  container: ContainerImage;
  verdict: GateImageVerdict;
  action: GateAction;
}

export interface WorkloadRef {
  kind: string;
  namespace: string;
  /** request.name, else metadata.name, else `<generateName>*` (Pods of a ReplicaSet have no name yet). */
  name: string;
  uid?: string;
  /** The controller owner, e.g. the ReplicaSet of a Pod: Events are best recorded there. */
  owner?: { apiVersion: string; kind: string; name: string; uid?: string };
}

export type SkipReason = "exempt-namespace" | "operation" | "subresource" | "kind-not-gated" | "no-images" | "unchanged";

export interface AdmissionResult {
  review: AdmissionReviewResponse;
  /** False when the request was allowed without consulting the decider. */
  evaluated: boolean;
  skipReason?: SkipReason;
  /** One per container × gate that applies (empty when not evaluated). */
  decisions: GateDecision[];
  workload: WorkloadRef;
  /** The deny message, or the "would deny" text of audit-mode gates, for Events. */
  denyMessage?: string;
  auditMessage?: string;
}

const DEFAULT_MAX_MESSAGE = 1024;
const MAX_WARNINGS = 10;
// The API server may truncate longer warnings; 256 is its documented soft limit.
const MAX_WARNING_CHARS = 256;
const MAX_AUDIT_VALUE = 1024;
const SHOWN_FINDINGS = 3;

/** The action a gate verdict asks for, given the gate's mode. */
export function gateAction(v: GateImageVerdict): GateAction {
  const blocks = v.outcome === "BLOCK" || (v.outcome === "NEEDS_REVIEW" && v.needsReviewAction === "deny");
  switch (v.mode) {
    case "enforce":
      return blocks ? "deny" : v.outcome === "NEEDS_REVIEW" ? "warn" : "allow";
    case "warn":
      return v.outcome === "ALLOW" ? "allow" : "warn";
    case "audit":
      return blocks ? "audit" : "allow";
  }
}

export function decideAdmission(review: AdmissionReviewRequest, decider: AdmissionDecider, opts: AdmissionOptions): AdmissionResult {
  const r = review.request;
  const namespace = r.namespace ?? "";
  const workload = workloadRef(review);

  if (namespace === "kube-system" || namespace === opts.operatorNamespace || opts.exemptNamespaces?.includes(namespace)) {
    return skipped(r.uid, "exempt-namespace", workload);
  }
  if (r.operation !== "CREATE" && r.operation !== "UPDATE") return skipped(r.uid, "operation", workload);
  // Subresources (scale, status, …) cannot change images; ephemeral containers can and are gated.
  if (r.subResource && r.subResource !== "ephemeralcontainers") return skipped(r.uid, "subresource", workload);
  if (!isGatedKind(review)) return skipped(r.uid, "kind-not-gated", workload);

  const specs = extractPodSpecs(review, "object");
  if (!specs || specs.containers.length === 0) return skipped(r.uid, "no-images", workload);
  if (r.operation === "UPDATE") {
    const prev = extractPodSpecs(review, "oldObject");
    if (prev && sameAdmissionInputs(specs, prev)) return skipped(r.uid, "unchanged", workload);
  }

  const decisions = evaluate(specs, namespace, decider, opts.now);
  const denied: GateDecision[] = [];
  const warned: GateDecision[] = [];
  const audited: GateDecision[] = [];
  for (const d of decisions) {
    if (d.action === "deny") denied.push(d);
    else if (d.action === "warn") warned.push(d);
    else if (d.action === "audit") audited.push(d);
  }

  const warnings = warningLines(warned);
  const auditMessage = audited.length > 0 ? violationText(workload, audited, "would deny", MAX_AUDIT_VALUE) : undefined;
  const auditAnnotations = auditMessage ? { "would-deny": auditMessage } : undefined;

  if (denied.length > 0) {
    const denyMessage = violationText(workload, denied, "denied", opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE);
    const response = reviewResponse({
      uid: r.uid,
      allowed: false,
      status: { code: 403, reason: "Forbidden", message: denyMessage },
      ...(warnings.length > 0 ? { warnings } : {}),
      ...(auditAnnotations ? { auditAnnotations } : {}),
    });
    return { review: response, evaluated: true, decisions, workload, denyMessage, ...(auditMessage ? { auditMessage } : {}) };
  }
  const response = allow(r.uid, {
    ...(warnings.length > 0 ? { warnings } : {}),
    ...(auditAnnotations ? { auditAnnotations } : {}),
  });
  return { review: response, evaluated: true, decisions, workload, ...(auditMessage ? { auditMessage } : {}) };
}

function skipped(uid: string, skipReason: SkipReason, workload: WorkloadRef): AdmissionResult {
  return { review: allow(uid), evaluated: false, skipReason, decisions: [], workload };
}

function evaluate(specs: PodSpecs, namespace: string, decider: AdmissionDecider, now: Date): GateDecision[] {
  const byImage = new Map<string, ImageVerdict>();
  const out: GateDecision[] = [];
  for (const container of specs.containers) {
    let verdict = byImage.get(container.image);
    if (!verdict) {
      verdict = decider.decide({ namespace, image: container.image, workloadLabels: specs.labels, now });
      byImage.set(container.image, verdict);
    }
    for (const g of verdict.gates) out.push({ container, verdict: g, action: gateAction(g) });
  }
  return out;
}

function workloadRef(review: AdmissionReviewRequest): WorkloadRef {
  const r = review.request;
  const meta = r.object?.metadata;
  const m = typeof meta === "object" && meta !== null && !Array.isArray(meta) ? (meta as Record<string, unknown>) : {};
  const metaName = typeof m.name === "string" && m.name ? m.name : typeof m.generateName === "string" && m.generateName ? `${m.generateName}*` : "";
  const ref: WorkloadRef = { kind: r.kind.kind, namespace: r.namespace ?? "", name: clip(r.name || metaName || "(unnamed)", 253) };
  if (typeof m.uid === "string" && m.uid) ref.uid = clip(m.uid, 128);
  if (Array.isArray(m.ownerReferences)) {
    for (const o of m.ownerReferences as unknown[]) {
      if (typeof o !== "object" || o === null) continue;
      const or = o as Record<string, unknown>;
      if (or.controller === true && typeof or.apiVersion === "string" && typeof or.kind === "string" && typeof or.name === "string") {
        ref.owner = { apiVersion: clip(or.apiVersion, 253), kind: clip(or.kind, 63), name: clip(or.name, 253) };
        if (typeof or.uid === "string") ref.owner.uid = clip(or.uid, 128);
        break;
      }
    }
  }
  return ref;
}

// ---- Messages ----------------------------------------------------------------------------------

/** Untrusted text (image names, reasons) may hold control characters that would garble a terminal. */
function clean(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, " ");
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

// Lines are assembled from raw fragments and cleaned once: clean() maps one character to one, so
// cleaning the whole line equals cleaning every fragment, and costs one scan instead of ten.
function findingText(f: TopFindingRef): string {
  return `${clip(f.id, 64)} ${f.severity}${f.kev ? " KEV" : ""}`;
}

function findingsText(v: GateImageVerdict): string {
  const shown = v.topFindings.slice(0, SHOWN_FINDINGS).map(findingText);
  const more = v.topFindings.length - shown.length;
  return shown.length === 0 ? "" : `${shown.join(", ")}${more > 0 ? ` (+${more} more)` : ""}`;
}

interface VerdictText {
  /** Cleaned end of a violation line: outcome, gate, findings or reason, what to look at. */
  violationTail: string;
  /** Cleaned start and end of a warning line, around the image. */
  warningHead: string;
  warningTail: string;
}

// Deciders hand out the same verdict objects for an image until its inputs change (verdict-cache.ts),
// so the per-verdict part of every message is built once. Keyed weakly: it goes with the verdict.
const verdictTexts = new WeakMap<GateImageVerdict, VerdictText>();

function verdictText(v: GateImageVerdict): VerdictText {
  let t = verdictTexts.get(v);
  if (t) return t;
  const findings = findingsText(v);
  let tail = `: ${v.outcome} by gate "${clip(v.gate, 127)}" (${v.mode})`;
  if (v.note) tail += `; ${clip(v.note, 200)}`;
  if (findings) tail += `; findings: ${findings}`;
  else if (v.reasons.length > 0 && !v.note) tail += `; reason: ${clip(v.reasons[0]!, 160)}`;
  if (v.scanResult || v.remediationTask) {
    tail += "; see ";
    if (v.scanResult) tail += `ScanResult ${clip(v.scanResult, 120)}`;
    if (v.remediationTask) tail += `${v.scanResult ? ", " : ""}RemediationTask ${clip(v.remediationTask, 120)}`;
  }
  const what = v.outcome === "NEEDS_REVIEW" ? "needs review" : v.outcome === "BLOCK" ? "is BLOCKed" : v.outcome;
  const reason = findings ? `: ${findings}` : v.reasons[0] ? `: ${v.reasons[0]}` : "";
  const see = v.scanResult ? `; see ScanResult ${v.scanResult}` : "";
  t = { violationTail: clean(tail), warningHead: clean(`FixOps gate "${v.gate}" (${v.mode}): `), warningTail: clean(` ${what}${reason}${see}`) };
  verdictTexts.set(v, t);
  return t;
}

function violationLine(d: GateDecision): string {
  return clean(`- ${d.container.type} "${clip(d.container.name, 63)}" image ${clip(d.container.image, 160)}`) + verdictText(d.verdict).violationTail;
}

/** Header plus one line per violation, cut at whole lines to fit `maxBytes` (UTF-8). */
function violationText(w: WorkloadRef, list: GateDecision[], verb: string, maxBytes: number): string {
  const header = clean(`FixOps ${verb} ${w.kind} ${clip(w.namespace, 63)}/${clip(w.name, 63)}:`);
  const lines = [header];
  let bytes = Buffer.byteLength(header);
  let shown = 0;
  for (const d of list) {
    const line = violationLine(d);
    const cost = Buffer.byteLength(line) + 1;
    // Keep room for the "and N more" trailer.
    if (bytes + cost > maxBytes - 40) break;
    lines.push(line);
    bytes += cost;
    shown++;
  }
  if (shown === 0 && list.length > 0) {
    lines.push(truncateUtf8(violationLine(list[0]!), maxBytes - bytes - 41));
    shown = 1;
  }
  if (shown < list.length) lines.push(clean(`- and ${list.length - shown} more (see the ScanResults in ${clip(w.namespace, 63)})`));
  return truncateUtf8(lines.join("\n"), maxBytes);
}

function warningLines(warned: GateDecision[]): string[] {
  const lines = new Set<string>();
  for (const d of warned) {
    const t = verdictText(d.verdict);
    // clean() maps one character to one, so clipping the cleaned parts equals cleaning the clipped line.
    lines.add(clip(t.warningHead + clean(d.container.image) + t.warningTail, MAX_WARNING_CHARS));
  }
  const out = [...lines];
  if (out.length <= MAX_WARNINGS) return out;
  return [...out.slice(0, MAX_WARNINGS - 1), `FixOps: ${out.length - (MAX_WARNINGS - 1)} more warnings not shown`];
}

export function truncateUtf8(s: string, maxBytes: number): string {
  if (maxBytes <= 0) return "";
  if (Buffer.byteLength(s) <= maxBytes) return s;
  const buf = Buffer.from(s).subarray(0, Math.max(0, maxBytes - 3));
  // Drop a split multi-byte character at the cut (decoding would turn it into U+FFFD, 3 bytes).
  let text = buf.toString("utf8");
  while (text.endsWith("\uFFFD")) text = text.slice(0, -1);
  while (Buffer.byteLength(text) > maxBytes - 3) text = text.slice(0, -1);
  return `${text}...`;
}
