import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, TEST_CAPTCHA, makeTestApp } from "../support/app.ts";
import { Browser } from "../support/client.ts";
import { REDIS_URL } from "../support/db.ts";

/**
 * The password back-off holds against a parallel burst (each attempt is counted atomically before
 * the password is checked), on the memory cache and on Redis; staff and site keys are apart; the
 * per-address rule slows an address down instead of locking everyone behind it out.
 */
const caches: ("memory" | "redis")[] = REDIS_URL ? ["memory", "redis"] : ["memory"];
const PASSWORD = "Right#Pass2026";

describe.each(caches)("login back-off on the %s cache", (cache) => {
  let t: TestApp;
  let ipSeq = 0;
  const fresh = () => new Browser(t, "http://localhost", `10.40.${Math.floor(++ipSeq / 250)}.${ipSeq % 250}`);

  beforeAll(async () => {
    t = await makeTestApp({ cache, env: { TRUST_PROXY: "true" } });
    const hash = await t.deps.passwords.hash(PASSWORD);
    for (const phone of ["13900000101", "13900000102", "13900000103"]) {
      await t.deps.identity.seedAccount({ phone, name: "退避测试有限公司", passwordHash: hash });
    }
    await t.deps.identity.createAdmin({ username: "burst", displayName: "并发测试", password: PASSWORD, role: "operator", actor: "cli" });
  });
  afterAll(async () => t?.close());

  it("refuses a burst beyond the free tries, and then the right password too, with the back-off message", async () => {
    const phone = "13900000102";
    const browsers = Array.from({ length: 30 }, fresh);
    for (const b of browsers) await b.get("/login");
    const results = await Promise.all(
      browsers.map((b, i) =>
        b
          .post("/login/password", { phone, password: `Wrong#${i}pass`, captcha: TEST_CAPTCHA, captchaId: b.captchaId() })
          .then(async (r) => ({ status: r.status, html: await r.text() })),
      ),
    );
    const checked = results.filter((r) => r.status === 422);
    const refused = results.filter((r) => r.status === 429);
    expect(checked.length + refused.length).toBe(30);
    for (const r of checked) expect(r.html).toContain("手机号或密码不正确");
    for (const r of refused) expect(r.html).toMatch(/登录失败次数过多，请\d+(秒|分钟)后再试/);
    // Five free tries, plus at most the one that claims the first back-off period.
    expect(checked.length).toBeGreaterThanOrEqual(5);
    expect(checked.length).toBeLessThanOrEqual(6);

    const right = fresh();
    await right.get("/login");
    const res = await right.post("/login/password", { phone, password: PASSWORD, captcha: TEST_CAPTCHA, captchaId: right.captchaId() });
    expect(res.status).toBe(429);
    expect(right.lastHtml).toMatch(/登录失败次数过多，请\d+(秒|分钟)后再试，或使用验证码登录/);
  });

  it("staff: a parallel burst is held the same way, under keys apart from the site's", async () => {
    const browsers = Array.from({ length: 30 }, fresh);
    for (const b of browsers) await b.get("/admin/login");
    const results = await Promise.all(
      browsers.map((b, i) => b.post("/admin/login", { username: "burst", password: `Wrong#${i}pass` }).then((r) => r.status)),
    );
    expect(results.filter((s) => s === 422).length).toBeLessThanOrEqual(6);
    expect(results.filter((s) => s === 429).length).toBeGreaterThanOrEqual(24);
    const admin = fresh();
    await admin.get("/admin/login");
    expect((await admin.post("/admin/login", { username: "burst", password: PASSWORD })).status).toBe(429);
    expect(admin.lastHtml).toMatch(/登录失败次数过多，请\d+(秒|分钟)后再试/);
    expect(await t.deps.cache.ttl("staff:wait:burst")).toBeGreaterThan(0);
    expect(await t.deps.cache.ttl("login:wait:burst")).toBe(-1);
  });

  it("per address: many failures only slow the address down; another user behind it gets in within seconds", async () => {
    const ip = "10.99.0.1";
    // 51 failures from one address, each for a different (unknown) phone.
    for (let i = 0; i < 51; i++) {
      const res = await t.deps.identity.loginWithPassword({
        phone: `1370099${String(i).padStart(4, "0")}`,
        password: "Wrong#pass1",
        captcha: { id: await t.deps.identity.issueCaptcha(), answer: TEST_CAPTCHA },
        ip,
      });
      expect(res.ok).toBe(false);
    }
    const login = async () =>
      t.deps.identity.loginWithPassword({
        phone: "13900000103",
        password: PASSWORD,
        captcha: { id: await t.deps.identity.issueCaptcha(), answer: TEST_CAPTCHA },
        ip,
      });
    const first = await login();
    expect(first.ok).toBe(false);
    if (!first.ok) {
      expect(first.status).toBe(429);
      expect(first.errors._form).toMatch(/^当前网络登录尝试过于频繁，请[12]秒后再试/);
    }
    // No lock: the next attempt after the short spacing goes through (waiting for it, not sleeping a fixed time).
    const deadline = Date.now() + 15_000;
    let res = await login();
    while (!res.ok && Date.now() < deadline) {
      expect(res.status).toBe(429);
      await new Promise((r) => setTimeout(r, 200));
      res = await login();
    }
    expect(res.ok).toBe(true);
    // Staff sign-in from the same address is not slowed by the site's failures.
    expect((await t.deps.identity.adminLogin({ username: "burst2", password: "x", ip })).ok).toBe(false);
    expect(await t.deps.cache.get(`staff:failip:${ip}`)).toBe("1");
  });
});
