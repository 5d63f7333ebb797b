// Webhook TLS lifecycle. Self-managed: keep a CA and a serving certificate in a store (the lead backs
// it with a Secret), renew the serving certificate at 2/3 of its life and the CA at 2/3 of its own.
// A CA rotation has two phases so that the caBundle never lags the serving certificate:
//   1. a new CA joins the bundle (old CA kept), the serving certificate stays → onRotate (caBundle patched)
//   2. after `caPropagationMs`, the serving certificate is re-issued by the new CA → onRotate
// The old CA stays in the bundle until it expires. cert-manager mode only loads what cert-manager
// wrote, through the same store, and never writes.
import type { Logger } from "pino";
import type { Clock, Timers } from "../../operator/clock.js";
import {
  DEFAULT_BACKDATE_MS,
  createCertificateAuthority,
  inspectCertificate,
  isIssuedBy,
  issueServingCertificate,
  keyMatchesCertificate,
  splitPemCertificates,
  type CertificateInfo,
  type KeyPairPem,
} from "./certificates.js";

/** What the store holds; the field names map onto the Secret keys tls.crt, tls.key, ca.crt, ca.key. */
export interface CertificateBundle {
  /** Serving certificate (PEM). */
  tlsCrt: string;
  /** Serving private key (PEM). */
  tlsKey: string;
  /** CA certificates to trust (PEM): the signing CA first, then older CAs until they expire. This is the webhook caBundle. */
  caCrt: string;
  /** Self-managed only: the key of the first CA in caCrt. */
  caKey?: string;
}

/** Port to wherever the bundle lives (a Secret). `save` should fail on a concurrent update (resourceVersion). */
export interface CertificateStore {
  load(): Promise<CertificateBundle | null>;
  save(bundle: CertificateBundle): Promise<void>;
}

export interface RotatorOptions {
  mode: "self-managed" | "cert-manager";
  store: CertificateStore;
  clock: Clock;
  /** Called with every new bundle (patch the caBundle, then server.setSecureContext). Retried on the next check if it throws. */
  onRotate: (bundle: CertificateBundle) => void | Promise<void>;
  dnsNames: string[];
  ipAddresses?: string[];
  caValidityMs?: number;
  servingValidityMs?: number;
  /** Fraction of a certificate's lifetime after which it is renewed. */
  renewFraction?: number;
  /** Time between adding a new CA to the caBundle and serving a certificate it signed. */
  caPropagationMs?: number;
  /** Longest wait between checks (picks up bundles written by other replicas or cert-manager). */
  maxCheckIntervalMs?: number;
  /** Wait after a failed check. */
  retryMs?: number;
  backdateMs?: number;
  log?: Logger;
}

export type RotationAction = "created" | "added-ca" | "switched-to-new-ca" | "renewed-serving" | "pruned-ca" | "adopted" | "unchanged" | "waiting";

export interface RotationResult {
  action: RotationAction;
  bundle: CertificateBundle | null;
  nextCheckAt: Date;
  reason?: string;
}

const DAY = 86_400_000;
const DEFAULTS = {
  caValidityMs: 365 * DAY,
  servingValidityMs: 90 * DAY,
  renewFraction: 2 / 3,
  caPropagationMs: 10 * 60_000,
  maxCheckIntervalMs: 60_000,
  retryMs: 10_000,
};
const MAX_TIMER_MS = 2_147_483_647;

interface ParsedBundle {
  cas: CertificateInfo[];
  caPems: string[];
  serving: CertificateInfo;
  /** Index in `cas` of the CA that issued the serving certificate, -1 if none. */
  servingIssuer: number;
  signerKeyOk: boolean;
  servingKeyOk: boolean;
}

export type RotationStep =
  | { step: "create"; reason: string }
  | { step: "add-ca"; renewServingWithOldCa: boolean; reason: string }
  | { step: "switch-to-new-ca"; reason: string }
  | { step: "renew-serving"; reason: string }
  | { step: "prune-ca"; reason: string }
  | { step: "none" };

/** Parses and cross-checks a bundle; null when it is unusable. */
export function parseBundle(b: CertificateBundle): ParsedBundle | null {
  try {
    const caPems = splitPemCertificates(b.caCrt);
    const servingPem = splitPemCertificates(b.tlsCrt)[0];
    if (caPems.length === 0 || !servingPem) return null;
    const cas = caPems.map(inspectCertificate);
    const serving = inspectCertificate(servingPem);
    return {
      cas,
      caPems,
      serving,
      servingIssuer: caPems.findIndex((ca) => isIssuedBy(servingPem, ca)),
      signerKeyOk: b.caKey !== undefined && keyMatchesCertificate(b.caKey, caPems[0]!),
      servingKeyOk: keyMatchesCertificate(b.tlsKey, servingPem),
    };
  } catch {
    return null;
  }
}

const renewAt = (c: CertificateInfo, fraction: number) => c.notBefore.getTime() + fraction * (c.notAfter.getTime() - c.notBefore.getTime());

function coversNames(c: CertificateInfo, dnsNames: readonly string[], ips: readonly string[]): boolean {
  return dnsNames.every((n) => c.dnsNames.includes(n)) && ips.every((ip) => c.ipAddresses.includes(ip));
}

