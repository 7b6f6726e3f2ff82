import { expect } from "vitest";
import type { TestApp } from "./app.ts";
import { TEST_CAPTCHA } from "./app.ts";
import { Browser, SAMPLE_PDF } from "./client.ts";

/** Signs in a demo enterprise or admin through the real login pages. */
export async function signIn(t: TestApp, phone: string, password = "Demo#2026"): Promise<Browser> {
  const b = new Browser(t, "http://localhost", `10.7.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`);
  await b.get("/login");
  const res = await b.post("/login/password", { phone, password, captcha: TEST_CAPTCHA, captchaId: b.captchaId() });
  expect(res.status, `login of ${phone}`).toBe(303);
  return b;
}

export async function signInAdmin(t: TestApp, username: string, password = "Demo#2026"): Promise<Browser> {
  const b = new Browser(t, "http://localhost", `10.8.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`);
  await b.get("/admin/login");
  const res = await b.post("/admin/login", { username, password });
  expect(res.status, `admin login of ${username}`).toBe(303);
  return b;
}

export const STEP2 = {
  name: "广西示例机械制造有限公司",
  creditCode: "91350100M000100Y43",
  staffCount: "350",
  revenueWan: "2500",
  sizeDeclared: "",
  industry: "通用设备制造业",
  cityCode: "450100",
  districtCode: "450103",
  address: "青秀区民族大道100号",
  legalName: "张三",
  legalIdNumber: "11010519491231002X",
  legalPhone: "13800000001",
  agree: "yes",
};

/** Walks the three wizard steps with valid data; returns the final response. */
export async function certify(b: Browser, step2: Partial<typeof STEP2> & Record<string, string> = {}, agent: Record<string, string> = {}) {
  await b.get("/me/certification/step1");
  let res = await b.post("/me/certification/step1", { identityRole: "manufacturer", enterpriseType: "llc" });
  expect(res.headers.get("Location")).toBe("/me/certification/step2");
  await b.get("/me/certification/step2");
  res = await b.postMultipart("/me/certification/step2", { ...STEP2, ...step2, action: "next" }, { licence: { name: "营业执照.pdf", bytes: SAMPLE_PDF } });
  expect(res.status, b.lastHtml.match(/<div class="error-summary"[\s\S]*?<\/div>/)?.[0]).toBe(303);
  await b.get("/me/certification/step3");
  return b.post("/me/certification/step3", { agentName: "", agentIdNumber: "", agentPhone: "", ...agent, action: "submit" });
}

export async function pendingApplicationId(t: TestApp, phone: string): Promise<string> {
  const rows = await t.deps.db.query<{ id: string }>(
    `select c.id from enterprise_certifications c join enterprises e on e.id = c.enterprise_id join accounts a on a.id = e.account_id
      where a.phone = $1 and c.status = 'pending'`,
    [phone],
  );
  expect(rows).toHaveLength(1);
  return rows[0]!.id;
}

let registered = 0;
/** Registers a brand-new (uncertified) enterprise through the real pages; returns its signed-in browser. */
export async function registerNew(t: TestApp, name = "新注册测试有限公司"): Promise<{ b: Browser; phone: string }> {
  const phone = `1450${String(process.pid % 1000).padStart(3, "0")}${String(++registered).padStart(4, "0")}`;
  const b = new Browser(t, "http://localhost", `10.6.${registered % 250}.${Math.floor(registered / 250)}`);
  await b.get("/register");
  await b.post("/register/send-code", { name, phone, captcha: TEST_CAPTCHA, captchaId: b.captchaId() });
  const code = (await t.sms.latest(100)).find((m) => m.phone === phone)?.text.match(/(\d{6})/)?.[1];
  expect(code, "registration code").toBeTruthy();
  await b.get("/register");
  const res = await b.post("/register", { name, phone, smsCode: code!, captcha: "", captchaId: "" });
  expect(res.status).toBe(303);
  return { b, phone };
}
