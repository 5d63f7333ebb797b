// Certificates for the webhook server: a CA and serving certificates it signs, ECDSA P-256, PEM out.
// Generation uses @peculiar/x509 over Node's WebCrypto (passed explicitly to every call, so no global
// crypto provider is set); inspection and verification use node:crypto's X509Certificate.
import "./reflect-metadata.js";
import type * as X509 from "@peculiar/x509";
import { X509Certificate as NodeX509, createPrivateKey, createPublicKey, randomBytes, webcrypto } from "node:crypto";
import { isIP } from "node:net";

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
// The library types its provider parameter with the DOM `Crypto` type, which this project (no DOM
// lib) does not declare; Node's webcrypto is that API.
type X509Crypto = Parameters<typeof X509.X509CertificateGenerator.create>[1];
const crypto = webcrypto;
const x509Crypto = webcrypto as unknown as X509Crypto;
const EC: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
/** Certificates start this far in the past so that API servers with a slow clock accept them at once. */
export const DEFAULT_BACKDATE_MS = 5 * 60_000;

export interface KeyPairPem {
  certPem: string;
  /** PKCS#8 PEM ("PRIVATE KEY"). */
  keyPem: string;
}

export interface CaOptions {
  now: Date;
  validityMs: number;
  commonName?: string;
  backdateMs?: number;
}

export interface ServingOptions {
  ca: KeyPairPem;
  /** e.g. `fixops-webhook.fixops-system.svc`, `fixops-webhook.fixops-system.svc.cluster.local`. */
  dnsNames: readonly string[];
  /** e.g. `127.0.0.1` for out-of-cluster registration by URL. */
  ipAddresses?: readonly string[];
  now: Date;
  validityMs: number;
  backdateMs?: number;
}

export interface CertificateInfo {
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  dnsNames: string[];
  ipAddresses: string[];
  isCa: boolean;
  /** SHA-256 fingerprint, colon-separated hex (as node prints it). */
  fingerprint: string;
}

// @peculiar/x509 is CommonJS and pulls in tsyringe, which checks for Reflect metadata when it is
// evaluated. A static import would let a loader (Jest's ESM runtime does) evaluate it before the
// polyfill above, so it is loaded on first use instead.
let x509Module: Promise<typeof X509> | undefined;
function loadX509(): Promise<typeof X509> {
  x509Module ??= import("@peculiar/x509");
  return x509Module;
}

/** PEM blocks end with a newline, so that bundles concatenate and re-split to the same text. */
function withNewline(pem: string): string {
  return pem.endsWith("\n") ? pem : `${pem}\n`;
}

function serial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01; // positive and never zero (RFC 5280 §4.1.2.2)
  return b.toString("hex");
}

async function newKeys(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(EC, true, ["sign", "verify"]);
}

async function keyPem(key: CryptoKey): Promise<string> {
  const x509 = await loadX509();
  const der = await crypto.subtle.exportKey("pkcs8", key);
  return withNewline(x509.PemConverter.encode(der, "PRIVATE KEY"));
}

async function importSigningKey(pem: string): Promise<{ privateKey: CryptoKey; publicKey: CryptoKey }> {
  // Re-encode through node:crypto so that SEC1 ("EC PRIVATE KEY") PEM from cert-manager-style
  // Secrets is accepted too.
  const ko = createPrivateKey(pem);
  if (ko.asymmetricKeyType !== "ec" || ko.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    throw new Error("the CA key must be an ECDSA P-256 key");
  }
  const pkcs8 = ko.export({ type: "pkcs8", format: "der" });
  // createPublicKey derives the public half from a private key.
  const spki = createPublicKey(pem).export({ type: "spki", format: "der" });
  const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, EC, false, ["sign"]);
  const publicKey = await crypto.subtle.importKey("spki", spki, EC, true, ["verify"]);
  return { privateKey, publicKey };
}

