/**
 * Which proxies may speak for the client, and how to find the client's address behind them.
 *
 * `X-Forwarded-For` is a list each proxy appends to: `client, proxy1, proxy2`, and the socket peer
 * is the last proxy. Only the entries written by proxies we trust mean anything; everything left of
 * them is whatever the client chose to send. So the address is read from the right: skip the
 * trusted hops (the socket peer counts as the first), the next one is the client.
 */
export type TrustProxy = { hops: number } | { networks: Network[] };

/** An IPv4 or IPv6 network (a single address is a /32 or /128). */
export type Network = { family: 4 | 6; base: bigint; bits: number };

/** Parses a dotted IPv4 or an IPv6 address (IPv4-mapped IPv6 is read as IPv4). */
export function parseIp(input: string): { family: 4 | 6; value: bigint } | null {
  let s = input.trim();
  if (s.startsWith("[") && s.endsWith("]")) s = s.slice(1, -1);
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  const v4 = parseV4(s);
  if (v4 !== null) return { family: 4, value: v4 };
  const v6 = parseV6(s);
  if (v6 === null) return null;
  // ::ffff:a.b.c.d is how a dual-stack socket reports an IPv4 peer.
  if (v6 >> 32n === 0xffffn) return { family: 4, value: v6 & 0xffffffffn };
  return { family: 6, value: v6 };
}

function parseV4(s: string): bigint | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    v = (v << 8n) | BigInt(Number(p));
  }
  return v;
}

function parseV6(input: string): bigint | null {
  let s = input;
  if (!/^[0-9A-Fa-f:.]+$/.test(s) || s.length > 45) return null;
  if (s.includes(".")) {
    // An embedded IPv4 tail (::ffff:1.2.3.4) becomes its two 16-bit groups.
    const lastColon = s.lastIndexOf(":");
    const v4 = parseV4(s.slice(lastColon + 1));
    if (lastColon < 0 || v4 === null) return null;
    s = `${s.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const group = (g: string) => (g === "" ? [] : g.split(":"));
  const head = group(halves[0]!);
  const rest = halves.length === 2 ? group(halves[1]!) : [];
  if ([...head, ...rest].some((g) => !/^[0-9A-Fa-f]{1,4}$/.test(g))) return null;
  const total = head.length + rest.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? 8 - total : 0).fill("0"), ...rest];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(`0x${g}`), 0n);
}

/** `10.0.0.0/8`, `fd00::/8` or a single address. */
export function parseNetwork(input: string): Network | null {
  const [addr, prefix, ...extra] = input.trim().split("/");
  if (extra.length || !addr) return null;
  const ip = parseIp(addr);
  if (!ip) return null;
  // A mapped IPv4 network given in IPv6 notation keeps its IPv4 meaning.
  const width = ip.family === 4 ? 32 : 128;
  let bits = width;
  if (prefix !== undefined) {
    if (!/^\d{1,3}$/.test(prefix)) return null;
    bits = Number(prefix) - (ip.family === 4 && addr.includes(":") ? 96 : 0);
    if (bits < 0 || bits > width) return null;
  }
  const mask = bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(width - bits);
  return { family: ip.family, base: ip.value & mask, bits };
}

function inNetwork(ip: { family: 4 | 6; value: bigint }, n: Network): boolean {
  if (ip.family !== n.family) return false;
  const width = n.family === 4 ? 32 : 128;
  const mask = n.bits === 0 ? 0n : ((1n << BigInt(n.bits)) - 1n) << BigInt(width - n.bits);
  return (ip.value & mask) === n.base;
}

/**
 * Reads the TRUST_PROXY setting: a number of hops (`0`, `1`, `2`...; `false` = 0 and `true` = 1 for
 * compatibility), or a comma list of trusted proxy addresses and networks (`10.0.0.0/8, 192.168.1.7`).
 * Returns an error message for anything else.
 */
export function parseTrustProxy(raw: string | undefined): TrustProxy | string {
  const v = (raw ?? "").trim();
  if (v === "" || v === "false") return { hops: 0 };
  if (v === "true") return { hops: 1 };
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    return hops <= 20 ? { hops } : "TRUST_PROXY: at most 20 proxy hops";
  }
  const networks: Network[] = [];
  for (const item of v.split(",")) {
    const n = parseNetwork(item);
    if (!n) return `TRUST_PROXY: "${item.trim()}" is neither a number of hops nor an IP address or CIDR network`;
    networks.push(n);
  }
  return { networks };
}

/**
 * The client's address: with `hops` trusted proxies, the socket peer and the rightmost `hops - 1`
 * entries of X-Forwarded-For are proxies and the entry left of them is the client; with a list, every
 * trusted address is skipped from the right and the first untrusted one is the client. When the
 * header is shorter than the trusted chain, the leftmost entry is all we have.
 */
export function clientAddress(forwardedFor: string | undefined, socket: string | undefined, trust: TrustProxy): string {
  const peer = socket || "unknown";
  const chain = [
    ...(forwardedFor ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    peer,
  ];
  if ("hops" in trust) {
    if (trust.hops === 0) return peer;
    return normalise(chain[Math.max(0, chain.length - 1 - trust.hops)]!);
  }
  for (let i = chain.length - 1; i >= 0; i--) {
    const ip = parseIp(chain[i]!);
    // Anything that is not an address (garbage, "unknown") cannot be a trusted proxy.
    if (!ip || !trust.networks.some((n) => inNetwork(ip, n))) return normalise(chain[i]!);
  }
  return normalise(chain[0]!);
}

/** One spelling per address, so rate-limit keys cannot be dodged with `::ffff:` or brackets. */
function normalise(entry: string): string {
  const ip = parseIp(entry);
  if (!ip) return entry.slice(0, 64);
  if (ip.family === 4) {
    const v = ip.value;
    return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join(".");
  }
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((ip.value >> s) & 0xffffn).toString(16));
  return groups.join(":");
}
