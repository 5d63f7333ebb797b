import { describe, expect, it } from "@jest/globals";
import { createCertificateAuthority, inspectCertificate, isIssuedBy, issueServingCertificate, splitPemCertificates } from "./certificates.js";
import { CertificateRotator, type CertificateBundle, type CertificateStore, type RotatorOptions } from "./rotator.js";

const T0 = new Date("2026-03-01T12:00:00Z").getTime();
const MIN = 60_000;
const HOUR = 60 * MIN;

/** An in-memory store that can refuse writes (a conflicting replica) and counts them. */
class MemoryStore implements CertificateStore {
  bundle: CertificateBundle | null = null;
  saves = 0;
  failNextSave = false;
  async load() {
    return this.bundle ? { ...this.bundle } : null;
  }
  async save(b: CertificateBundle) {
    if (this.failNextSave) {
      this.failNextSave = false;
      throw new Error("409 conflict");
    }
    this.saves++;
    this.bundle = { ...b };
  }
}

function setup(over: Partial<RotatorOptions> = {}) {
  const clock = { t: T0, now() { return new Date(this.t); } };
  const store = new MemoryStore();
  const rotations: CertificateBundle[] = [];
  const rotator = new CertificateRotator({
    mode: "self-managed",
    store,
    clock,
    onRotate: (b) => {
      rotations.push(b);
    },
    dnsNames: ["fixops-webhook.fixops-system.svc"],
    ipAddresses: ["127.0.0.1"],
    caValidityMs: 30 * HOUR,
    servingValidityMs: 9 * HOUR,
    caPropagationMs: 10 * MIN,
    backdateMs: 0,
    maxCheckIntervalMs: HOUR,
    ...over,
  });
  return { clock, store, rotations, rotator };
}

const cas = (b: CertificateBundle) => splitPemCertificates(b.caCrt).map((p) => inspectCertificate(p).fingerprint);
const fp = (pem: string) => inspectCertificate(pem).fingerprint;

