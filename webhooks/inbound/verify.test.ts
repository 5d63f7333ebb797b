import { createHmac } from "node:crypto";
import { describe, expect, it } from "@jest/globals";
import { signWebhook } from "../../connectors/webhook.js";
import {
  constantTimeEquals,
  inboundAuthFromSecret,
  verifyBasicAuth,
  verifyGenericHmac,
  verifyGitHub,
  verifyGitLab,
  verifyInbound,
  verifyJira,
  verifyServiceNow,
  type InboundHeaders,
} from "./verify.js";

const SECRET = "It's a Secret to Everybody";
// GitHub's documented test vector for X-Hub-Signature-256.
const GH_BODY = Buffer.from("Hello, World!");
const GH_SIG = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
const sign = (body: Buffer, secret = SECRET) => "sha256=" + createHmac("sha256", secret).update(body).digest("hex");
const basic = (u: string, p: string) => "Basic " + Buffer.from(`${u}:${p}`).toString("base64");

describe("HMAC schemes (GitHub X-Hub-Signature-256, Jira X-Hub-Signature)", () => {
  it("accepts GitHub's documented test vector", () => {
    expect(verifyGitHub({ "x-hub-signature-256": GH_SIG }, GH_BODY, SECRET)).toEqual({ ok: true });
  });

  it.each<[string, InboundHeaders, Buffer, string]>([
    ["missing header", {}, GH_BODY, "missing"],
    ["wrong secret", { "x-hub-signature-256": sign(GH_BODY, "other") }, GH_BODY, "mismatch"],
    ["tampered body", { "x-hub-signature-256": GH_SIG }, Buffer.from("Hello, World?"), "mismatch"],
    ["no method prefix", { "x-hub-signature-256": GH_SIG.slice(7) }, GH_BODY, "malformed"],
    ["short hex", { "x-hub-signature-256": GH_SIG.slice(0, -2) }, GH_BODY, "malformed"],
    ["non-hex", { "x-hub-signature-256": "sha256=" + "z".repeat(64) }, GH_BODY, "malformed"],
    ["sha1 method", { "x-hub-signature-256": "sha1=" + createHmac("sha1", SECRET).update(GH_BODY).digest("hex") }, GH_BODY, "unsupported_method"],
    ["header twice", { "x-hub-signature-256": [GH_SIG, GH_SIG] }, GH_BODY, "malformed"],
  ])("GitHub rejects %s", (_name, headers, body, reason) => {
    expect(verifyGitHub(headers, body, SECRET)).toMatchObject({ ok: false, reason });
  });

  it("refuses to verify without a configured secret", () => {
    expect(verifyGitHub({ "x-hub-signature-256": sign(GH_BODY, "") }, GH_BODY, "")).toMatchObject({ ok: false, reason: "not_configured" });
  });

  it("Jira uses X-Hub-Signature with sha256 only", () => {
    const body = Buffer.from('{"webhookEvent":"jira:issue_updated"}');
    expect(verifyJira({ "x-hub-signature": sign(body) }, body, SECRET)).toEqual({ ok: true });
    expect(verifyJira({ "x-hub-signature": sign(body).toUpperCase().replace("SHA256=", "sha256=") }, body, SECRET)).toEqual({ ok: true });
    expect(verifyJira({ "x-hub-signature-256": sign(body) }, body, SECRET)).toMatchObject({ ok: false, reason: "missing" });
    expect(verifyJira({ "x-hub-signature": "sha512=" + "a".repeat(128) }, body, SECRET)).toMatchObject({ ok: false, reason: "unsupported_method" });
  });
});

