import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp, maskPhonesIn } from "../../src/app.ts";
import { type TestApp, TEST_CAPTCHA, makeTestApp } from "../support/app.ts";
import { Browser } from "../support/client.ts";

let t: TestApp;
beforeAll(async () => {
  t = await makeTestApp({ demo: true });
});
afterAll(async () => t?.close());

const count = async (table: string) => (await t.deps.db.query<{ n: number }>(`select count(*)::int as n from ${table}`))[0]!.n;

describe("CSRF", () => {
  it("refuses a POST without the synchronizer token, writing nothing", async () => {
    const b = new Browser(t);
    await b.get("/register");
    const before = await count("accounts");
    const res = await b.post(
      "/register/send-code",
      { name: "某公司", phone: "13512345678", captcha: TEST_CAPTCHA, captchaId: b.captchaId() },
      { csrf: null },
    );
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("页面已过期");
    expect((await t.sms.latest(100)).some((m) => m.phone === "13512345678")).toBe(false);
    expect(await count("accounts")).toBe(before);
  });

  it("refuses another session's token", async () => {
    const a = new Browser(t);
    await a.get("/login");
    const stolen = a.csrf();
    const b = new Browser(t);
    await b.get("/login");
    const res = await b.post(
      "/login/password",
      { phone: "13800000001", password: "Demo#2026", captcha: TEST_CAPTCHA, captchaId: b.captchaId() },
      { csrf: stolen },
    );
    expect(res.status).toBe(403);
  });

  it("refuses a cross-site form post even with a valid token", async () => {
    const b = new Browser(t);
    await b.get("/login");
    const res = await b.post(
      "/login/password",
      { phone: "13800000001", password: "Demo#2026", captcha: TEST_CAPTCHA, captchaId: b.captchaId() },
      { headers: { Origin: "https://evil.example" } },
    );
    expect(res.status).toBe(403);
    expect(b.cookies.size).toBeGreaterThan(0);
    expect((await b.get("/me")).status).toBe(303);
  });

  it("refuses a POST with no session at all", async () => {
    const b = new Browser(t);
    const res = await b.post("/logout", {}, { csrf: "x".repeat(43) });
    expect(res.status).toBe(403);
  });
});

