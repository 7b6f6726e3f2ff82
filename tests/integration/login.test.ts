import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, TEST_CAPTCHA, makeTestApp, testClock } from "../support/app.ts";
import { Browser, latestCode } from "../support/client.ts";

let t: TestApp;
const clock = testClock();
beforeAll(async () => {
  t = await makeTestApp({ clock, env: { TRUST_PROXY: "true", SMS_DAILY_CAP_PER_PHONE: "3", SMS_DAILY_CAP_PER_IP: "6" } });
});
afterAll(async () => t?.close());

let seq = 0;
const nextPhone = () => `1370000${String(++seq).padStart(4, "0")}`;
let ipSeq = 0;
const fresh = () => new Browser(t, "http://localhost", `10.1.0.${++ipSeq}`);

/** Registers through the real pages and returns a signed-in browser. */
async function registered(phone = nextPhone()) {
  const b = fresh();
  await b.get("/register");
  await b.post("/register/send-code", { name: "登录测试有限公司", phone, captcha: TEST_CAPTCHA, captchaId: b.captchaId() });
  await b.get("/register");
  await b.post("/register", { name: "登录测试有限公司", phone, smsCode: await latestCode(t, phone), captcha: "", captchaId: "" });
  expect(b.lastLocation).toBe("/me");
  clock.advance(61_000); // past the resend wait
  return { b, phone };
}

async function setPassword(b: Browser, password: string) {
  await b.get("/me/password");
  expect(b.lastHtml).toContain("设置密码");
  const res = await b.post("/me/password", { method: "old", newPassword: password, confirm: password });
  expect(res.status).toBe(303);
}

async function logout(b: Browser) {
  await b.get("/me");
  const res = await b.post("/logout", {});
  expect(res.status).toBe(303);
}

async function passwordLogin(b: Browser, phone: string, password: string) {
  await b.get("/login");
  return b.post("/login/password", { phone, password, captcha: TEST_CAPTCHA, captchaId: b.captchaId() });
}

describe("退出登录", () => {
  it("ends the session on the server: the old cookie no longer opens 个人中心", async () => {
    const { b } = await registered();
    const oldSid = b.cookies.get("sid")!;
    await logout(b);
    expect(b.cookies.get("sid")).not.toBe(oldSid);
    const replay = fresh();
    replay.cookies.set("sid", oldSid);
    const res = await replay.get("/me");
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("/login?next=%2Fme");
  });
});

describe("账号密码登录", () => {
  it("signs in with phone, password and captcha, rotating the session id", async () => {
    const { b, phone } = await registered();
    await setPassword(b, "Strong#Pass1");
    await logout(b);
    await b.get("/login");
    const anonSid = b.cookies.get("sid");
    const res = await b.post("/login/password", { phone, password: "Strong#Pass1", captcha: TEST_CAPTCHA, captchaId: b.captchaId() });
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("/me");
    expect(b.cookies.get("sid")).not.toBe(anonSid);
    await b.get("/me");
    expect(b.lastHtml).toContain("登录测试有限公司");
  });

  it("gives the same message for an unknown phone and a wrong password", async () => {
    const { b, phone } = await registered();
    await setPassword(b, "Strong#Pass1");
    await logout(b);
    const r1 = await passwordLogin(fresh(), phone, "Wrong#Pass1");
    const html1 = await r1.text();
    const r2 = await passwordLogin(fresh(), "13699999999", "Wrong#Pass1");
    const html2 = await r2.text();
    expect(r1.status).toBe(422);
    expect(r2.status).toBe(422);
    expect(html1).toContain("手机号或密码不正确");
    expect(html2).toContain("手机号或密码不正确");
  });

  it("backs off after repeated failures, and SMS login still works meanwhile", async () => {
    const { b, phone } = await registered();
    await setPassword(b, "Strong#Pass1");
    await logout(b);
    for (let i = 0; i < 5; i++) {
      const r = await passwordLogin(fresh(), phone, `Wrong#${i}xyz`);
      expect(r.status).toBe(422);
    }
    const locked = await passwordLogin(fresh(), phone, "Strong#Pass1");
    expect(locked.status).toBe(429);
    expect(await locked.text()).toContain("登录失败次数过多，请30秒后再试");
    // The wait is short: after it the right password works again.
    clock.advance(31_000);
    const ok = await passwordLogin(fresh(), phone, "Strong#Pass1");
    expect(ok.status).toBe(303);
  });
});