/** Pure: what the self-managed rotator should do with this bundle at `now`. */
export function planRotation(
  p: ParsedBundle | null,
  now: number,
  o: { renewFraction: number; caPropagationMs: number; backdateMs: number; dnsNames: readonly string[]; ipAddresses: readonly string[] },
): RotationStep {
  if (!p) return { step: "create", reason: "no usable certificate bundle" };
  if (!p.signerKeyOk) return { step: "create", reason: "the CA key is missing or does not match the CA certificate" };
  if (!p.servingKeyOk) return { step: "create", reason: "the serving key does not match the serving certificate" };
  const signer = p.cas[0]!;
  if (now >= signer.notAfter.getTime()) return { step: "create", reason: "the CA has expired" };
  if (p.servingIssuer === -1) return { step: "renew-serving", reason: "the serving certificate is not issued by a CA in the bundle" };

  const servingDue = now >= renewAt(p.serving, o.renewFraction) || now >= p.serving.notAfter.getTime();
  if (now >= renewAt(signer, o.renewFraction)) {
    return { step: "add-ca", renewServingWithOldCa: servingDue && p.servingIssuer === 0, reason: `the CA passed ${Math.round(o.renewFraction * 100)}% of its lifetime` };
  }
  if (p.servingIssuer !== 0) {
    // The signer is a newer CA: serve from it once the caBundle carrying it has had time to spread.
    const signerCreated = signer.notBefore.getTime() + o.backdateMs;
    if (now >= signerCreated + o.caPropagationMs || servingDue) return { step: "switch-to-new-ca", reason: "the new CA has propagated" };
  } else if (servingDue) {
    return { step: "renew-serving", reason: `the serving certificate passed ${Math.round(o.renewFraction * 100)}% of its lifetime` };
  } else if (!coversNames(p.serving, o.dnsNames, o.ipAddresses)) {
    return { step: "renew-serving", reason: "the serving certificate does not cover the configured names" };
  }
  if (p.cas.slice(1).some((c, i) => now >= c.notAfter.getTime() && i + 1 !== p.servingIssuer)) return { step: "prune-ca", reason: "an old CA has expired" };
  return { step: "none" };
}

/** Pure: when the bundle next needs attention. */
function nextEvent(p: ParsedBundle, now: number, o: { renewFraction: number; caPropagationMs: number; backdateMs: number }): number {
  const times = [renewAt(p.cas[0]!, o.renewFraction), renewAt(p.serving, o.renewFraction), p.serving.notAfter.getTime()];
  if (p.servingIssuer > 0) times.push(p.cas[0]!.notBefore.getTime() + o.backdateMs + o.caPropagationMs);
  for (const c of p.cas.slice(1)) times.push(c.notAfter.getTime());
  return Math.min(...times.filter((t) => t > now));
}

const sameBundle = (a: CertificateBundle | null, b: CertificateBundle | null) =>
  a === b || (!!a && !!b && a.tlsCrt === b.tlsCrt && a.tlsKey === b.tlsKey && a.caCrt === b.caCrt && a.caKey === b.caKey);

export class CertificateRotator {
  private readonly o: Required<Omit<RotatorOptions, "log" | "ipAddresses">> & { ipAddresses: string[]; log: Logger | undefined };
  private currentBundle: CertificateBundle | null = null;
  /** The last bundle onRotate accepted; differs from current while a delivery is outstanding. */
  private delivered: CertificateBundle | null = null;
  private running: Promise<RotationResult> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timers: Timers | null = null;

  constructor(opts: RotatorOptions) {
    if (opts.mode === "self-managed" && opts.dnsNames.length === 0 && (opts.ipAddresses ?? []).length === 0) {
      throw new Error("self-managed webhook TLS needs at least one DNS name or IP address");
    }
    this.o = {
      ...DEFAULTS,
      backdateMs: DEFAULT_BACKDATE_MS,
      ...opts,
      ipAddresses: opts.ipAddresses ?? [],
      log: opts.log,
    } as typeof this.o;
    const f = this.o.renewFraction;
    if (!(f > 0 && f < 1)) throw new Error("renewFraction must be between 0 and 1");
  }

  current(): CertificateBundle | null {
    return this.currentBundle;
  }

