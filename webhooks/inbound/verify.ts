// Authenticity checks for inbound ALM webhooks, each provider's own scheme, all in constant time over
// the raw body bytes. Pure: no I/O, `now` is a parameter. A failure says why (for metrics and logs), but
// the HTTP answer should not reveal more than "unauthorized".
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER } from "../../connectors/webhook.js";

export type InboundHeaders = Record<string, string | string[] | undefined>;

export type VerifyFailure = "not_configured" | "missing" | "malformed" | "unsupported_method" | "mismatch" | "stale";
export type VerifyResult = { ok: true } | { ok: false; reason: VerifyFailure; message: string };

const OK: VerifyResult = { ok: true };
const fail = (reason: VerifyFailure, message: string): VerifyResult => ({ ok: false, reason, message });

/** One header value; a header repeated (array) is ambiguous and treated as malformed. */
export function singleHeader(headers: InboundHeaders, name: string): { value?: string; duplicated: boolean } {
  const v = headers[name.toLowerCase()];
  if (Array.isArray(v)) return v.length === 1 ? { value: v[0], duplicated: false } : { duplicated: true };
  return { value: v, duplicated: false };
}

/** Equality of two secrets in constant time whatever their lengths (both are hashed to 32 bytes first). */
export function constantTimeEquals(a: string | Buffer, b: string | Buffer): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  // Hashing first gives equal-length inputs, so neither the length nor the first differing byte leaks.
  return timingSafeEqual(ha, hb);
}

/** Verifies "<method>=<hex>" against HMAC(secret, body) with the given algorithm. */
function verifyHexHmac(value: string, method: "sha256", secret: string, signed: (string | Buffer)[]): VerifyResult {
  const eq = value.indexOf("=");
  if (eq < 0) return fail("malformed", "signature has no method prefix");
  const m = value.slice(0, eq).toLowerCase();
  if (m !== method) return fail("unsupported_method", `signature method ${m.slice(0, 16)} is not accepted (only ${method})`);
  const hex = value.slice(eq + 1);
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return fail("malformed", "signature is not 64 hex digits");
  const mac = createHmac(method, secret);
  for (const part of signed) mac.update(part);
  const expected = mac.digest();
  return timingSafeEqual(expected, Buffer.from(hex, "hex")) ? OK : fail("mismatch", "signature does not match the body");
}

function hmacHeader(headers: InboundHeaders, header: string, secret: string, signed: (string | Buffer)[]): VerifyResult {
  if (!secret) return fail("not_configured", "no webhook secret configured");
  const { value, duplicated } = singleHeader(headers, header);
  if (duplicated) return fail("malformed", `${header} given more than once`);
  if (!value) return fail("missing", `${header} header missing`);
  return verifyHexHmac(value.trim(), "sha256", secret, signed);
}

/** GitHub: X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>. */
export function verifyGitHub(headers: InboundHeaders, rawBody: Buffer, secret: string): VerifyResult {
  return hmacHeader(headers, "x-hub-signature-256", secret, [rawBody]);
}

/** Jira admin webhooks: X-Hub-Signature: sha256=<hex> (WebSub format; any other method is refused). */
export function verifyJira(headers: InboundHeaders, rawBody: Buffer, secret: string): VerifyResult {
  return hmacHeader(headers, "x-hub-signature", secret, [rawBody]);
}

/** GitLab: the secret token is sent verbatim in X-Gitlab-Token. */
export function verifyGitLab(headers: InboundHeaders, token: string): VerifyResult {
  if (!token) return fail("not_configured", "no webhook token configured");
  const { value, duplicated } = singleHeader(headers, "x-gitlab-token");
  if (duplicated) return fail("malformed", "x-gitlab-token given more than once");
  if (!value) return fail("missing", "x-gitlab-token header missing");
  return constantTimeEquals(value, token) ? OK : fail("mismatch", "x-gitlab-token does not match");
}

/** HTTP Basic: Azure DevOps service hooks and ServiceNow REST messages. `username` undefined = any user. */
export function verifyBasicAuth(headers: InboundHeaders, expected: { username?: string; password: string }): VerifyResult {
  if (!expected.password) return fail("not_configured", "no webhook password configured");
  const { value, duplicated } = singleHeader(headers, "authorization");
  if (duplicated) return fail("malformed", "authorization given more than once");
  if (!value) return fail("missing", "authorization header missing");
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(value);
  if (!m) return fail("malformed", "authorization is not Basic");
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  const i = decoded.indexOf(":");
  if (i < 0) return fail("malformed", "Basic credentials have no colon");
  const userOk = expected.username === undefined ? true : constantTimeEquals(decoded.slice(0, i), expected.username);
  const passOk = constantTimeEquals(decoded.slice(i + 1), expected.password);
  return userOk && passOk ? OK : fail("mismatch", "Basic credentials do not match");
}

