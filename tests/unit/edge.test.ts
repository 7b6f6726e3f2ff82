import { describe, expect, it } from "vitest";
import { clientAddress, parseIp, parseNetwork, parseTrustProxy } from "../../src/lib/proxy.ts";
import { safeNext } from "../../src/web/http.ts";
import { OPEN_REDIRECT_PAYLOADS, staysOn } from "../support/redirect-payloads.ts";

describe("safeNext (redirect targets)", () => {
  it("has a corpus of at least 30 known open-redirect payloads", () => {
    expect(OPEN_REDIRECT_PAYLOADS.length).toBeGreaterThanOrEqual(30);
  });

  it.each(OPEN_REDIRECT_PAYLOADS.map((p) => [JSON.stringify(p).slice(0, 60), p]))("%s stays on our origin", (_label, payload) => {
    const target = safeNext(payload, "/fallback");
    expect(staysOn("https://vouchers.example.gov.cn", target)).toBe(true);
    expect(staysOn("http://localhost:3000", target)).toBe(true);
  });

  it("refuses the payloads that would leave or that carry control characters or backslashes", () => {
    for (const p of [
      "//evil.example",
      "/\t/evil.example",
      "/\n/x",
      "/\\evil",
      "\\/evil",
      "https://evil.example",
      "https:evil.example",
      "http:/\\evil.example",
      "javascript:alert(1)",
      "data:text/html,x",
      "/.//evil",
      "/%2e%2e//evil",
      "//evil。example",
      "/\u2028/x",
      "/\u200b/x",
      "/\u202e/x",
      "/\u0085/x",
    ]) {
      expect(safeNext(p, "/fallback"), JSON.stringify(p)).toBe("/fallback");
    }
  });

  it("keeps same-site targets, normalised and percent-encoded", () => {
    expect(safeNext("/me", "/x")).toBe("/me");
    expect(safeNext("/me/password?method=sms#top", "/x")).toBe("/me/password?method=sms#top");
    expect(safeNext("/services?q=机床", "/x")).toBe("/services?q=%E6%9C%BA%E5%BA%8A");
    expect(safeNext("/%2F%2Fevil.example", "/x")).toBe("/%2F%2Fevil.example");
    expect(safeNext("/a/../me", "/x")).toBe("/me");
    expect(safeNext("／／evil.example", "/x")).toBe("/%EF%BC%8F%EF%BC%8Fevil.example");
    expect(safeNext(undefined, "/x")).toBe("/x");
    expect(safeNext("", "/x")).toBe("/x");
  });
});

