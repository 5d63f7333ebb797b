// Test-only helpers: loopback certificates and a small HTTPS client that trusts a given CA bundle.
import { Agent, request } from "node:https";
import { createCertificateAuthority, issueServingCertificate, type KeyPairPem } from "../tls/certificates.js";

export interface LoopbackTls {
  ca: KeyPairPem;
  serving: KeyPairPem;
}

export async function loopbackTls(now = new Date()): Promise<LoopbackTls> {
  const ca = await createCertificateAuthority({ now, validityMs: 3_600_000 });
  const serving = await issueServingCertificate({ ca, dnsNames: ["fixops-webhook.fixops-system.svc"], ipAddresses: ["127.0.0.1"], now, validityMs: 3_600_000 });
  return { ca, serving };
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): unknown;
  /** SHA-256 fingerprint of the server certificate of the connection. */
  peerFingerprint: string;
}

export interface SendOptions {
  method?: string;
  path: string;
  body?: string | Buffer;
  headers?: Record<string, string | number>;
  /** Sent with chunked encoding (no Content-Length). */
  chunked?: boolean;
  agent?: Agent | false;
  ca: string;
  timeoutMs?: number;
}

export function send(port: number, o: SendOptions): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: o.method ?? "POST",
        path: o.path,
        ca: o.ca,
        agent: o.agent ?? false,
        headers: { "content-type": "application/json", ...(o.headers ?? {}) },
        timeout: o.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        const tls = res.socket as unknown as { getPeerCertificate(): { fingerprint256?: string } };
        const peerFingerprint = tls.getPeerCertificate().fingerprint256 ?? "";
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as unknown, peerFingerprint });
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error("client timeout")));
    req.on("error", reject);
    if (o.body === undefined) req.end();
    else if (o.chunked) {
      const buf = Buffer.isBuffer(o.body) ? o.body : Buffer.from(o.body);
      // Several writes force chunked transfer encoding.
      for (let i = 0; i < buf.length; i += 64 * 1024) req.write(buf.subarray(i, i + 64 * 1024));
      req.end();
    } else {
      const buf = Buffer.isBuffer(o.body) ? o.body : Buffer.from(o.body);
      req.setHeader("content-length", buf.length);
      req.end(buf);
    }
  });
}