  /** One check; concurrent callers share the run in progress. Throws when the store fails (retry later). */
  check(): Promise<RotationResult> {
    if (!this.running) {
      this.running = this.runCheck().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  /** Runs check() now and then whenever the bundle next needs attention (or every maxCheckIntervalMs). */
  start(timers: Timers): void {
    this.timers = timers;
    this.schedule(0);
  }

  stop(): void {
    if (this.timer && this.timers) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.timers = null;
  }

  private schedule(ms: number): void {
    if (!this.timers) return;
    this.timer = this.timers.setTimeout(() => {
      this.check().then(
        (r) => this.schedule(Math.max(1000, Math.min(r.nextCheckAt.getTime() - this.o.clock.now().getTime(), MAX_TIMER_MS))),
        (err: unknown) => {
          this.o.log?.warn({ err: String(err) }, "webhook certificate check failed; retrying");
          this.schedule(this.o.retryMs);
        },
      );
    }, ms);
  }

  private async runCheck(): Promise<RotationResult> {
    const now = this.o.clock.now().getTime();
    const loaded = await this.o.store.load();
    return this.o.mode === "cert-manager" ? this.follow(loaded, now) : this.manage(loaded, now);
  }

  private async follow(loaded: CertificateBundle | null, now: number): Promise<RotationResult> {
    const next = new Date(now + this.o.maxCheckIntervalMs);
    if (!loaded) return { action: "waiting", bundle: this.currentBundle, nextCheckAt: next, reason: "no certificate in the store yet" };
    const p = parseBundle({ ...loaded, caKey: undefined });
    if (!p || !p.servingKeyOk) {
      // Keep serving what we have; cert-manager may be half-way through writing.
      return { action: "waiting", bundle: this.currentBundle, nextCheckAt: next, reason: "the stored certificate is unusable" };
    }
    const changed = !sameBundle(loaded, this.currentBundle);
    if (changed) this.currentBundle = loaded;
    await this.deliver();
    return { action: changed ? "adopted" : "unchanged", bundle: this.currentBundle, nextCheckAt: next };
  }

  private async manage(loaded: CertificateBundle | null, now: number): Promise<RotationResult> {
    const parsed = loaded ? parseBundle(loaded) : null;
    const step = planRotation(parsed, now, { ...this.o, ipAddresses: this.o.ipAddresses });
    if (step.step === "none") {
      const changed = !sameBundle(loaded, this.currentBundle);
      if (changed) this.currentBundle = loaded;
      await this.deliver();
      return this.result(changed ? "adopted" : "unchanged", parsed!, now);
    }
    const nowDate = new Date(now);
    const next = await this.build(step, loaded, parsed, nowDate);
    await this.o.store.save(next);
    this.currentBundle = next;
    this.o.log?.info({ step: step.step, reason: step.reason }, "webhook certificates rotated");
    await this.deliver();
    const actions: Record<typeof step.step, RotationAction> = { create: "created", "add-ca": "added-ca", "switch-to-new-ca": "switched-to-new-ca", "renew-serving": "renewed-serving", "prune-ca": "pruned-ca" };
    const action = actions[step.step];
    return { ...this.result(action, parseBundle(next)!, now), reason: step.reason };
  }

  private result(action: RotationAction, p: ParsedBundle, now: number): RotationResult {
    const at = Math.min(nextEvent(p, now, this.o), now + this.o.maxCheckIntervalMs);
    return { action, bundle: this.currentBundle, nextCheckAt: new Date(at) };
  }

  private async build(step: Exclude<RotationStep, { step: "none" }>, loaded: CertificateBundle | null, p: ParsedBundle | null, now: Date): Promise<CertificateBundle> {
    const validCas = (pems: string[], infos: CertificateInfo[]) => pems.filter((_, i) => infos[i]!.notAfter.getTime() > now.getTime());
    const issue = (ca: KeyPairPem) =>
      issueServingCertificate({ ca, dnsNames: this.o.dnsNames, ipAddresses: this.o.ipAddresses, now, validityMs: this.o.servingValidityMs, backdateMs: this.o.backdateMs });
    const newCa = () => createCertificateAuthority({ now, validityMs: this.o.caValidityMs, backdateMs: this.o.backdateMs });

    switch (step.step) {
      case "create": {
        const ca = await newCa();
        const serving = await issue(ca);
        // Keep CAs that still verify: other replicas may serve certificates they signed.
        const keep = p ? validCas(p.caPems, p.cas) : [];
        return { tlsCrt: serving.certPem, tlsKey: serving.keyPem, caCrt: [ca.certPem, ...keep].join(""), caKey: ca.keyPem };
      }
      case "add-ca": {
        const oldCa = { certPem: p!.caPems[0]!, keyPem: loaded!.caKey! };
        const serving = step.renewServingWithOldCa ? await issue(oldCa) : { certPem: loaded!.tlsCrt, keyPem: loaded!.tlsKey };
        const ca = await newCa();
        return { tlsCrt: serving.certPem, tlsKey: serving.keyPem, caCrt: [ca.certPem, ...validCas(p!.caPems, p!.cas)].join(""), caKey: ca.keyPem };
      }
      case "switch-to-new-ca":
      case "renew-serving": {
        const serving = await issue({ certPem: p!.caPems[0]!, keyPem: loaded!.caKey! });
        return { ...loaded!, tlsCrt: serving.certPem, tlsKey: serving.keyPem, caCrt: validCas(p!.caPems, p!.cas).join("") };
      }
      case "prune-ca":
        return { ...loaded!, caCrt: p!.caPems.filter((_, i) => i === 0 || i === p!.servingIssuer || p!.cas[i]!.notAfter.getTime() > now.getTime()).join("") };
    }
  }

  private async deliver(): Promise<void> {
    const b = this.currentBundle;
    if (!b || sameBundle(b, this.delivered)) return;
    await this.o.onRotate(b);
    this.delivered = b;
  }
}