describe("client address behind proxies (TRUST_PROXY)", () => {
  const hops = (n: number) => ({ hops: n });

  it("zero hops: the socket peer, whatever the header says", () => {
    expect(clientAddress("1.2.3.4", "203.0.113.9", hops(0))).toBe("203.0.113.9");
    expect(clientAddress(undefined, "203.0.113.9", hops(0))).toBe("203.0.113.9");
    expect(clientAddress(undefined, undefined, hops(0))).toBe("unknown");
  });

  it("one hop: the entry the proxy appended, not the one the client wrote", () => {
    // The proxy (10.0.0.2) appends the address it saw; anything left of it came from the client.
    expect(clientAddress("203.0.113.9", "10.0.0.2", hops(1))).toBe("203.0.113.9");
    expect(clientAddress("6.6.6.6, 203.0.113.9", "10.0.0.2", hops(1))).toBe("203.0.113.9");
  });

  it("two hops: the entry left of the inner proxy", () => {
    expect(clientAddress("203.0.113.9, 10.0.0.7", "10.0.0.2", hops(2))).toBe("203.0.113.9");
    expect(clientAddress("6.6.6.6, 7.7.7.7, 203.0.113.9, 10.0.0.7", "10.0.0.2", hops(2))).toBe("203.0.113.9");
  });

  it("a forged header cannot pick the address, nor dodge a rate limit by spelling", () => {
    const forged = ["1.1.1.1", "1.1.1.1, 2.2.2.2", "::ffff:203.0.113.9, 9.9.9.9", "garbage, , ,"];
    for (const f of forged) {
      expect(clientAddress(`${f}, 203.0.113.9`, "10.0.0.2", hops(1))).toBe("203.0.113.9");
      expect(clientAddress(`${f}, 203.0.113.9, 10.0.0.7`, "10.0.0.2", hops(2))).toBe("203.0.113.9");
    }
    expect(clientAddress("[::FFFF:203.0.113.9]", "10.0.0.2", hops(1))).toBe("203.0.113.9");
    expect(clientAddress("2001:DB8:0:0::1", "10.0.0.2", hops(1))).toBe("2001:db8:0:0:0:0:0:1");
    // More hops configured than the header has: the leftmost entry is all there is.
    expect(clientAddress("203.0.113.9", "10.0.0.2", hops(3))).toBe("203.0.113.9");
    expect(clientAddress(undefined, "10.0.0.2", hops(1))).toBe("10.0.0.2");
  });

  it("a list of trusted proxies: skip them from the right, the first other address is the client", () => {
    const trust = parseTrustProxy("10.0.0.0/8, 192.168.1.7, fd00::/8");
    if (typeof trust === "string") throw new Error(trust);
    expect(clientAddress("6.6.6.6, 203.0.113.9, 10.1.2.3", "::ffff:10.0.0.2", trust)).toBe("203.0.113.9");
    expect(clientAddress("6.6.6.6, 203.0.113.9", "192.168.1.7", trust)).toBe("203.0.113.9");
    expect(clientAddress("2001:db8::5, fd12::1", "fd00::2", trust)).toBe("2001:db8:0:0:0:0:0:5");
    // A request that did not come through a trusted proxy: the header is the client's own words.
    expect(clientAddress("10.9.9.9", "203.0.113.9", trust)).toBe("203.0.113.9");
    // The client writes a trusted address itself: still only right-to-left up to the first stranger.
    expect(clientAddress("10.0.0.9, 203.0.113.9", "10.0.0.2", trust)).toBe("203.0.113.9");
    expect(clientAddress("garbage", "10.0.0.2", trust)).toBe("garbage");
  });

  it("parses the setting: hops, true/false, lists; refuses nonsense", () => {
    expect(parseTrustProxy(undefined)).toEqual({ hops: 0 });
    expect(parseTrustProxy("false")).toEqual({ hops: 0 });
    expect(parseTrustProxy("true")).toEqual({ hops: 1 });
    expect(parseTrustProxy("2")).toEqual({ hops: 2 });
    expect(parseTrustProxy("10.0.0.0/8")).toMatchObject({ networks: [{ family: 4, bits: 8 }] });
    expect(typeof parseTrustProxy("yes")).toBe("string");
    expect(typeof parseTrustProxy("10.0.0.0/33")).toBe("string");
    expect(typeof parseTrustProxy("10.0.0.0/8, nonsense")).toBe("string");
    expect(typeof parseTrustProxy("-1")).toBe("string");
  });

  it("parses IPv4, IPv6 and IPv4-mapped addresses", () => {
    expect(parseIp("10.0.0.1")).toEqual({ family: 4, value: 0x0a000001n });
    expect(parseIp("::ffff:10.0.0.1")).toEqual({ family: 4, value: 0x0a000001n });
    expect(parseIp("::1")).toEqual({ family: 6, value: 1n });
    expect(parseIp("fe80::1%eth0")).toEqual({ family: 6, value: (0xfe80n << 112n) | 1n });
    for (const bad of ["1.2.3", "1.2.3.256", "1::2::3", "12345::", "a.b.c.d", "", "1:2:3:4:5:6:7:8:9"]) expect(parseIp(bad), bad).toBeNull();
    expect(parseNetwork("::ffff:10.0.0.0/104")).toEqual({ family: 4, base: 0x0a000000n, bits: 8 });
  });
});