describe("验证码登录", () => {
  async function sendLoginCode(b: Browser, phone: string) {
    await b.get("/login?tab=sms");
    return b.post("/login/send-code", { phone, captcha: TEST_CAPTCHA, captchaId: b.captchaId() });
  }

  it("signs in with phone, SMS code and the captcha solved when sending", async () => {
    const { phone } = await registered();
    const b = fresh();
    const sent = await sendLoginCode(b, phone);
    expect(sent.status).toBe(303);
    expect(sent.headers.get("Location")).toBe("/login?tab=sms");
    await b.get("/login?tab=sms");
    expect(b.lastHtml).toContain("验证码已发送");
    const res = await b.post("/login/sms", { phone, smsCode: await latestCode(t, phone), captcha: "", captchaId: "" });
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("/me");
  });

  it("a code works once: reusing it fails", async () => {
    const { phone } = await registered();
    const b = fresh();
    await sendLoginCode(b, phone);
    const code = await latestCode(t, phone);
    await b.get("/login?tab=sms");
    expect((await b.post("/login/sms", { phone, smsCode: code, captcha: "", captchaId: "" })).status).toBe(303);
    const again = fresh();
    await again.get("/login?tab=sms");
    const res = await again.post("/login/sms", { phone, smsCode: code, captcha: TEST_CAPTCHA, captchaId: again.captchaId() });
    expect(res.status).toBe(422);
    expect(again.lastHtml).toContain("手机验证码已失效，请重新获取");
  });

  it("a code expires after 5 minutes", async () => {
    const { phone } = await registered();
    const b = fresh();
    await sendLoginCode(b, phone);
    const code = await latestCode(t, phone);
    clock.advance(5 * 60_000 + 1000);
    await b.get("/login?tab=sms");
    const res = await b.post("/login/sms", { phone, smsCode: code, captcha: TEST_CAPTCHA, captchaId: b.captchaId() });
    expect(res.status).toBe(422);
    expect(b.lastHtml).toContain("手机验证码已失效，请重新获取");
  });

  it("after 5 wrong tries the code is void, even the right one", async () => {
    const { phone } = await registered();
    const b = fresh();
    await sendLoginCode(b, phone);
    const code = await latestCode(t, phone);
    const wrong = code === "999999" ? "888888" : "999999";
    const messages: string[] = [];
    for (let i = 0; i < 5; i++) {
      await b.get("/login?tab=sms");
      await b.post("/login/sms", { phone, smsCode: wrong, captcha: "", captchaId: "" });
      messages.push(b.lastHtml.match(/手机验证码(不正确，还可尝试\d次|错误次数过多，请重新获取)/)![0]);
    }
    expect(messages).toEqual([
      "手机验证码不正确，还可尝试4次",
      "手机验证码不正确，还可尝试3次",
      "手机验证码不正确，还可尝试2次",
      "手机验证码不正确，还可尝试1次",
      "手机验证码错误次数过多，请重新获取",
    ]);
    await b.get("/login?tab=sms");
    const res = await b.post("/login/sms", { phone, smsCode: code, captcha: "", captchaId: "" });
    expect(res.status).toBe(422);
    expect(b.lastHtml).toContain("手机验证码已失效，请重新获取");
  });

  it("an unknown phone gets the same answer but no SMS", async () => {
    const b = fresh();
    const before = (await t.sms.latest(500)).length;
    const res = await sendLoginCode(b, "13655555555");
    expect(res.status).toBe(303);
    expect((await t.sms.latest(500)).length).toBe(before);
  });
});

describe("获取验证码 rate limits", () => {
  it("needs a solved captcha before any SMS is sent", async () => {
    const b = fresh();
    await b.get("/register");
    const before = (await t.sms.latest(500)).length;
    const res = await b.post("/register/send-code", { name: "某公司", phone: nextPhone(), captcha: "", captchaId: b.captchaId() });
    expect(res.status).toBe(422);
    expect(b.lastHtml).toContain("请输入图形验证码");
    expect((await t.sms.latest(500)).length).toBe(before);
  });

  it("one send per phone per 60 seconds", async () => {
    const phone = nextPhone();
    const b = fresh();
    await b.get("/register");
    expect((await b.post("/register/send-code", { name: "某公司", phone, captcha: TEST_CAPTCHA, captchaId: b.captchaId() })).status).toBe(303);
    await b.get("/register");
    const res = await b.post("/register/send-code", { name: "某公司", phone, captcha: TEST_CAPTCHA, captchaId: b.captchaId() });
    expect(res.status).toBe(429);
    expect(b.lastHtml).toMatch(/发送过于频繁，请\d+秒后再试/);
    clock.advance(61_000);
    await b.get("/register");
    expect((await b.post("/register/send-code", { name: "某公司", phone, captcha: TEST_CAPTCHA, captchaId: b.captchaId() })).status).toBe(303);
  });

  it("caps sends per phone per day", async () => {
    const phone = nextPhone();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const b = fresh();
      await b.get("/register");
      statuses.push((await b.post("/register/send-code", { name: "某公司", phone, captcha: TEST_CAPTCHA, captchaId: b.captchaId() })).status);
      clock.advance(61_000);
    }
    expect(statuses).toEqual([303, 303, 303, 429]);
  });

  it("caps sends per IP per day", async () => {
    const b = new Browser(t, "http://localhost", "10.9.9.9");
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      await b.get("/register");
      statuses.push((await b.post("/register/send-code", { name: "某公司", phone: nextPhone(), captcha: TEST_CAPTCHA, captchaId: b.captchaId() })).status);
    }
    expect(statuses.slice(0, 6)).toEqual([303, 303, 303, 303, 303, 303]);
    expect(statuses[6]).toBe(429);
    expect(b.lastHtml).toContain("当前网络今日获取验证码次数已达上限");
  });

  it("counts the real client behind the trusted proxy, whatever X-Forwarded-For the client forges", async () => {
    // TRUST_PROXY=1: the proxy appends the address it saw; everything left of it was written by the client.
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const b = new Browser(t, "http://localhost", `198.51.100.${i + 1}, 10.9.9.8`);
      await b.get("/register");
      statuses.push((await b.post("/register/send-code", { name: "某公司", phone: nextPhone(), captcha: TEST_CAPTCHA, captchaId: b.captchaId() })).status);
    }
    expect(statuses).toEqual([303, 303, 303, 303, 303, 303, 429]);
  });
});