export async function createCertificateAuthority(opts: CaOptions): Promise<KeyPairPem> {
  const x509 = await loadX509();
  const keys = await newKeys();
  const sn = serial();
  const notBefore = new Date(opts.now.getTime() - (opts.backdateMs ?? DEFAULT_BACKDATE_MS));
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: sn,
      // A distinct subject per CA keeps old and new CA apart while both sit in the caBundle.
      name: `CN=${opts.commonName ?? "fixops-admission-ca"}-${sn.slice(0, 8)}, O=fixops.io`,
      notBefore,
      notAfter: new Date(opts.now.getTime() + opts.validityMs),
      signingAlgorithm: EC,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, x509Crypto),
      ],
    },
    x509Crypto,
  );
  return { certPem: withNewline(cert.toString("pem")), keyPem: await keyPem(keys.privateKey) };
}

export async function issueServingCertificate(opts: ServingOptions): Promise<KeyPairPem> {
  const dnsNames = [...opts.dnsNames];
  const ips = [...(opts.ipAddresses ?? [])];
  if (dnsNames.length === 0 && ips.length === 0) throw new Error("a serving certificate needs at least one DNS name or IP address");
  for (const ip of ips) if (isIP(ip) === 0) throw new Error(`not an IP address: ${JSON.stringify(ip)}`);
  const x509 = await loadX509();
  const caCert = new x509.X509Certificate(opts.ca.certPem);
  const signer = await importSigningKey(opts.ca.keyPem);
  const leafKeys = await newKeys();
  const notBefore = new Date(opts.now.getTime() - (opts.backdateMs ?? DEFAULT_BACKDATE_MS));
  // A certificate must not outlive its issuer: clients would reject the chain after the CA expires.
  const notAfter = new Date(Math.min(opts.now.getTime() + opts.validityMs, caCert.notAfter.getTime()));
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serial(),
      subject: `CN=${dnsNames[0] ?? ips[0]}`,
      issuer: caCert.subject,
      notBefore,
      notAfter,
      signingAlgorithm: EC,
      publicKey: leafKeys.publicKey,
      signingKey: signer.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
        // Go ≥ 1.15 (the API server) ignores the CN: the names must be in the SAN.
        new x509.SubjectAlternativeNameExtension([...dnsNames.map((value) => ({ type: "dns" as const, value })), ...ips.map((value) => ({ type: "ip" as const, value }))], false),
        await x509.SubjectKeyIdentifierExtension.create(leafKeys.publicKey, false, x509Crypto),
        await x509.AuthorityKeyIdentifierExtension.create(signer.publicKey, false, x509Crypto),
      ],
    },
    x509Crypto,
  );
  return { certPem: withNewline(cert.toString("pem")), keyPem: await keyPem(leafKeys.privateKey) };
}

/** The certificates in a PEM bundle, in order. */
export function splitPemCertificates(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((c) => `${c}\n`) ?? [];
}

export function inspectCertificate(pem: string): CertificateInfo {
  const c = new NodeX509(pem);
  const san = c.subjectAltName ?? "";
  const names = san ? san.split(/,\s*/) : [];
  return {
    subject: c.subject,
    issuer: c.issuer,
    serialNumber: c.serialNumber,
    notBefore: new Date(c.validFrom),
    notAfter: new Date(c.validTo),
    dnsNames: names.filter((n) => n.startsWith("DNS:")).map((n) => n.slice(4)),
    ipAddresses: names.filter((n) => n.startsWith("IP Address:")).map((n) => n.slice(11)),
    isCa: c.ca,
    fingerprint: c.fingerprint256,
  };
}

/** True when `certPem` was signed by the CA in `caCertPem` (names and signature). */
export function isIssuedBy(certPem: string, caCertPem: string): boolean {
  const cert = new NodeX509(certPem);
  const ca = new NodeX509(caCertPem);
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
}

/** True when the private key belongs to the certificate. */
export function keyMatchesCertificate(keyPem: string, certPem: string): boolean {
  try {
    return new NodeX509(certPem).checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}