describe("token and Basic schemes", () => {
  it("GitLab compares X-Gitlab-Token exactly", () => {
    expect(verifyGitLab({ "x-gitlab-token": "tok-123" }, "tok-123")).toEqual({ ok: true });
    expect(verifyGitLab({ "x-gitlab-token": "tok-1234" }, "tok-123")).toMatchObject({ reason: "mismatch" });
    expect(verifyGitLab({ "x-gitlab-token": "tok-12" }, "tok-123")).toMatchObject({ reason: "mismatch" });
    expect(verifyGitLab({}, "tok-123")).toMatchObject({ reason: "missing" });
  });

  it("Basic auth checks the password and, when configured, the user", () => {
    expect(verifyBasicAuth({ authorization: basic("", "pw") }, { password: "pw" })).toEqual({ ok: true });
    expect(verifyBasicAuth({ authorization: basic("anyone", "pw") }, { password: "pw" })).toEqual({ ok: true });
    expect(verifyBasicAuth({ authorization: basic("anyone", "pw") }, { username: "hook", password: "pw" })).toMatchObject({ reason: "mismatch" });
    expect(verifyBasicAuth({ authorization: basic("hook", "nope") }, { username: "hook", password: "pw" })).toMatchObject({ reason: "mismatch" });
    expect(verifyBasicAuth({ authorization: "Bearer pw" }, { password: "pw" })).toMatchObject({ reason: "malformed" });
    expect(verifyBasicAuth({ authorization: "Basic " + Buffer.from("nocolon").toString("base64") }, { password: "pw" })).toMatchObject({ reason: "malformed" });
  });

  it("ServiceNow accepts either the shared-secret header or Basic", () => {
    const auth = inboundAuthFromSecret("servicenow", "sn-secret");
    expect(verifyInbound(auth, { "x-fixops-secret": "sn-secret" }, Buffer.alloc(0), new Date())).toEqual({ ok: true });
    expect(verifyInbound(auth, { authorization: basic("integration", "sn-secret") }, Buffer.alloc(0), new Date())).toEqual({ ok: true });
    expect(verifyInbound(auth, { "x-fixops-secret": "wrong" }, Buffer.alloc(0), new Date())).toMatchObject({ reason: "mismatch" });
    expect(verifyInbound(auth, {}, Buffer.alloc(0), new Date())).toMatchObject({ reason: "missing" });
    expect(verifyServiceNow({}, {})).toMatchObject({ reason: "not_configured" });
  });

  it("compares secrets of any length in constant time without throwing", () => {
    expect(constantTimeEquals("a", "a")).toBe(true);
    expect(constantTimeEquals("a", "ab")).toBe(false);
    expect(constantTimeEquals("", "x".repeat(10_000))).toBe(false);
  });
});

describe("generic signed webhook (timestamp + body)", () => {
  const now = new Date("2030-01-01T00:00:00Z");
  const ts = now.getTime() / 1000;
  const body = Buffer.from('{"ticketKey":"1","state":"closed","category":"done"}');
  const headers = (t: number, sig = signWebhook("whsec", t, body)) => ({ "x-fixops-timestamp": String(t), "x-fixops-signature": sig });

  it("accepts a fresh, correctly signed delivery", () => {
    expect(verifyGenericHmac(headers(ts), body, "whsec", now)).toEqual({ ok: true });
  });
  it("rejects a replayed old delivery even with a valid signature", () => {
    expect(verifyGenericHmac(headers(ts - 3600), body, "whsec", now)).toMatchObject({ reason: "stale" });
  });
  it("rejects a timestamp changed after signing", () => {
    expect(verifyGenericHmac(headers(ts + 1, signWebhook("whsec", ts, body)), body, "whsec", now)).toMatchObject({ reason: "mismatch" });
  });
  it("rejects missing or non-numeric timestamps", () => {
    expect(verifyGenericHmac({ "x-fixops-signature": signWebhook("whsec", ts, body) }, body, "whsec", now)).toMatchObject({ reason: "missing" });
    expect(verifyGenericHmac({ ...headers(ts), "x-fixops-timestamp": "soon" }, body, "whsec", now)).toMatchObject({ reason: "malformed" });
  });
});