describe("设置密码 / 修改密码", () => {
  it("changing needs the old password; a wrong one changes nothing", async () => {
    const { b, phone } = await registered();
    await setPassword(b, "First#Pass1");
    await b.get("/me/password");
    expect(b.lastHtml).toContain("修改密码");
    const bad = await b.post("/me/password", { method: "old", oldPassword: "nope-nope", newPassword: "Second#Pass2", confirm: "Second#Pass2" });
    expect(bad.status).toBe(422);
    expect(b.lastHtml).toContain("原密码不正确");
    const mismatch = await b.post("/me/password", { method: "old", oldPassword: "First#Pass1", newPassword: "Second#Pass2", confirm: "Second#Pass3" });
    expect(mismatch.status).toBe(422);
    expect(b.lastHtml).toContain("两次输入的密码不一致");
    const good = await b.post("/me/password", { method: "old", oldPassword: "First#Pass1", newPassword: "Second#Pass2", confirm: "Second#Pass2" });
    expect(good.status).toBe(303);
    await logout(b);
    expect((await passwordLogin(fresh(), phone, "First#Pass1")).status).toBe(422);
    expect((await passwordLogin(fresh(), phone, "Second#Pass2")).status).toBe(303);
  });

  it("changing with an SMS code sent to the account's own phone", async () => {
    const { b, phone } = await registered();
    await setPassword(b, "First#Pass1");
    await b.get("/me/password?method=sms");
    const sent = await b.post("/me/password/send-code", { captcha: TEST_CAPTCHA, captchaId: b.captchaId() });
    expect(sent.status).toBe(303);
    await b.get("/me/password?method=sms");
    const res = await b.post("/me/password", { method: "sms", smsCode: await latestCode(t, phone), newPassword: "Third#Pass3", confirm: "Third#Pass3" });
    expect(res.status).toBe(303);
    await logout(b);
    expect((await passwordLogin(fresh(), phone, "Third#Pass3")).status).toBe(303);
  });

  it("refuses weak passwords with a message beside the field", async () => {
    const { b } = await registered();
    await b.get("/me/password");
    const res = await b.post("/me/password", { method: "old", newPassword: "12345678", confirm: "12345678" });
    expect(res.status).toBe(422);
    expect(b.lastHtml).toContain("密码过于常见，请换一个");
    expect(b.lastHtml).toContain('id="f-newPassword-error"');
  });
});

describe("sessions", () => {
  it("expire after the idle timeout", async () => {
    const { b } = await registered();
    clock.advance(31 * 60_000);
    const res = await b.get("/me");
    expect(res.status).toBe(303);
  });

  it("expire after the absolute timeout even when used", async () => {
    const { b } = await registered();
    for (let h = 0; h < 12 * 3; h++) {
      clock.advance(20 * 60_000);
      const r = await b.get("/me");
      if (h < 12 * 3 - 1) expect(r.status).toBe(200);
    }
    clock.advance(20 * 60_000);
    expect((await b.get("/me")).status).toBe(303);
  });

  it("use HttpOnly SameSite=Lax cookies with 256-bit ids", async () => {
    // A session exists only once something must be kept (here: the code was sent for this form).
    const b = fresh();
    await b.get("/register");
    const res = await b.post("/register/send-code", { name: "登录测试有限公司", phone: nextPhone(), captcha: TEST_CAPTCHA, captchaId: b.captchaId() });
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("sid="))!;
    expect(cookie).toMatch(/^sid=[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
  });
});
