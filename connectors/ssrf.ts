// SSRF guard. Integration URLs come from tenants, so the operator must not be turned into a proxy to the
// cloud metadata service or to in-cluster addresses. The check runs inside undici's connect step on the
// very address the socket is opened to (we resolve once and connect to that IP), so a DNS answer that
// changes between a pre-check and the connection (rebinding) cannot bypass it. Refusal happens before any
// socket exists.
import dns from "node:dns";
import net from "node:net";
import { Agent, buildConnector } from "undici";
import { SsrfBlockedError, type Provider } from "./errors.js";

export interface NetworkPolicy {
  allowPrivateAddresses: boolean;
  allowLinkLocal: boolean;
}

export const DEFAULT_NETWORK_POLICY: NetworkPolicy = { allowPrivateAddresses: false, allowLinkLocal: false };

export type AddressClass = "public" | "loopback" | "private" | "cgnat" | "ula" | "link-local" | "metadata" | "reserved";

export type Resolver = (hostname: string) => Promise<string[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await dns.promises.lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

type Cidr = { bytes: number[]; prefix: number; cls: AddressClass };

function cidr(spec: string, cls: AddressClass): Cidr {
  const [addr, prefix] = spec.split("/") as [string, string];
  const bytes = parseIp(addr);
  if (!bytes) throw new Error(`bad CIDR ${spec}`);
  return { bytes, prefix: Number(prefix), cls };
}

// Order matters: the first match wins, so the metadata hosts are listed before the wider ranges holding them.
const V4_RANGES: Cidr[] = [
  cidr("100.100.100.200/32", "metadata"), // Alibaba Cloud metadata (inside CGNAT space)
  cidr("169.254.0.0/16", "link-local"), // includes 169.254.169.254 (AWS/GCP/Azure/OCI metadata)
  cidr("0.0.0.0/8", "loopback"), // connecting to 0.0.0.0 reaches the local host on Linux
  cidr("127.0.0.0/8", "loopback"),
  cidr("10.0.0.0/8", "private"),
  cidr("172.16.0.0/12", "private"),
  cidr("192.168.0.0/16", "private"),
  cidr("100.64.0.0/10", "cgnat"),
  cidr("224.0.0.0/4", "reserved"), // multicast
  cidr("240.0.0.0/4", "reserved"), // reserved + broadcast
];

const V6_RANGES: Cidr[] = [
  cidr("fd00:ec2::254/128", "metadata"), // AWS IMDS over IPv6 (inside ULA space)
  cidr("fe80::/10", "link-local"),
  cidr("::1/128", "loopback"),
  cidr("::/128", "loopback"), // unspecified; behaves like loopback when connected to
  cidr("fc00::/7", "ula"),
  cidr("ff00::/8", "reserved"), // multicast
];

/** Parse an IPv4 or IPv6 literal to bytes (4 or 16), or undefined. */
export function parseIp(ip: string): number[] | undefined {
  const kind = net.isIP(ip);
  if (kind === 4) return ip.split(".").map(Number);
  if (kind !== 6) return undefined;
  let s = ip.toLowerCase();
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  // An embedded dotted IPv4 tail becomes two hex groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split(".").map(Number) as [number, number, number, number];
    s = s.slice(0, dotted.index) + ((a << 8) | b).toString(16) + ":" + ((c << 8) | d).toString(16);
  }
  const [head, tail] = s.includes("::") ? (s.split("::") as [string, string]) : [s, undefined];
  const headGroups = head ? head.split(":") : [];
  const tailGroups = tail ? tail.split(":") : [];
  const fill = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(fill).fill("0"), ...tailGroups].map((g) => parseInt(g, 16));
  if (groups.length !== 8 || groups.some((g) => Number.isNaN(g))) return undefined;
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

function inRange(bytes: number[], range: Cidr): boolean {
  if (bytes.length !== range.bytes.length) return false;
  let bits = range.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((bytes[i]! & mask) !== (range.bytes[i]! & mask)) return false;
  }
  return true;
}

/** IPv4 addresses carried inside IPv6 forms that end up reaching that IPv4 host. */
function embeddedV4(b: number[]): number[] | undefined {
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return b.slice(12); // ::ffff:a.b.c.d (mapped)
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return b.slice(12); // 64:ff9b::/96 NAT64
  if (b[0] === 0x20 && b[1] === 0x02) return b.slice(2, 6); // 2002::/16 6to4
  if (zeros(0, 12) && !zeros(12, 16) && !(zeros(12, 15) && b[15] === 1)) return b.slice(12); // ::a.b.c.d (compatible)
  return undefined;
}

export function classifyAddress(ip: string): AddressClass {
  const bytes = parseIp(ip);
  if (!bytes) return "reserved";
  if (bytes.length === 16) {
    const v4 = embeddedV4(bytes);
    if (v4) {
      const c = classifyBytes(v4, V4_RANGES);
      if (c !== "public") return c;
    }
    return classifyBytes(bytes, V6_RANGES);
  }
  return classifyBytes(bytes, V4_RANGES);
}