describe("portals", () => {
  it("public home has 登录, 注册 and 我要留言 at the top right, and a footer", async () => {
    const b = new Browser(t);
    await b.get("/");
    expect(b.lastStatus).toBe(200);
    expect(b.lastHtml).toContain('lang="zh-CN"');
    const top = b.lastHtml.match(/<nav class="top-links"[\s\S]*?<\/nav>/)![0];
    expect(top).toContain(">登录<");
    expect(top).toContain(">注册<");
    expect(top).toContain(">我要留言<");
    expect(b.lastHtml).toContain("<footer");
    expect(b.lastHtml).toContain("服务券配额申请");
  });

  it("个人中心 needs a signed-in enterprise and shows its menu", async () => {
    const anon = new Browser(t);
    const res = await anon.get("/me");
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("/login?next=%2Fme");

    const b = new Browser(t);
    await b.get("/login");
    await b.post("/login/password", { phone: "13800000001", password: "Demo#2026", captcha: TEST_CAPTCHA, captchaId: b.captchaId() });
    await b.get("/me");
    for (const item of ["基本信息", "服务券配额申请", "我购买的服务", "我的需求管理", "修改密码"]) {
      expect(b.lastHtml).toContain(item);
    }
    // 我购买的服务 is open now (issue 11): no 即将开放 badge, its page lists the orders.
    expect(b.lastHtml).not.toContain("即将开放");
    await b.get("/me/orders");
    expect(b.lastStatus).toBe(200);
    expect(b.lastHtml).toContain("<h1>我购买的服务</h1>");
  });

  it("the login page returns to the page that asked for it", async () => {
    const b = new Browser(t);
    await b.get("/login?next=%2Fme%2Fpassword");
    const res = await b.post("/login/password", {
      phone: "13800000002",
      password: "Demo#2026",
      captcha: TEST_CAPTCHA,
      captchaId: b.captchaId(),
      next: "/me/password",
    });
    expect(res.headers.get("Location")).toBe("/me/password");
  });

  it("never redirects off-site after login", async () => {
    const b = new Browser(t);
    await b.get("/login");
    const res = await b.post("/login/password", {
      phone: "13800000003",
      password: "Demo#2026",
      captcha: TEST_CAPTCHA,
      captchaId: b.captchaId(),
      next: "//evil.example/x",
    });
    expect(res.headers.get("Location")).toBe("/me");
  });

  it("服务机构中心 is refused to an enterprise that is not an approved provider", async () => {
    const b = new Browser(t);
    await b.get("/login");
    await b.post("/login/password", { phone: "13800000004", password: "Demo#2026", captcha: TEST_CAPTCHA, captchaId: b.captchaId() });
    const res = await b.get("/provider");
    expect(res.status).toBe(403);
    expect(b.lastHtml).toContain("仅对审核通过的服务商开放");
    await t.deps.db.query("update enterprises set is_provider = true where account_id = (select id from accounts where phone = $1)", ["13800000004"]);
    expect((await b.get("/provider")).status).toBe(200);
    expect(b.lastHtml).toContain("服务机构中心");
  });

  it("Chinese 404 page", async () => {
    const res = await new Browser(t).get("/no-such-page");
    expect(res.status).toBe(404);
    expect(await res.text()).toContain("页面不存在");
  });

  it("a NUL character: refused in the address with a Chinese 400, dropped from form fields", async () => {
    const res = await new Browser(t).get("/services?q=%00");
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("请求参数不正确");
    const b = new Browser(t);
    await b.get("/admin/login");
    const login = await b.post("/admin/login", { username: "admin\u0000", password: "x\u0000" });
    expect(login.status).toBe(422);
  });

  it("Chinese 500 page with a request id, and the error is logged", async () => {
    const lines: string[] = [];
    const log = pino(
      { level: "info" },
      new Writable({
        write(chunk, _e, cb) {
          lines.push(String(chunk));
          cb();
        },
      }),
    );
    const app = buildApp({ ...t.deps, log });
    app.get("/boom", () => {
      throw new Error("kaboom");
    });
    // Routes added after notFound still run before it in Hono, so this reaches onError.
    const res = await app.request("http://localhost/boom");
    expect(res.status).toBe(500);
    const html = await res.text();
    expect(html).toContain("系统繁忙");
    expect(html).toContain(res.headers.get("X-Request-Id")!);
    expect(lines.some((l) => l.includes("kaboom"))).toBe(true);
  });
});

describe("管理端", () => {
  it("has its own login; the demo admin signs in and sees 管理端首页", async () => {
    const b = new Browser(t);
    const res = await b.get("/admin");
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("/admin/login?next=%2Fadmin");
    await b.get("/admin/login");
    expect(b.lastHtml).toContain("管理端登录");
    const login = await b.post("/admin/login", { username: "admin", password: "Demo#2026" });
    expect(login.status).toBe(303);
    const cookie = login.headers.getSetCookie().find((c) => c.startsWith("asid="))!;
    expect(cookie).toContain("Path=/admin");
    await b.get("/admin");
    expect(b.lastHtml).toContain("管理端首页");
    expect(b.lastHtml).toContain("超级管理员");
  });

  it("an enterprise session does not open the admin portal", async () => {
    const b = new Browser(t);
    await b.get("/login");
    await b.post("/login/password", { phone: "13800000005", password: "Demo#2026", captcha: TEST_CAPTCHA, captchaId: b.captchaId() });
    const res = await b.get("/admin");
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toContain("/admin/login");
  });

  it("wrong password: a generic message and a 422", async () => {
    const b = new Browser(t);
    await b.get("/admin/login");
    const res = await b.post("/admin/login", { username: "reviewer", password: "wrong-password" });
    expect(res.status).toBe(422);
    expect(b.lastHtml).toContain("用户名或密码不正确");
  });

  it("only a super admin creates staff accounts", async () => {
    const reviewer = (await t.deps.db.query<{ id: string }>("select id from admin_users where username = 'reviewer'"))[0]!;
    const refused = await t.deps.identity.createAdmin({
      username: "newbie",
      displayName: "新人",
      password: "Newbie#2026",
      role: "operator",
      actor: { adminId: reviewer.id, role: "reviewer" },
    });
    expect(refused).toMatchObject({ ok: false, status: 403 });
    const admin = (await t.deps.db.query<{ id: string }>("select id from admin_users where username = 'admin'"))[0]!;
    const created = await t.deps.identity.createAdmin({
      username: "newbie",
      displayName: "新人",
      password: "Newbie#2026",
      role: "operator",
      actor: { adminId: admin.id, role: "super_admin" },
    });
    expect(created.ok).toBe(true);
    const audit = await t.deps.db.query("select action, actor_id from audit_events where entity_type = 'admin_user' and data->>'username' = 'newbie'");
    expect(audit).toEqual([{ action: "created", actor_id: admin.id }]);
  });
});

