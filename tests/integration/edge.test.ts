import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { memoryCache } from "../../src/adapters/memory-cache.ts";
import type { Cache } from "../../src/ports/cache.ts";
import { type SessionData, getSession, sessionKey, sessions } from "../../src/web/session.ts";
import { type TestApp, TEST_CAPTCHA, makeTestApp, testClock } from "../support/app.ts";
import { Browser } from "../support/client.ts";
import { REDIS_URL, freshCache } from "../support/db.ts";
import { signIn } from "../support/flows.ts";

// ---------------------------------------------------------------------------------------------
// No session until something must be kept
// ---------------------------------------------------------------------------------------------

describe("anonymous visitors keep no server state", () => {
  let t: TestApp;
  beforeAll(async () => {
    // A settable clock gives the memory cache, whose size this test reads.
    t = await makeTestApp({ demo: true, clock: testClock() });
  });
  afterAll(async () => t?.close());

  it("cookie-less GETs of the form pages create no session, only the short-lived captcha", async () => {
    const cache = t.deps.cache as ReturnType<typeof memoryCache>;
    await new Browser(t).get("/login"); // the day's CSRF key exists from here on
    const before = cache.size();
    const pages = ["/login", "/register", "/messages/new", "/admin/login", "/login?tab=sms"];
    for (let i = 0; i < 20; i++) {
      for (const page of pages) {
        const res = await new Browser(t).get(page);
        expect(res.status).toBe(200);
        const cookies = res.headers.getSetCookie().map((c) => c.split("=")[0]);
        expect(cookies).not.toContain("sid");
        expect(cookies).not.toContain("asid");
        // The form's token is bound to this browser's nonce cookie instead.
        expect(cookies).toContain("csrf");
      }
    }
    // At most one captcha per page view (the pages that show one), nothing else.
    expect(cache.size() - before).toBeLessThanOrEqual(20 * pages.length);
    expect(cache.size() - before).toBeGreaterThanOrEqual(20 * 3);
  });

  it("the anonymous token works for the form it was shown with, and a session appears only when something is kept", async () => {
    const b = new Browser(t);
    await b.get("/register");
    expect(b.cookies.has("sid")).toBe(false);
    const res = await b.post("/register/send-code", { name: "匿名令牌测试公司", phone: "13512349876", captcha: TEST_CAPTCHA, captchaId: b.captchaId() });
    expect(res.status).toBe(303);
    expect(b.cookies.has("sid")).toBe(true);
    await b.get("/register");
    expect(b.lastHtml).toContain("验证码已发送至135****9876");
  });

  it("refuses an anonymous token with another browser's nonce, a forged one, or one from two days ago", async () => {
    const a = new Browser(t);
    await a.get("/login");
    const token = a.csrf();
    const [day, mac] = token.split(".");
    const b = new Browser(t);
    await b.get("/login");
    const form = { phone: "13800000001", password: "Demo#2026", captcha: TEST_CAPTCHA, captchaId: b.captchaId() };
    expect((await b.post("/login/password", form, { csrf: token })).status).toBe(403);
    expect((await a.post("/login/password", form, { csrf: `${Number(day) - 2}.${mac}` })).status).toBe(403);
    expect((await a.post("/login/password", form, { csrf: `${day}.${"A".repeat(43)}` })).status).toBe(403);
    expect((await a.post("/login/password", form, { csrf: "" })).status).toBe(403);
  });

  it("a signed-in session accepts only its own token, not the anonymous one", async () => {
    const anon = new Browser(t);
    await anon.get("/login");
    const anonymousToken = anon.csrf();
    const b = await signIn(t, "13800000003");
    // The browser keeps its nonce cookie after signing in; give it the nonce the token was made for.
    b.cookies.set("csrf", anon.cookies.get("csrf")!);
    expect((await b.post("/logout", {}, { csrf: anonymousToken })).status).toBe(403);
    expect((await b.get("/me")).status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------
// Concurrent requests of one session keep each other's changes
// ---------------------------------------------------------------------------------------------

const caches: [string, () => Promise<Cache>][] = [["memory", () => freshCache("memory")]];
if (REDIS_URL) caches.push(["redis", () => freshCache("redis")]);

describe.each(caches)("session updates are per field (%s)", (_kind, make) => {
  let cache: Cache;
  let app: Hono;
  /** Both requests of a pair have loaded the session before either may change it. */
  let arrived = 0;
  let release: () => void = () => {};
  let bothIn = new Promise<void>((r) => (release = r));
  const barrier = async () => {
    if (++arrived === 2) release();
    await bothIn;
  };
  const resetBarrier = () => {
    arrived = 0;
    bothIn = new Promise<void>((r) => (release = r));
  };

  beforeAll(async () => {
    cache = await make();
    app = new Hono();
    app.use(
      sessions({
        cache,
        site: { idleSeconds: 1800, absoluteSeconds: 43_200 },
        admin: { idleSeconds: 900, absoluteSeconds: 28_800 },
        secureCookies: false,
      }),
    );
    app.post("/start", (c) => {
      getSession(c).update({ flash: { kind: "info", text: "开始" } });
      return c.text("ok");
    });
    app.post("/flash", async (c) => {
      await barrier();
      getSession(c).update({ flash: { kind: "success", text: "已保存" } });
      return c.text("ok");
    });
    app.post("/captcha", async (c) => {
      await barrier();
      getSession(c).update({
        captchaPass: { phone: "13800000001", purpose: "login", until: 1 },
        draft: { form: "login-sms", values: { phone: "13800000001" } },
      });
      return c.text("ok");
    });
    app.post("/take-flash", async (c) => {
      await barrier();
      getSession(c).takeFlash();
      return c.text("ok");
    });
    app.post("/logout", async (c) => {
      await barrier();
      getSession(c).destroy();
      return c.text("ok");
    });
    app.get("/show", (c) => c.json(getSession(c).data));
  });
  afterAll(async () => cache?.close());

  const start = async () => {
    const res = await app.request("/start", { method: "POST" });
    const sid = res.headers.getSetCookie()[0]!.split(";")[0]!;
    return { sid, id: sid.split("=")[1]! };
  };
  const post = (path: string, sid: string) => app.request(path, { method: "POST", headers: { Cookie: sid } });
  const show = async (sid: string) => (await (await app.request("/show", { headers: { Cookie: sid } })).json()) as SessionData | null;

  it("a flash from one request and a captcha pass and draft from another both survive", async () => {
    resetBarrier();
    const { sid } = await start();
    await Promise.all([post("/flash", sid), post("/captcha", sid)]);
    const data = await show(sid);
    expect(data?.flash).toEqual({ kind: "success", text: "已保存" });
    expect(data?.captchaPass).toEqual({ phone: "13800000001", purpose: "login", until: 1 });
    expect(data?.draft).toEqual({ form: "login-sms", values: { phone: "13800000001" } });
  });

  it("a flash taken by one request stays taken while another writes its draft", async () => {
    resetBarrier();
    const { sid } = await start();
    await Promise.all([post("/take-flash", sid), post("/captcha", sid)]);
    const data = await show(sid);
    expect(data?.flash).toBeUndefined();
    expect(data?.draft?.form).toBe("login-sms");
  });

  it("a session ended by a concurrent logout is not brought back by another request's write", async () => {
    resetBarrier();
    const { sid, id } = await start();
    await Promise.all([post("/logout", sid), post("/flash", sid)]);
    expect(await cache.hashGetAll(sessionKey("site", id))).toBeNull();
    expect(await show(sid)).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
// Early refusals over a real socket
// ---------------------------------------------------------------------------------------------

type Response1 = { status: number; headers: Record<string, string>; body: string };

/** One TCP connection speaking HTTP/1.1 by hand: send bytes, read responses in order, see it close. */
class Conn {
  private buf = Buffer.alloc(0);
  private wake: () => void = () => {};
  private ended = false;
  readonly closed: Promise<void>;
  private readonly socket;

  constructor(port: number) {
    this.socket = connect(port, "127.0.0.1");
    this.closed = new Promise<void>((resolve) => {
      const end = () => {
        this.ended = true;
        this.wake();
        resolve();
      };
      this.socket.on("end", end);
      this.socket.on("close", end);
    });
    this.socket.on("error", () => {});
    this.socket.on("data", (chunk) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      this.wake();
    });
  }

  send(data: string | Uint8Array) {
    this.socket.write(data);
  }

  /** True when the server ends the connection within `ms`. */
  async closesWithin(ms: number): Promise<boolean> {
    return Promise.race([this.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
  }

  private take(): Response1 | null {
    const end = this.buf.indexOf("\r\n\r\n");
    if (end < 0) return null;
    const lines = this.buf.subarray(0, end).toString("latin1").split("\r\n");
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(":");
      headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    const rest = this.buf.subarray(end + 4);
    let body: Buffer;
    let used: number;
    if (headers["content-length"] !== undefined) {
      const n = Number(headers["content-length"]);
      if (rest.length < n) return null;
      body = rest.subarray(0, n);
      used = n;
    } else if (headers["transfer-encoding"] === "chunked") {
      const parts: Buffer[] = [];
      let at = 0;
      for (;;) {
        const eol = rest.indexOf("\r\n", at);
        if (eol < 0) return null;
        const size = Number.parseInt(rest.subarray(at, eol).toString("latin1"), 16);
        if (rest.length < eol + 2 + size + 2) return null;
        if (size === 0) {
          used = eol + 4;
          break;
        }
        parts.push(rest.subarray(eol + 2, eol + 2 + size));
        at = eol + 2 + size + 2;
      }
      body = Buffer.concat(parts);
    } else {
      body = Buffer.alloc(0);
      used = 0;
    }
    this.buf = rest.subarray(used);
    return { status: Number(lines[0]!.split(" ")[1]), headers, body: body.toString("utf8") };
  }

  /** The next response; throws when the connection ends (or 10 s pass) before one arrives. */
  async response(): Promise<Response1> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const r = this.take();
      if (r) return r;
      if (this.ended) throw new Error("connection closed before a response");
      if (Date.now() > deadline) throw new Error("no response within 10 s");
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 200);
      });
    }
  }

  destroy() {
    this.socket.destroy();
  }
}

describe("early refusals close the connection (real socket)", () => {
  let t: TestApp;
  let server: ReturnType<typeof serve>;
  let port = 0;
  beforeAll(async () => {
    t = await makeTestApp({ demo: true });
    await new Promise<void>((resolve, reject) => {
      server = serve({ fetch: t.app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => {
        port = info.port;
        resolve();
      });
      server.once("error", reject);
    });
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => {
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      server.close(() => resolve());
    });
    await t?.close();
  });

  /** A real page's anonymous token and nonce cookie. */
  const anonymousForm = async () => {
    const res = await fetch(`http://127.0.0.1:${port}/login`);
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    const csrf = (await res.text()).match(/name="_csrf" value="([^"]+)"/)![1]!;
    return { cookie, csrf };
  };
  const head = (lines: string[]) => `${lines.join("\r\n")}\r\n\r\n`;

  it("413 from Content-Length: answered at once with Connection: close, and the server closes", async () => {
    const conn = new Conn(port);
    conn.send(
      head([
        "POST /register HTTP/1.1",
        "Host: 127.0.0.1",
        "Origin: http://127.0.0.1",
        "Content-Type: application/x-www-form-urlencoded",
        `Content-Length: ${300 * 1024}`,
      ]),
    );
    conn.send("name=".padEnd(1000, "x"));
    const res = await conn.response();
    expect(res.status).toBe(413);
    expect(res.headers.connection).toBe("close");
    expect(res.body).toContain("提交的内容过大");
    expect(await conn.closesWithin(5000)).toBe(true);
  });

  it("413 while streaming (chunked, no Content-Length) once an upload passes its limit", async () => {
    const { cookie, csrf } = await anonymousForm();
    const boundary = "----edgeboundary";
    const first = `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n--${boundary}\r\nContent-Disposition: form-data; name="attachment"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n`;
    const chunk = (b: Buffer) => Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from("\r\n")]);
    const conn = new Conn(port);
    conn.send(
      head([
        "POST /messages HTTP/1.1",
        "Host: 127.0.0.1",
        "Origin: http://127.0.0.1",
        `Cookie: ${cookie}`,
        `Content-Type: multipart/form-data; boundary=${boundary}`,
        "Transfer-Encoding: chunked",
      ]),
    );
    conn.send(chunk(Buffer.from(first)));
    const mb = Buffer.alloc(1024 * 1024, 0x25);
    // 12 MB in all, past the 11 MB upload limit; the answer may come before the last of it is written.
    for (let i = 0; i < 12; i++) conn.send(chunk(mb));
    const res = await conn.response();
    expect(res.status).toBe(413);
    expect(res.headers.connection).toBe("close");
    expect(await conn.closesWithin(5000)).toBe(true);
  });

  it("403 for a multipart upload without a valid token, before the body is read", async () => {
    const boundary = "----edgeboundary";
    const start = `--${boundary}\r\nContent-Disposition: form-data; name="content"\r\n\r\nhello\r\n--${boundary}\r\nContent-Disposition: form-data; name="attachment"; filename="a.pdf"\r\n\r\n`;
    const conn = new Conn(port);
    // 10 MB announced, only the first part sent: the answer cannot be waiting for the rest.
    conn.send(
      head([
        "POST /messages HTTP/1.1",
        "Host: 127.0.0.1",
        "Origin: http://127.0.0.1",
        `Content-Type: multipart/form-data; boundary=${boundary}`,
        `Content-Length: ${10 * 1024 * 1024}`,
      ]),
    );
    conn.send(start);
    const res = await conn.response();
    expect(res.status).toBe(403);
    expect(res.body).toContain("页面已过期");
    expect(res.headers.connection).toBe("close");
    expect(await conn.closesWithin(5000)).toBe(true);
  });

  it("403 for a cross-site POST (Origin check) closes as well", async () => {
    const conn = new Conn(port);
    conn.send(
      head([
        "POST /login/password HTTP/1.1",
        "Host: 127.0.0.1",
        "Origin: https://evil.example",
        "Content-Type: application/x-www-form-urlencoded",
        "Content-Length: 5000",
      ]),
    );
    conn.send("phone=1");
    const res = await conn.response();
    expect(res.status).toBe(403);
    expect(res.headers.connection).toBe("close");
    expect(await conn.closesWithin(5000)).toBe(true);
  });

  it("a POST whose body was read keeps the connection, which answers the next request", async () => {
    const { cookie, csrf } = await anonymousForm();
    const body = new URLSearchParams({ _csrf: csrf, phone: "13800000001", password: "wrong-password", captcha: "", captchaId: "" }).toString();
    const conn = new Conn(port);
    try {
      conn.send(
        head([
          "POST /login/password HTTP/1.1",
          "Host: 127.0.0.1",
          "Origin: http://127.0.0.1",
          `Cookie: ${cookie}`,
          "Content-Type: application/x-www-form-urlencoded",
          `Content-Length: ${Buffer.byteLength(body)}`,
        ]),
      );
      conn.send(body);
      const res = await conn.response();
      expect(res.status).toBe(422);
      expect(res.headers.connection).not.toBe("close");
      conn.send(head(["GET /healthz HTTP/1.1", "Host: 127.0.0.1"]));
      const next = await conn.response();
      expect(next.status).toBe(200);
      expect(next.body).toContain('"ok"');
    } finally {
      conn.destroy();
    }
  });
});