function classifyBytes(bytes: number[], ranges: Cidr[]): AddressClass {
  return ranges.find((r) => inRange(bytes, r))?.cls ?? "public";
}

export function isAddressAllowed(ip: string, policy: NetworkPolicy): { ok: true } | { ok: false; addressClass: AddressClass } {
  const cls = classifyAddress(ip);
  switch (cls) {
    case "public":
      return { ok: true };
    case "link-local":
    case "metadata":
      return policy.allowLinkLocal ? { ok: true } : { ok: false, addressClass: cls };
    case "loopback":
    case "private":
    case "cgnat":
    case "ula":
      return policy.allowPrivateAddresses ? { ok: true } : { ok: false, addressClass: cls };
    case "reserved":
      return { ok: false, addressClass: cls };
  }
}

function stripBrackets(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/**
 * Synchronous URL check for spec validation: scheme http/https, no credentials in the URL, and an
 * IP-literal host must be allowed. Hostnames are checked at connect time. Returns a problem or undefined.
 */
export function checkUrlSyntax(raw: string, policy: NetworkPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "not a valid absolute URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `scheme ${url.protocol.replace(/:$/, "")} is not allowed (http or https only)`;
  if (url.username || url.password) return "credentials in the URL are not allowed; use the credentials Secret";
  const host = stripBrackets(url.hostname);
  if (net.isIP(host)) {
    const verdict = isAddressAllowed(host, policy);
    if (!verdict.ok) return `${verdict.addressClass} address ${host} is not allowed by spec.network`;
  }
  return undefined;
}

/** Full check including DNS resolution (every resolved address must be allowed). */
export async function checkUrl(raw: string, policy: NetworkPolicy, resolve: Resolver = systemResolver): Promise<string | undefined> {
  const syntax = checkUrlSyntax(raw, policy);
  if (syntax) return syntax;
  const host = stripBrackets(new URL(raw).hostname);
  if (net.isIP(host)) return undefined;
  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch (err) {
    return `cannot resolve ${host}: ${(err as NodeJS.ErrnoException).code ?? "lookup failed"}`;
  }
  for (const a of addresses) {
    const verdict = isAddressAllowed(a, policy);
    if (!verdict.ok) return `${host} resolves to ${verdict.addressClass} address ${a}, not allowed by spec.network`;
  }
  return addresses.length === 0 ? `${host} has no addresses` : undefined;
}

export interface GuardOptions {
  resolve?: Resolver;
  /** The connector that really opens sockets; injectable so tests can prove it is never reached. */
  connect?: buildConnector.connector;
  connectTimeoutMs?: number;
  provider?: Provider;
}

/** An undici connector that resolves, checks and then connects to the checked IP only. */
export function guardedConnector(policy: NetworkPolicy, opts: GuardOptions = {}): buildConnector.connector {
  const resolve = opts.resolve ?? systemResolver;
  const base = opts.connect ?? buildConnector({ timeout: opts.connectTimeoutMs ?? 10_000 });
  const provider = opts.provider ?? "webhook";
  return (options, callback) => {
    if (options.protocol !== "http:" && options.protocol !== "https:") {
      callback(new SsrfBlockedError(options.hostname, "-", `scheme ${options.protocol}`, provider), null);
      return;
    }
    const host = stripBrackets(options.hostname);
    const addresses: Promise<string[]> = net.isIP(host) ? Promise.resolve([host]) : resolve(host);
    addresses.then(
      (list) => {
        if (list.length === 0) {
          callback(Object.assign(new Error(`no addresses for ${host}`), { code: "ENOTFOUND" }), null);
          return;
        }
        // All answers must pass: an attacker-controlled zone could otherwise mix a private address in.
        for (const address of list) {
          const verdict = isAddressAllowed(address, policy);
          if (!verdict.ok) {
            callback(new SsrfBlockedError(host, address, verdict.addressClass, provider), null);
            return;
          }
        }
        const address = list[0]!;
        // `host` keeps the original name so TLS SNI and certificate checks use it, not the IP.
        base({ ...options, hostname: address }, (err, socket) => {
          if (err) return callback(err, null);
          const remote = socket.remoteAddress;
          if (remote && !isAddressAllowed(remote, policy).ok) {
            socket.destroy();
            return callback(new SsrfBlockedError(host, remote, classifyAddress(remote), provider), null);
          }
          callback(null, socket);
        });
      },
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), null),
    );
  };
}

/** An Agent whose every connection goes through the guard. */
export function createGuardedAgent(policy: NetworkPolicy, opts: GuardOptions = {}): Agent {
  return new Agent({ connect: guardedConnector(policy, opts) });
}
