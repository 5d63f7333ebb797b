import http from "node:http";
import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Agent, request, type buildConnector } from "undici";
import type { IntegrationSpec } from "../api/v1alpha1/integration.js";
import { TEST_TIMEOUTS } from "../test/alm/ticket-contract.js";
import { SsrfBlockedError } from "./errors.js";
import { checkIntegrationUrl, createConnector } from "./index.js";
import { checkUrl, checkUrlSyntax, classifyAddress, guardedConnector, isAddressAllowed, type NetworkPolicy } from "./ssrf.js";

const STRICT: NetworkPolicy = { allowPrivateAddresses: false, allowLinkLocal: false };
const PRIVATE_OK: NetworkPolicy = { allowPrivateAddresses: true, allowLinkLocal: false };

describe("classifyAddress", () => {
  it.each([
    ["169.254.169.254", "link-local"],
    ["169.254.0.1", "link-local"],
    ["100.100.100.200", "metadata"],
    ["fd00:ec2::254", "metadata"],
    ["fe80::1", "link-local"],
    ["febf::1", "link-local"],
    ["127.0.0.1", "loopback"],
    ["127.8.9.10", "loopback"],
    ["0.0.0.0", "loopback"],
    ["::1", "loopback"],
    ["::", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "cgnat"],
    ["100.127.255.255", "cgnat"],
    ["fc00::1", "ula"],
    ["fd12:3456::1", "ula"],
    ["::ffff:169.254.169.254", "link-local"],
    ["::ffff:a9fe:a9fe", "link-local"],
    ["::ffff:127.0.0.1", "loopback"],
    ["64:ff9b::a9fe:a9fe", "link-local"],
    ["2002:a9fe:a9fe::1", "link-local"],
    ["224.0.0.1", "reserved"],
    ["255.255.255.255", "reserved"],
    ["ff02::1", "reserved"],
    ["8.8.8.8", "public"],
    ["172.32.0.1", "public"],
    ["100.128.0.1", "public"],
    ["2606:4700::1111", "public"],
    ["fec0::1", "public"],
    ["not-an-ip", "reserved"],
  ])("%s is %s", (ip, cls) => {
    expect(classifyAddress(ip)).toBe(cls);
  });

  it("allows private only with allowPrivateAddresses, link-local/metadata only with allowLinkLocal", () => {
    expect(isAddressAllowed("10.0.0.1", STRICT)).toEqual({ ok: false, addressClass: "private" });
    expect(isAddressAllowed("10.0.0.1", PRIVATE_OK)).toEqual({ ok: true });
    expect(isAddressAllowed("169.254.169.254", PRIVATE_OK)).toEqual({ ok: false, addressClass: "link-local" });
    expect(isAddressAllowed("100.100.100.200", PRIVATE_OK)).toEqual({ ok: false, addressClass: "metadata" });
    expect(isAddressAllowed("169.254.169.254", { allowPrivateAddresses: false, allowLinkLocal: true })).toEqual({ ok: true });
    expect(isAddressAllowed("224.0.0.1", { allowPrivateAddresses: true, allowLinkLocal: true }).ok).toBe(false);
  });
});

describe("URL checks", () => {
  it("refuses non-http schemes, embedded credentials and forbidden IP literals", () => {
    expect(checkUrlSyntax("ftp://example.com/x", STRICT)).toContain("scheme ftp is not allowed");
    expect(checkUrlSyntax("file:///etc/passwd", STRICT)).toContain("scheme file");
    expect(checkUrlSyntax("https://u:p@example.com", STRICT)).toContain("credentials in the URL");
    expect(checkUrlSyntax("http://169.254.169.254/latest/meta-data", PRIVATE_OK)).toContain("link-local address 169.254.169.254");
    expect(checkUrlSyntax("http://[::1]:8080/", STRICT)).toContain("loopback address ::1");
    expect(checkUrlSyntax("not a url", STRICT)).toBe("not a valid absolute URL");
    expect(checkUrlSyntax("https://acme.atlassian.net", STRICT)).toBeUndefined();
  });

  it("resolves host names and refuses when any answer is forbidden", async () => {
    const resolve = async (h: string) => ({ "metadata.test": ["169.254.169.254"], "mixed.test": ["93.184.216.34", "10.0.0.5"], "ok.test": ["93.184.216.34"] })[h] ?? [];
    expect(await checkUrl("http://metadata.test/", STRICT, resolve)).toContain("resolves to link-local address 169.254.169.254");
    expect(await checkUrl("https://mixed.test/", STRICT, resolve)).toContain("private address 10.0.0.5");
    expect(await checkUrl("https://ok.test/", STRICT, resolve)).toBeUndefined();
    expect(await checkUrl("https://nothing.test/", STRICT, resolve)).toContain("has no addresses");
  });
});

