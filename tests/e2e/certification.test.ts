import { readFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  LICENCE_PDF,
  browserSuite,
  currentStep,
  description,
  errorSummary,
  fillStep1,
  fillStep2,
  flashMessage,
  heading,
  openApplication,
  randomPhone,
  see,
  signInAdmin,
  signUp,
  step2Field,
  step2Input,
  submitCertification,
} from "./support.ts";

/**
 * 企业信息认证 in a real browser, once with JavaScript (htmx) and once without: a new enterprise
 * registers, walks the three steps (with 上一步 and a validation error on the way), the demo
 * reviewer approves or rejects it in 管理端, and the enterprise sees the result and fills 支付认证.
 */

const e2e = browserSuite({ demo: true });

const statusHeading = (page: Page, text: string) => page.getByRole("heading", { level: 2, name: `认证状态：${text}`, exact: true });
const WRONG_ID = "110105194912310021"; // 11010519491231002X with a wrong check digit

describe.each([
  { mode: "JavaScript on", js: true },
  { mode: "JavaScript off", js: false },
])("企业信息认证 with $mode", ({ js }) => {
  it("registers, certifies through the three steps, is approved by the reviewer, and saves a bank account", async () => {
    const ent = await e2e.open(js);
    const { page } = ent;
    const company = js ? "南宁培优精密机械有限公司" : "柳州育强重型装备有限公司";
    const data = step2Input(company);
    await signUp(ent, randomPhone(), company);

    // 个人中心 / 基本信息 -> 去企业信息认证
    await see(page.getByText("未认证", { exact: true }));
    await page.getByRole("link", { name: "去企业信息认证" }).click();

    // Step 1
    await see(heading(page, "企业信息认证"));
    expect(await currentStep(page).innerText()).toContain("选择身份角色");
    await fillStep1(page);
    await page.getByRole("button", { name: "下一步" }).click();

    // Step 2, first with a wrong check digit in the 法定代表人 身份证号
    await see(page.getByRole("heading", { level: 2, name: "企业基本信息" }));
    expect(await currentStep(page).innerText()).toContain("填写企业信息");
    const size = page.getByText(/系统建议划型为|系统会给出建议划型/);
    expect(await size.innerText()).toBe("填写从业人员数和营业收入后，系统会给出建议划型。");
    await fillStep2(page, { ...data, legalIdNumber: WRONG_ID });
    if (js) {
      // 计算建议划型 (htmx) updates the suggestion in place; the page is not reloaded.
      await page.waitForFunction(() => "htmx" in window);
      await page.evaluate(() => Object.assign(window, { __stillHere: true }));
      const swap = page.waitForResponse((r) => new URL(r.url()).pathname === "/me/certification/size");
      await page.getByRole("button", { name: "计算建议划型" }).click();
      expect((await swap).request().headers()["hx-request"]).toBe("true");
      await see(page.getByText("按填写的从业人员和营业收入，系统建议划型为：中型。", { exact: true }));
      expect(await page.evaluate(() => (window as unknown as { __stillHere?: boolean }).__stillHere)).toBe(true);
      expect(await step2Field.name(page).inputValue()).toBe(company);
    }
    const sizeSelect = page.getByLabel("企业划型", { exact: true });
    expect(await sizeSelect.locator("option:checked").innerText()).toBe("按系统建议");
    await page.getByLabel("上传营业执照").setInputFiles(LICENCE_PDF);
    await page.getByRole("checkbox", { name: "已阅读并同意《用户服务协议》" }).check();
    // Enter in a field submits the form as 下一步 (the form's default button), not 上一步.
    await step2Field.legalIdNumber(page).press("Enter");

    const summary = errorSummary(page);
    await see(summary);
    const message = "法定代表人身份证号校验位不正确，请核对";
    await see(summary.getByRole("link", { name: message }));
    const idField = step2Field.legalIdNumber(page);
    expect(await idField.getAttribute("aria-invalid")).toBe("true");
    expect(await description(page, idField)).toContain(message);
    await see(page.locator(".field-error").filter({ has: idField }).getByText(message));
    // What was typed is still there, the upload was kept, and the suggestion is shown.
    for (const [key, value] of [
      ["name", company],
      ["creditCode", data.creditCode],
      ["staffCount", "350"],
      ["revenueWan", "2500"],
      ["address", data.address],
      ["legalName", data.legalName],
      ["legalIdNumber", WRONG_ID],
      ["legalPhone", data.legalPhone],
    ] as const) {
      expect(await step2Field[key](page).inputValue(), key).toBe(value);
    }
    expect(await step2Field.district(page).locator("option:checked").innerText()).toBe("青秀区");
    await see(page.getByText("已上传：营业执照.pdf"));
    await see(page.getByText("按填写的从业人员和营业收入，系统建议划型为：中型。", { exact: true }));
    expect(await page.getByRole("checkbox", { name: "已阅读并同意《用户服务协议》" }).isChecked()).toBe(true);

    // 上一步 -> step 1 keeps its choices; 下一步 -> step 2 keeps what was typed.
    await page.getByRole("button", { name: "上一步" }).click();
    await see(page.getByRole("group", { name: "身份角色" }));
    expect(await currentStep(page).innerText()).toContain("选择身份角色");
    expect(await page.getByRole("radio", { name: "制造业企业" }).isChecked()).toBe(true);
    expect(await page.getByLabel("企业类型").locator("option:checked").innerText()).toBe("有限责任公司");
    await page.getByRole("button", { name: "下一步" }).click();
    await see(page.getByRole("heading", { level: 2, name: "企业基本信息" }));
    expect(await step2Field.name(page).inputValue()).toBe(company);
    expect(await step2Field.creditCode(page).inputValue()).toBe(data.creditCode);
    expect(await step2Field.address(page).inputValue()).toBe(data.address);
    expect(await step2Field.legalIdNumber(page).inputValue()).toBe(WRONG_ID);
    expect(await step2Field.city(page).locator("option:checked").innerText()).toBe("南宁市");
    await see(page.getByText("已上传：营业执照.pdf"));
    await page.getByLabel("重新上传营业执照（可选）").waitFor();

    // Corrected; the licence is not uploaded again.
    await step2Field.legalIdNumber(page).fill(data.legalIdNumber);
    await page.getByRole("button", { name: "下一步" }).click();

    // Step 3: no 经办人.
    await see(page.getByRole("heading", { level: 2, name: "指定经办人" }));
    expect(await currentStep(page).innerText()).toContain("指定经办人");
    expect(await page.getByLabel("经办人姓名（选填）").inputValue()).toBe("");
    await page.getByRole("button", { name: "下一步" }).click();

    // 企业信息认证: 待审核
    await see(heading(page, "企业信息认证"));
    await see(flashMessage(page, "企业信息认证已提交，状态为待审核"));
    await see(statusHeading(page, "待审核"));
    await see(page.getByText("审核期间不能修改"));
    const facts = page.locator("section").filter({ has: page.getByRole("heading", { level: 2, name: "提交的信息" }) });
    await see(facts.getByRole("definition").filter({ hasText: data.creditCode }));
    await see(facts.getByRole("definition").filter({ hasText: "未指定（由法定代表人办理）" }));
    await see(page.getByText("提交企业信息认证", { exact: true }));

    // 管理端, in another browser context: the reviewer finds the application, checks it and approves it.
    const rev = await e2e.open(js);
    const admin = rev.page;
    await signInAdmin(admin, "reviewer");
    await openApplication(admin, data.creditCode, company);
    await see(admin.getByRole("heading", { level: 2, name: "状态：待审核" }));
    await see(admin.getByRole("heading", { level: 3, name: "自动检查" }));
    await see(admin.getByText("统一社会信用代码校验位：通过", { exact: true }));
    await see(admin.getByText("重复认证：该代码未被其他企业认证", { exact: true }));
    await see(admin.getByText("企业划型：企业选择 中型，系统建议 中型", { exact: true }));
    await see(admin.getByRole("definition").filter({ hasText: "张三，身份证 11010519491231002X，手机 13800000001" }));

    // The licence downloads as an attachment with its original name and bytes.
    const licence = admin.getByRole("link", { name: /^下载（营业执照\.pdf，1 KB）$/ });
    const href = (await licence.getAttribute("href")) ?? "";
    expect(href).toMatch(/^\/admin\/files\/[\w-]+$/);
    const res = await admin.request.get(href);
    expect(res.status()).toBe(200);
    expect(res.headers()["content-disposition"]).toMatch(/^attachment;/);
    expect(res.headers()["content-type"]).toBe("application/pdf");
    expect(Buffer.from(await res.body())).toEqual(LICENCE_PDF.buffer);
    const [download] = await Promise.all([admin.waitForEvent("download"), licence.click()]);
    expect(download.suggestedFilename()).toBe("营业执照.pdf");
    expect(await readFile((await download.path())!)).toEqual(LICENCE_PDF.buffer);

    await admin.getByRole("button", { name: "通过", exact: true }).click();
    await see(flashMessage(admin, "已通过该企业的认证"));
    await see(admin.getByRole("heading", { level: 2, name: "状态：已认证" }));
    expect(await admin.getByRole("button", { name: "通过", exact: true }).count()).toBe(0);

    // The enterprise reloads 企业信息认证 and sees 已认证.
    await page.reload();
    await see(statusHeading(page, "已认证"));
    await see(page.getByText("企业信息已通过平台认证。", { exact: true }));
    await see(page.getByText("企业信息认证通过", { exact: true }));

    // 支付认证
    await page.getByRole("navigation", { name: "基本信息" }).getByRole("link", { name: "支付认证" }).click();
    await see(heading(page, "支付认证"));
    let accountNumber = "622202";
    while (accountNumber.length < 15) accountNumber += Math.floor(Math.random() * 10);
    accountNumber += "1234";
    await page.getByLabel("银行开户名").fill(company);
    await page.getByLabel("开户银行").fill("中国工商银行");
    await page.getByLabel("开户所在地").selectOption({ label: "广西 南宁市" });
    await page.getByLabel("开户支行名称").fill("南宁民族大道支行");
    await page.getByLabel("银行账号").fill(accountNumber);
    await page.getByRole("button", { name: "保存" }).click();
    await see(flashMessage(page, "支付认证信息已保存"));
    const current = page.getByText(/^当前账户：/);
    await see(current);
    const line = await current.innerText();
    expect(line).toContain("中国工商银行 **** **** 1234");
    expect(line).not.toContain(accountNumber.slice(0, 8));
  });
});