describe("CertificateRotator (self-managed)", () => {
  it("creates a CA and serving certificate when the store is empty, saves them and hands them over", async () => {
    const { store, rotations, rotator } = setup();
    const r = await rotator.check();
    expect(r.action).toBe("created");
    expect(store.saves).toBe(1);
    expect(rotations).toHaveLength(1);
    expect(rotator.current()).toEqual(store.bundle);
    const b = store.bundle!;
    expect(isIssuedBy(b.tlsCrt, b.caCrt)).toBe(true);
    expect(inspectCertificate(b.tlsCrt).dnsNames).toEqual(["fixops-webhook.fixops-system.svc"]);
    // next check at the serving certificate's 2/3 point (6 h of 9 h), within maxCheckInterval (1 h)
    expect(r.nextCheckAt.getTime()).toBe(T0 + HOUR);
  });

  it("does nothing while certificates are young, and renews the serving certificate at 2/3 of its life", async () => {
    const { clock, store, rotations, rotator } = setup({ maxCheckIntervalMs: 100 * HOUR });
    const first = await rotator.check();
    expect(first.nextCheckAt.getTime()).toBe(T0 + 6 * HOUR);
    clock.t = T0 + 6 * HOUR - 1;
    expect((await rotator.check()).action).toBe("unchanged");
    expect(store.saves).toBe(1);
    clock.t = T0 + 6 * HOUR;
    const before = store.bundle!;
    const r = await rotator.check();
    expect(r.action).toBe("renewed-serving");
    expect(fp(store.bundle!.tlsCrt)).not.toBe(fp(before.tlsCrt));
    expect(store.bundle!.caCrt).toBe(before.caCrt); // same CA
    expect(rotations).toHaveLength(2);
  });

  it("follows its own schedule through serving renewals and a two-phase CA rotation, keeping the old CA until it expires", async () => {
    // Times in hours after T0: serving 9 h (renewed at 6 h of age), CA 30 h (renewed at 20 h).
    const { clock, store, rotations, rotator } = setup({ maxCheckIntervalMs: 100 * HOUR });
    const steps: Array<[number, string]> = [];
    const bundles: CertificateBundle[] = [];
    while (clock.t < T0 + 31 * HOUR) {
      const r = await rotator.check();
      steps.push([(clock.t - T0) / HOUR, r.action]);
      bundles.push(store.bundle!);
      clock.t = r.nextCheckAt.getTime();
    }
    const h = (x: number) => Math.round(x * 1000) / 1000;
    expect(steps.map(([t, a]) => [h(t), a])).toEqual([
      [0, "created"],
      [6, "renewed-serving"],
      [12, "renewed-serving"],
      [18, "renewed-serving"],
      [20, "added-ca"],
      [h(20 + 1 / 6), "switched-to-new-ca"],
      [h(26 + 1 / 6), "renewed-serving"],
      [30, "pruned-ca"],
    ]);
    const [ca1] = cas(bundles[0]!);
    // Phase 1: the new CA joins the bundle in front of the old one; the serving certificate is unchanged.
    expect(cas(bundles[4]!)).toEqual([expect.any(String), ca1]);
    expect(cas(bundles[4]!)[0]).not.toBe(ca1);
    expect(fp(bundles[4]!.tlsCrt)).toBe(fp(bundles[3]!.tlsCrt));
    // Phase 2: the new CA signs the serving certificate; both CAs are still trusted.
    expect(isIssuedBy(bundles[5]!.tlsCrt, splitPemCertificates(bundles[5]!.caCrt)[0]!)).toBe(true);
    expect(cas(bundles[5]!)).toEqual(cas(bundles[4]!));
    // The old CA leaves once expired.
    expect(cas(bundles[7]!)).toEqual([cas(bundles[4]!)[0]]);
    // Every change was handed over, nothing else.
    expect(rotations).toHaveLength(8);
    expect(store.saves).toBe(8);
  });

  it("renews the serving certificate when the configured names change", async () => {
    const { store, rotator } = setup();
    await rotator.check();
    const { rotator: r2 } = { rotator: new CertificateRotator({ ...optionsOf(store), dnsNames: ["fixops-webhook.fixops-system.svc", "fixops-webhook.fixops-system.svc.cluster.local"] }) };
    expect((await r2.check()).action).toBe("renewed-serving");
    expect(inspectCertificate(store.bundle!.tlsCrt).dnsNames).toContain("fixops-webhook.fixops-system.svc.cluster.local");
  });

  it.each([
    ["a CA key that does not match", (b: CertificateBundle, other: CertificateBundle) => ({ ...b, caKey: other.caKey! })],
    ["a serving key that does not match", (b: CertificateBundle, other: CertificateBundle) => ({ ...b, tlsKey: other.tlsKey })],
    ["garbage", () => ({ tlsCrt: "x", tlsKey: "y", caCrt: "z", caKey: "w" })],
  ])("replaces an unusable bundle (%s)", async (_why, corrupt) => {
    const a = setup();
    await a.rotator.check();
    const b = setup();
    await b.rotator.check();
    a.store.bundle = corrupt(a.store.bundle!, b.store.bundle!);
    expect((await a.rotator.check()).action).toBe("created");
    expect(isIssuedBy(a.store.bundle!.tlsCrt, splitPemCertificates(a.store.bundle!.caCrt)[0]!)).toBe(true);
  });

  it("adopts a bundle another replica wrote, without writing", async () => {
    const a = setup();
    await a.rotator.check();
    const b = new CertificateRotator({ ...optionsOf(a.store), onRotate: (x) => void seen.push(x) });
    const seen: CertificateBundle[] = [];
    expect((await b.check()).action).toBe("adopted");
    expect(a.store.saves).toBe(1);
    expect(seen).toEqual([a.store.bundle]);
    expect((await b.check()).action).toBe("unchanged");
    expect(seen).toHaveLength(1);
  });

  it("does not hand over a bundle it could not save (a conflicting write), and recovers on the next check", async () => {
    const { store, rotations, rotator } = setup();
    store.failNextSave = true;
    await expect(rotator.check()).rejects.toThrow("409 conflict");
    expect(rotations).toHaveLength(0);
    expect(rotator.current()).toBeNull();
    expect((await rotator.check()).action).toBe("created");
    expect(rotations).toHaveLength(1);
  });

  it("retries onRotate on the next check when it failed (e.g. the caBundle patch)", async () => {
    const { store, rotator } = setup({
      onRotate: () => {
        calls++;
        if (calls === 1) throw new Error("patch failed");
      },
    });
    let calls = 0;
    await expect(rotator.check()).rejects.toThrow("patch failed");
    expect(store.saves).toBe(1);
    expect((await rotator.check()).action).toBe("unchanged");
    expect(calls).toBe(2);
    await rotator.check();
    expect(calls).toBe(2);
  });

  it("runs concurrent checks once", async () => {
    const { store, rotator } = setup();
    const [a, b] = await Promise.all([rotator.check(), rotator.check()]);
    expect(a).toBe(b);
    expect(store.saves).toBe(1);
  });

  it("schedules itself with injected timers", async () => {
    const pending: Array<{ fn: () => void; ms: number }> = [];
    const timers = {
      setTimeout: (fn: () => void, ms: number) => {
        pending.push({ fn, ms });
        return { id: pending.length } as unknown as NodeJS.Timeout;
      },
      clearTimeout: () => undefined,
    };
    const { store, rotator } = setup();
    rotator.start(timers);
    expect(pending.map((p) => p.ms)).toEqual([0]);
    pending.shift()!.fn();
    await new Promise((r) => setTimeout(r, 200));
    expect(store.saves).toBe(1);
    expect(pending.map((p) => p.ms)).toEqual([HOUR]);
    rotator.stop();
  });
});