describe("guarded connector (refuses before any socket exists)", () => {
  let server: http.Server;
  let port = 0;
  let connections = 0;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    server = http.createServer((_req, res) => res.end("hello"));
    server.on("connection", (s: Socket) => {
      connections++;
      sockets.add(s);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  /** A base connector that records what it was asked and never opens a socket. */
  function spyConnector() {
    const calls: buildConnector.Options[] = [];
    const connect: buildConnector.connector = (opts, cb) => {
      calls.push(opts);
      cb(Object.assign(new Error("spy: no network in this test"), { code: "ECONNREFUSED" }), null);
    };
    return { calls, connect };
  }

  it("refuses 169.254.169.254 without reaching the socket layer", async () => {
    const spy = spyConnector();
    const agent = new Agent({ connect: guardedConnector(STRICT, { connect: spy.connect }) });
    try {
      const err = await request("http://169.254.169.254/latest/meta-data/iam/", { dispatcher: agent }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SsrfBlockedError);
      expect((err as SsrfBlockedError).addressClass).toBe("link-local");
      expect(spy.calls).toHaveLength(0);
    } finally {
      await agent.close();
    }
  });

  it("refuses loopback when private addresses are not allowed: the listening server sees no connection", async () => {
    const agent = new Agent({ connect: guardedConnector(STRICT) });
    try {
      const before = connections;
      const err = await request(`http://127.0.0.1:${port}/`, { dispatcher: agent }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SsrfBlockedError);
      expect(connections).toBe(before);
    } finally {
      await agent.close();
    }
    // Positive control: the same server is reachable when the policy allows it.
    const allowed = new Agent({ connect: guardedConnector(PRIVATE_OK) });
    try {
      const res = await request(`http://127.0.0.1:${port}/`, { dispatcher: allowed });
      expect(await res.body.text()).toBe("hello");
    } finally {
      await allowed.close();
    }
  });

  it("connects to the address it checked, so a DNS answer that changes (rebinding) cannot slip through", async () => {
    const answers = [["93.184.216.34"], ["127.0.0.1"]];
    const resolve = async () => answers.shift() ?? [];
    const spy = spyConnector();
    const agent = new Agent({ connect: guardedConnector(STRICT, { connect: spy.connect, resolve }) });
    try {
      // First lookup is public: the base connector is asked for that IP, with the original host kept for TLS.
      await request("https://rebind.test/", { dispatcher: agent }).catch(() => undefined);
      expect(spy.calls).toHaveLength(1);
      expect(spy.calls[0]).toMatchObject({ hostname: "93.184.216.34", host: "rebind.test", protocol: "https:" });
      // Second lookup turns private: refused, and the base connector is not called again.
      const err = await request("https://rebind.test/", { dispatcher: agent }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SsrfBlockedError);
      expect(spy.calls).toHaveLength(1);
    } finally {
      await agent.close();
    }
  });

  it("guards every connector built by the factory according to spec.network", async () => {
    const spec = (network: IntegrationSpec["network"]): IntegrationSpec => ({
      type: "github",
      url: `http://127.0.0.1:${port}`,
      github: { owner: "acme", repo: "api" },
      syncInterval: "10m",
      ...(network ? { network } : {}),
    });
    const c = createConnector(spec(undefined), { token: "t0k3n-value" }, { timeouts: TEST_TIMEOUTS });
    try {
      const before = connections;
      const err = await c.checkCredentials().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SsrfBlockedError);
      expect((err as Error).message).toContain("loopback");
      expect(connections).toBe(before);
    } finally {
      await c.close();
    }
  });
});

describe("checkIntegrationUrl", () => {
  it("applies the Integration's network policy, defaulting to strict", () => {
    const base: IntegrationSpec = { type: "jira", url: "http://10.0.0.8", syncInterval: "10m" };
    expect(checkIntegrationUrl(base.url, base)).toContain("private address 10.0.0.8");
    expect(checkIntegrationUrl(base.url, { ...base, network: { allowPrivateAddresses: true, allowLinkLocal: false } })).toBeUndefined();
    expect(checkIntegrationUrl("http://169.254.169.254", { ...base, network: { allowPrivateAddresses: true, allowLinkLocal: false } })).toContain("link-local");
  });
});