describe("企业信息认证 rejected, with JavaScript on", () => {
  it("the reviewer 驳回 with a reason; the enterprise sees 已驳回 and the reason, and 修改后重新提交 opens the form prefilled", async () => {
    const ent = await e2e.open(true);
    const { page } = ent;
    const company = "钦州育强船舶配件有限公司";
    const data = step2Input(company, { staffCount: "80", revenueWan: "900", city: "钦州市", district: "钦南区", address: "钦南区滨海大道8号" });
    await signUp(ent, randomPhone(), company);
    await submitCertification(page, data);

    const rev = await e2e.open(true);
    const admin = rev.page;
    await signInAdmin(admin, "reviewer");
    await openApplication(admin, data.creditCode, company);
    await see(admin.getByText("企业划型：企业选择 小型，系统建议 小型", { exact: true }));
    // 驳回 needs a reason.
    await admin.getByRole("button", { name: "驳回" }).click();
    await see(errorSummary(admin).getByRole("link", { name: "驳回时请填写驳回原因（至少2个字）" }));
    const reason = "营业执照扫描件不清晰，请重新上传";
    await admin.getByLabel("审核意见（驳回时必填）").fill(reason);
    await admin.getByRole("button", { name: "驳回" }).click();
    await see(flashMessage(admin, "已驳回该企业的认证"));
    await see(admin.getByRole("heading", { level: 2, name: "状态：已驳回" }));

    await page.reload();
    await see(statusHeading(page, "已驳回"));
    await see(page.getByText(`驳回原因：${reason}`, { exact: true }));
    await page.getByRole("link", { name: "修改后重新提交" }).click();

    // Step 1 and step 2 start from what was submitted.
    expect(await page.getByRole("radio", { name: "制造业企业" }).isChecked()).toBe(true);
    expect(await page.getByLabel("企业类型").locator("option:checked").innerText()).toBe("有限责任公司");
    await page.getByRole("button", { name: "下一步" }).click();
    await see(page.getByRole("heading", { level: 2, name: "企业基本信息" }));
    expect(await step2Field.name(page).inputValue()).toBe(company);
    expect(await step2Field.creditCode(page).inputValue()).toBe(data.creditCode);
    expect(await step2Field.staffCount(page).inputValue()).toBe("80");
    expect(await step2Field.city(page).locator("option:checked").innerText()).toBe("钦州市");
    expect(await step2Field.district(page).locator("option:checked").innerText()).toBe("钦南区");
    expect(await step2Field.address(page).inputValue()).toBe(data.address);
    expect(await step2Field.legalIdNumber(page).inputValue()).toBe(data.legalIdNumber);
    await see(page.getByText("已上传：营业执照.pdf"));

    // Resubmitted with a new licence: 待审核 again.
    await page.getByLabel("重新上传营业执照（可选）").setInputFiles({ ...LICENCE_PDF, name: "营业执照-清晰版.pdf" });
    await page.getByRole("checkbox", { name: "已阅读并同意《用户服务协议》" }).check();
    await page.getByRole("button", { name: "下一步" }).click();
    await see(page.getByRole("heading", { level: 2, name: "指定经办人" }));
    await page.getByRole("button", { name: "下一步" }).click();
    await see(statusHeading(page, "待审核"));
  });
});