describe("CertificateRotator (cert-manager)", () => {
  async function certManagerBundle(): Promise<CertificateBundle> {
    const ca = await createCertificateAuthority({ now: new Date(T0), validityMs: 10 * HOUR });
    const s = await issueServingCertificate({ ca, dnsNames: ["fixops-webhook.fixops-system.svc"], now: new Date(T0), validityMs: HOUR });
    return { tlsCrt: s.certPem, tlsKey: s.keyPem, caCrt: ca.certPem };
  }

  it("waits for the Secret, then adopts what cert-manager wrote and never writes", async () => {
    const { store, rotations, rotator } = setup({ mode: "cert-manager" });
    const first = await rotator.check();
    expect(first.action).toBe("waiting");
    expect(store.saves).toBe(0);
    store.bundle = await certManagerBundle();
    expect((await rotator.check()).action).toBe("adopted");
    expect(rotations).toEqual([store.bundle]);
    // cert-manager renews: adopted again
    store.bundle = await certManagerBundle();
    expect((await rotator.check()).action).toBe("adopted");
    expect(rotations).toHaveLength(2);
    expect(store.saves).toBe(0);
  });

  it("keeps the current certificate when the stored one is unusable", async () => {
    const { store, rotator } = setup({ mode: "cert-manager" });
    const good = await certManagerBundle();
    store.bundle = good;
    await rotator.check();
    const other = await certManagerBundle();
    store.bundle = { ...good, tlsKey: other.tlsKey };
    const r = await rotator.check();
    expect(r.action).toBe("waiting");
    expect(rotator.current()).toEqual(good);
  });
});

/** Options sharing a store, for a second rotator (another replica). */
function optionsOf(store: CertificateStore): RotatorOptions {
  return {
    mode: "self-managed",
    store,
    clock: { now: () => new Date(T0) },
    onRotate: () => undefined,
    dnsNames: ["fixops-webhook.fixops-system.svc"],
    ipAddresses: ["127.0.0.1"],
    caValidityMs: 30 * HOUR,
    servingValidityMs: 9 * HOUR,
    backdateMs: 0,
  };
}