/** ServiceNow outbound REST: Basic auth, or a shared-secret header, whichever the admin configured. */
export function verifyServiceNow(headers: InboundHeaders, expected: { basic?: { username?: string; password: string }; header?: { name: string; value: string } }): VerifyResult {
  if (expected.header) {
    const { value, duplicated } = singleHeader(headers, expected.header.name);
    if (duplicated) return fail("malformed", `${expected.header.name} given more than once`);
    if (value !== undefined) return constantTimeEquals(value, expected.header.value) ? OK : fail("mismatch", `${expected.header.name} does not match`);
    if (!expected.basic) return fail("missing", `${expected.header.name} header missing`);
  }
  if (expected.basic) return verifyBasicAuth(headers, expected.basic);
  return fail("not_configured", "no ServiceNow webhook credentials configured");
}

/**
 * Generic signed webhooks (FixOps' own scheme, connectors/webhook.ts): X-FixOps-Signature:
 * sha256=HMAC(secret, "<timestamp>.<raw body>") with X-FixOps-Timestamp (Unix seconds) within tolerance.
 */
export function verifyGenericHmac(headers: InboundHeaders, rawBody: Buffer, secret: string, now: Date, toleranceMs = 5 * 60_000): VerifyResult {
  const ts = singleHeader(headers, WEBHOOK_TIMESTAMP_HEADER);
  if (ts.duplicated) return fail("malformed", `${WEBHOOK_TIMESTAMP_HEADER} given more than once`);
  if (!ts.value) return fail("missing", `${WEBHOOK_TIMESTAMP_HEADER} header missing`);
  if (!/^\d{1,12}$/.test(ts.value)) return fail("malformed", `${WEBHOOK_TIMESTAMP_HEADER} is not Unix seconds`);
  const result = hmacHeader(headers, WEBHOOK_SIGNATURE_HEADER, secret, [`${ts.value}.`, rawBody]);
  if (!result.ok) return result;
  // Checked after the signature, so only authentic timestamps are judged.
  if (Math.abs(now.getTime() - Number(ts.value) * 1000) > toleranceMs) return fail("stale", "timestamp outside the allowed window");
  return OK;
}

/** How an Integration's single inbound secret is used by each provider. */
export type InboundAuth =
  | { provider: "github"; secret: string }
  | { provider: "jira"; secret: string }
  | { provider: "gitlab"; token: string }
  | { provider: "azuredevops"; username?: string; password: string }
  | { provider: "servicenow"; basic?: { username?: string; password: string }; header?: { name: string; value: string } }
  | { provider: "webhook"; secret: string; toleranceMs?: number };

export type InboundProvider = InboundAuth["provider"];

/** Header ServiceNow business rules can use instead of Basic auth. */
export const SERVICENOW_SECRET_HEADER = "x-fixops-secret";

/** Builds the verification config from the one secret value the Integration's inbound.secretRef holds. */
export function inboundAuthFromSecret(provider: InboundProvider, secret: string): InboundAuth {
  switch (provider) {
    case "github":
    case "jira":
    case "webhook":
      return { provider, secret };
    case "gitlab":
      return { provider, token: secret };
    case "azuredevops":
      return { provider, password: secret };
    case "servicenow":
      return { provider, basic: { password: secret }, header: { name: SERVICENOW_SECRET_HEADER, value: secret } };
  }
}

export function verifyInbound(auth: InboundAuth, headers: InboundHeaders, rawBody: Buffer, now: Date): VerifyResult {
  switch (auth.provider) {
    case "github":
      return verifyGitHub(headers, rawBody, auth.secret);
    case "jira":
      return verifyJira(headers, rawBody, auth.secret);
    case "gitlab":
      return verifyGitLab(headers, auth.token);
    case "azuredevops":
      return verifyBasicAuth(headers, { ...(auth.username !== undefined ? { username: auth.username } : {}), password: auth.password });
    case "servicenow":
      return verifyServiceNow(headers, auth);
    case "webhook":
      return verifyGenericHmac(headers, rawBody, auth.secret, now, auth.toleranceMs);
  }
}