describe("operations", () => {
  it("/healthz and /readyz", async () => {
    expect((await t.app.request("/healthz")).status).toBe(200);
    const ready = await t.app.request("/readyz");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ok", database: "ok", cache: "ok" });
  });

  it("/readyz reports a cache that is down", async () => {
    const app = buildApp({ ...t.deps, cache: { ...t.deps.cache, ping: async () => Promise.reject(new Error("down")) } });
    const res = await app.request("/readyz");
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ cache: "down", database: "ok" });
  });

  it("sends a strict Content-Security-Policy without inline script", async () => {
    const res = await t.app.request("/register");
    const csp = res.headers.get("Content-Security-Policy")!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\son[a-z]+=/);
    expect(html).not.toMatch(/\sstyle=/);
  });

  it("compresses HTML for clients that accept it", async () => {
    const res = await t.app.request("/register", { headers: { "Accept-Encoding": "gzip" } });
    expect(res.headers.get("Content-Encoding")).toBe("gzip");
  });

  it("masks phone numbers in logged URLs", () => {
    expect(maskPhonesIn("/login?next=/x&phone=13800000001")).toBe("/login?next=/x&phone=138****0001");
    expect(maskPhonesIn("order 202611270000138000000019")).toBe("order 202611270000138000000019");
  });

  it("/dev/sms lists sent messages outside production", async () => {
    const b = new Browser(t);
    await b.get("/register");
    await b.post("/register/send-code", { name: "发件箱测试公司", phone: "13512340000", captcha: TEST_CAPTCHA, captchaId: b.captchaId() });
    const res = await b.get("/dev/sms");
    expect(res.status).toBe(200);
    expect(b.lastHtml).toContain("13512340000");
    expect(b.lastHtml).toMatch(/注册验证码为\d{6}/);
  });

  it("refuses oversize form bodies with a 413 and a Chinese message", async () => {
    const b = new Browser(t);
    await b.get("/register");
    const res = await b.post("/register", {
      name: "x".repeat(300 * 1024),
      phone: "13512340001",
      smsCode: "123456",
      captcha: TEST_CAPTCHA,
      captchaId: b.captchaId(),
    });
    expect(res.status).toBe(413);
    expect(b.lastHtml).toContain("提交的内容过大");
  });
});

describe("user text is escaped", () => {
  it("a name with markup is refused, and typed values come back escaped", async () => {
    const b = new Browser(t);
    await b.get("/register");
    const res = await b.post("/register", {
      name: '"><script>alert(1)</script>',
      phone: "13512340002",
      smsCode: "123456",
      captcha: TEST_CAPTCHA,
      captchaId: b.captchaId(),
    });
    expect(res.status).toBe(422);
    expect(b.lastHtml).not.toContain("<script>alert(1)</script>");
    expect(b.lastHtml).toContain("&lt;script&gt;");
  });
});
