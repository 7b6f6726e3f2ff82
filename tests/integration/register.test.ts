import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, TEST_CAPTCHA, makeTestApp } from "../support/app.ts";
import { Browser, latestCode } from "../support/client.ts";

let t: TestApp;
beforeAll(async () => {
  t = await makeTestApp({ env: { TRUST_PROXY: "true" } });
});
afterAll(async () => t?.close());

const count = async (table: string) => (await t.deps.db.query<{ n: number }>(`select count(*)::int as n from ${table}`))[0]!.n;

async function sendCode(b: Browser, phone: string, name = "测试机械有限公司") {
  await b.get("/register");
  return b.post("/register/send-code", { name, phone, captcha: TEST_CAPTCHA, captchaId: b.captchaId() });
}

describe("registration (立即注册)", () => {
  it("creates the account and its uncertified enterprise, signs in and lands on 基本信息", async () => {
    const b = new Browser(t);
    const phone = "13912340001";
    const sent = await sendCode(b, phone);
    expect(sent.status).toBe(303);
    expect(sent.headers.get("Location")).toBe("/register");
    await b.get("/register");
    expect(b.lastHtml).toContain("验证码已发送至139****0001");
    expect(b.lastHtml).toContain('value="测试机械有限公司"'); // typed values kept (no JavaScript)
    expect(b.lastHtml).toContain("已验证");
    const sidBefore = b.cookies.get("sid");

    const code = await latestCode(t, phone);
    const res = await b.post("/register", { name: "测试机械有限公司", phone, smsCode: code, captcha: "", captchaId: "" });
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("/me");
    expect(b.cookies.get("sid")).not.toBe(sidBefore); // rotated at sign-in

    await b.get("/me");
    expect(b.lastStatus).toBe(200);
    expect(b.lastHtml).toContain("基本信息");
    expect(b.lastHtml).toContain("去企业信息认证");
    expect(b.lastHtml).toContain("测试机械有限公司");
    expect(b.lastHtml).toContain("未认证");

    const rows = await t.deps.db.query<{ certification_status: string }>(
      "select e.certification_status from enterprises e join accounts a on a.id = e.account_id where a.phone = $1",
      [phone],
    );
    expect(rows).toEqual([{ certification_status: "uncertified" }]);
  });

  it("refuses a phone that is already registered, writing nothing", async () => {
    const b = new Browser(t);
    const before = await count("accounts");
    const res = await sendCode(b, "13912340001");
    expect(res.status).toBe(409);
    expect(b.lastHtml).toContain("该手机号已注册，请直接登录");
    expect(b.lastHtml).toContain("请修改以下问题");
    expect(await count("accounts")).toBe(before);
  });

  it.each([
    [{ name: "", phone: "13912340002", smsCode: "123456" }, "请输入企业名称"],
    [{ name: "测".repeat(101), phone: "13912340002", smsCode: "123456" }, "企业名称不能超过100个字"],
    [{ name: "测试公司", phone: "1391234", smsCode: "123456" }, "请输入正确的11位手机号"],
    [{ name: "测试公司", phone: "23912340002", smsCode: "123456" }, "请输入正确的11位手机号"],
    [{ name: "测试公司", phone: "13912340002", smsCode: "12ab" }, "手机验证码为6位数字"],
    [{ name: "测试公司", phone: "13912340002", smsCode: "" }, "请输入手机验证码"],
  ])("rejects bad input %j with a Chinese message and a 422", async (fields, message) => {
    const b = new Browser(t);
    await b.get("/register");
    const before = await count("accounts");
    const res = await b.post("/register", { ...fields, captcha: TEST_CAPTCHA, captchaId: b.captchaId() });
    expect(res.status).toBe(422);
    expect(b.lastHtml).toContain(message);
    expect(b.lastHtml).toMatch(/<a href="#f-\w+">/);
    expect(await count("accounts")).toBe(before);
  });

  it("rejects a wrong SMS code and writes nothing", async () => {
    const b = new Browser(t);
    const phone = "13912340003";
    await sendCode(b, phone);
    const code = await latestCode(t, phone);
    const wrong = code === "000000" ? "111111" : "000000";
    await b.get("/register");
    const res = await b.post("/register", { name: "测试公司", phone, smsCode: wrong, captcha: "", captchaId: "" });
    expect(res.status).toBe(422);
    expect(b.lastHtml).toContain("手机验证码不正确，还可尝试4次");
    expect((await t.deps.db.query("select 1 from accounts where phone = $1", [phone])).length).toBe(0);
  });
});
