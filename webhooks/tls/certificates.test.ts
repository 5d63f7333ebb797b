import { describe, expect, it } from "@jest/globals";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { createCertificateAuthority, inspectCertificate, isIssuedBy, issueServingCertificate, keyMatchesCertificate, splitPemCertificates } from "./certificates.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const HOUR = 3_600_000;

describe("certificates", () => {
  it("creates an ECDSA P-256 CA that can sign, with the lifetime asked for (backdated for clock skew)", async () => {
    const ca = await createCertificateAuthority({ now: NOW, validityMs: 24 * HOUR });
    const info = inspectCertificate(ca.certPem);
    expect(info.isCa).toBe(true);
    expect(info.subject).toMatch(/^CN=fixops-admission-ca-[0-9a-f]{8}\nO=fixops\.io$/);
    expect(info.notBefore).toEqual(new Date(NOW.getTime() - 5 * 60_000));
    expect(info.notAfter).toEqual(new Date(NOW.getTime() + 24 * HOUR));
    expect(ca.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const key = createPrivateKey(ca.keyPem);
    expect([key.asymmetricKeyType, key.asymmetricKeyDetails?.namedCurve]).toEqual(["ec", "prime256v1"]);
    expect(keyMatchesCertificate(ca.keyPem, ca.certPem)).toBe(true);
    expect(new X509Certificate(ca.certPem).verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
  });

  it("issues a serving certificate for DNS names and IPs, signed by the CA, never outliving it", async () => {
    const ca = await createCertificateAuthority({ now: NOW, validityMs: 10 * HOUR });
    const s = await issueServingCertificate({ ca, dnsNames: ["fixops-webhook.fixops-system.svc", "fixops-webhook.fixops-system.svc.cluster.local"], ipAddresses: ["127.0.0.1"], now: NOW, validityMs: 100 * HOUR });
    const info = inspectCertificate(s.certPem);
    expect(info.isCa).toBe(false);
    expect(info.subject).toBe("CN=fixops-webhook.fixops-system.svc");
    expect(info.dnsNames).toEqual(["fixops-webhook.fixops-system.svc", "fixops-webhook.fixops-system.svc.cluster.local"]);
    expect(info.ipAddresses).toEqual(["127.0.0.1"]);
    expect(info.notAfter).toEqual(new Date(NOW.getTime() + 10 * HOUR)); // clamped to the CA
    expect(isIssuedBy(s.certPem, ca.certPem)).toBe(true);
    expect(keyMatchesCertificate(s.keyPem, s.certPem)).toBe(true);
    expect(keyMatchesCertificate(ca.keyPem, s.certPem)).toBe(false);
    const other = await createCertificateAuthority({ now: NOW, validityMs: HOUR });
    expect(isIssuedBy(s.certPem, other.certPem)).toBe(false);
    // serverAuth only
    expect(new X509Certificate(s.certPem).keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]);
  });

  it.each([
    [{ dnsNames: [], ipAddresses: [] }, "at least one DNS name or IP address"],
    [{ dnsNames: ["a.svc"], ipAddresses: ["localhost"] }, "not an IP address"],
  ])("refuses %j", async (names, message) => {
    const ca = await createCertificateAuthority({ now: NOW, validityMs: HOUR });
    await expect(issueServingCertificate({ ca, ...names, now: NOW, validityMs: HOUR })).rejects.toThrow(message);
  });

  it("accepts a SEC1 (EC PRIVATE KEY) CA key as cert-manager writes it", async () => {
    const ca = await createCertificateAuthority({ now: NOW, validityMs: HOUR });
    const sec1 = createPrivateKey(ca.keyPem).export({ type: "sec1", format: "pem" }) as string;
    const s = await issueServingCertificate({ ca: { certPem: ca.certPem, keyPem: sec1 }, dnsNames: ["a.svc"], now: NOW, validityMs: HOUR });
    expect(isIssuedBy(s.certPem, ca.certPem)).toBe(true);
  });

  it("splits a PEM bundle into its certificates", async () => {
    const a = await createCertificateAuthority({ now: NOW, validityMs: HOUR });
    const b = await createCertificateAuthority({ now: NOW, validityMs: HOUR });
    const parts = splitPemCertificates(`${a.certPem}\n${b.certPem}garbage`);
    expect(parts.map((p) => inspectCertificate(p).fingerprint)).toEqual([inspectCertificate(a.certPem).fingerprint, inspectCertificate(b.certPem).fingerprint]);
    expect(splitPemCertificates("no certificates here")).toEqual([]);
  });
});
