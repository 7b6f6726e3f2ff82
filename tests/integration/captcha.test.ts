import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, makeTestApp } from "../support/app.ts";
import { Browser } from "../support/client.ts";

/** Without CAPTCHA_TEST_ANSWER: the real answers, as a person would type them. */
let t: TestApp;
beforeAll(async () => {
  t = await makeTestApp({ captchaTestAnswer: null });
});
afterAll(async () => t?.close());

describe("graphic captcha", () => {
  it("refuses a wrong answer before looking at the password, and cannot be reused", async () => {
    const b = new Browser(t);
    await b.get("/login");
    const id = b.captchaId();
    const answer = await t.deps.cache.get(`captcha:${id}`);
    expect(answer).toMatch(/^[A-Z0-9]{4}$/);
    const r1 = await b.post("/login/password", { phone: "13800000001", password: "x", captcha: "ZZZZ", captchaId: id });
    expect(r1.status).toBe(422);
    expect(b.lastHtml).toContain("图形验证码不正确");
    // One-time: the right answer is useless once the captcha was tried.
    const r2 = await b.post("/login/password", { phone: "13800000001", password: "x", captcha: answer!, captchaId: id });
    expect(r2.status).toBe(422);
    expect(b.lastHtml).toContain("图形验证码已过期，请重新输入");
  });

  it("accepts the right answer in any letter case, once", async () => {
    const b = new Browser(t);
    await b.get("/register");
    const id = b.captchaId();
    const answer = (await t.deps.cache.get(`captcha:${id}`))!;
    const res = await b.post("/register/send-code", { name: "验证码测试公司", phone: "13512349999", captcha: answer.toLowerCase(), captchaId: id });
    expect(res.status).toBe(303);
    expect((await t.sms.latest(10))[0]?.phone).toBe("13512349999");
  });

  it("serves the image of a live captcha as SVG, and a placeholder once it is used", async () => {
    const b = new Browser(t);
    await b.get("/register");
    const id = b.captchaId();
    const img = await b.request(`/captcha/${id}.svg`);
    expect(img.status).toBe(200);
    expect(img.headers.get("Content-Type")).toBe("image/svg+xml");
    expect(img.headers.get("Cache-Control")).toBe("no-store");
    expect(await img.text()).toMatch(/^<svg/);
    await t.deps.cache.take(`captcha:${id}`);
    const gone = await b.request(`/captcha/${id}.svg`);
    expect(gone.status).toBe(404);
    expect(await gone.text()).toContain("已过期");
  });

  it("换一张 returns a fresh captcha fragment for htmx", async () => {
    const b = new Browser(t);
    const res = await b.request("/captcha/new", { headers: { "HX-Request": "true" } });
    const html = await res.text();
    expect(html).toContain('id="captcha-field"');
    expect(html).toMatch(/name="captchaId" value="[\w-]+"/);
  });
});
