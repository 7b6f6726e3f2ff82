import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type BrowserSuite,
  LICENCE_PDF,
  type Tab,
  YEAR,
  browserSuite,
  errorSummary,
  fillStep1,
  fillStep2,
  openApplication,
  openTab,
  randomPhone,
  see,
  signInAdmin,
  signInWithPassword,
  signUp,
  step2Field,
  step2Input,
  SHOTS,
} from "./support.ts";
import { legalOf, passFace } from "../support/signing.ts";

/**
 * Layout at a desktop width and at a small phone (360 px): every page fits the screen without
 * sideways scrolling (a wide table scrolls inside its own .table-wrap), controls are big enough to
 * tap, every input, select and textarea has a visible label of its own, the page says lang="zh-CN",
 * the captcha and SMS-code rows stay on one line, and content does not stick to the navigation bar. tests/e2e/layout-desktop.test.ts and
 * layout-phone.test.ts run it at each width. Set E2E_SHOTS_DIR to also save a
 * full-page PNG of each (outside the repository, e.g. /tmp/shots).
 */

// Demo data: the 管理端 pages need the demo reviewer, and the queue then has rows like in use.
let e2e: BrowserSuite;

/**
 * 支付管理 and 对账 need money on the books: one demo order's deposit as the channel confirmed it, a
 * refund of part of it and a failed attempt, seeded as rows (the payment path itself is tested in
 * tests/integration/payments-*.test.ts). The mock channel knows none of them, so 对账 lists differences.
 */
async function paymentRows(): Promise<void> {
  const { deps } = e2e.server.t;
  const [o] = await deps.db.query<{ id: string; number: string }>("select id, number from orders order by created_at limit 1");
  const digits = o!.number.replace(/\D/g, "");
  const at = new Date();
  const insert = (no: string, status: string, paid: boolean) =>
    deps.db.query<{ id: string }>(
      `insert into payments (order_id, order_number, kind, payment_no, provider, amount_fen, status, gateway_payment_id, payer_name, payer_bank,
         payer_last4, payee_name, payee_bank, payee_last4, expires_at, created_at, paid_at, ended_at)
       values ($1, $2, 'deposit', $3, 'mock', 80000, $4, $5, '广西南宁示例机械制造有限公司', '中国工商银行南宁演示支行', '0001',
         '广西示例检验检测技术有限公司', '中国工商银行南宁演示支行', '0008', $6, $6, $7, $6) returning id`,
      [o!.id, o!.number, no, status, paid ? "tx_4f1c2a9e8b7d6c5a4f3e2d1c" : null, at, paid ? at : null],
    );
  await insert(`P${digits}D1`, "failed", false);
  const [paid] = await insert(`P${digits}D2`, "succeeded", true);
  await deps.db.query(
    `insert into refunds (payment_id, order_id, refund_no, amount_fen, reason, cause, status, accepted_at, created_at)
     values ($1, $2, $3, 50000, '协商终止：项目取消', 'termination', 'processing', $4, $4)`,
    [paid!.id, o!.id, `R${digits}D2R1`, at],
  );
}

type Metrics = {
  viewport: number;
  scrollWidth: number;
  lang: string;
  unlabelled: string[];
  gapBelowHeader: number;
  small: string[];
  rows: { name: string; spread: number }[];
  /** Order lists (.stack-table) that scroll sideways inside their .table-wrap. */
  scrollingTables: string[];
};

/** Measures what the user sees: overflow, target sizes (WCAG 2.5.8: 24 px; 44 px for form controls on a phone), row alignment. */
function measure(page: Page, phone: boolean): Promise<Metrics> {
  return page.evaluate((phone) => {
    const visible = (el: Element) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden";
    };
    const label = (el: Element) => `${el.tagName.toLowerCase()} "${(el.textContent || el.getAttribute("name") || "").trim().slice(0, 20)}"`;
    const small: string[] = [];
    const targets =
      "button, a.button, input:not([type=hidden]), select, textarea, summary, .top-links a, .main-nav a, .tabs a, .side-menu a, .captcha-row a, .row-action a";
    for (const el of document.querySelectorAll(targets)) {
      if (!visible(el)) continue;
      // A list's 查看 link is a word in a table cell on a wide screen; on a phone the row is a card and the link its button.
      if (!phone && el.matches(".row-action a")) continue;
      // A radio or checkbox inside its label is tapped anywhere on the label.
      const r = ((el.matches("input[type=radio], input[type=checkbox]") && el.closest("label")) || el).getBoundingClientRect();
      const min =
        phone && el.matches("button:not(.link-button), a.button, input, select, textarea, summary, .side-menu a, .captcha-row a, .row-action a") ? 44 : 24;
      if (r.height < min - 0.5 || r.width < 24) small.push(`${label(el)} ${Math.round(r.width)}x${Math.round(r.height)} (< ${min})`);
    }
    // WCAG 1.3.1/3.3.2: a <label> tied to the control (for= or wrapping it) that is shown and says something.
    // Behind a modal dialog the page is inert: only the dialog's fields count then.
    const scope = document.querySelector("dialog:modal") ?? document;
    const unlabelled = [...scope.querySelectorAll<HTMLInputElement>("input:not([type=hidden]), select, textarea")]
      .filter((el) => visible(el) && ![...(el.labels ?? [])].some((l) => visible(l) && (l.textContent ?? "").trim() !== ""))
      .map((el) => `${el.tagName.toLowerCase()} ${el.name || el.id}`);
    const rows = [...document.querySelectorAll(".captcha-row, .code-row")].filter(visible).map((row) => {
      const centres = [...row.children].filter(visible).map((c) => {
        const r = c.getBoundingClientRect();
        return r.top + r.height / 2;
      });
      return { name: row.className, spread: Math.max(...centres) - Math.min(...centres) };
    });
    const scrollingTables = [...document.querySelectorAll(".table-wrap")]
      .filter((w) => w.querySelector(".stack-table") && w.scrollWidth > w.clientWidth)
      .map((w) => `${w.querySelector("caption")?.textContent ?? "table"} ${w.scrollWidth} > ${w.clientWidth}`);
    const header = document.querySelector(".site-header")!.getBoundingClientRect();
    const first = document.querySelector("main")!.firstElementChild!;
    return {
      viewport: window.innerWidth,
      scrollWidth: document.documentElement.scrollWidth,
      lang: document.documentElement.lang,
      unlabelled,
      gapBelowHeader: first.getBoundingClientRect().top - header.bottom,
      small,
      rows,
      scrollingTables,
    };
  }, phone);
}

/** Demo enterprise 1 (中型) holds the demo 通用券 (去使用) and may apply for the 设备更新专项券. */
const VOUCHER_PHONE = "13800000001";
const VOUCHER_COMPANY = "广西南宁示例机械制造有限公司";
const PENDING_SPECIAL = `${YEAR}年度数字化改造专项券`;

/**
 * Set up once through the services (not what is measured here), so 服务券配额申请 of demo
 * enterprise 1 shows a card in every state: 去使用, 服务券配额申请, 待审核 (a 专项券 with a contract,
 * also the 管理端 detail page), 已驳回 with its reason, 已过期 and 未开放申请.
 */
async function voucherStates(): Promise<void> {
  const { deps } = e2e.server.t;
  const [admin] = await deps.db.query<{ id: string }>("select id from admin_users where username = 'admin'");
  const [reviewer] = await deps.db.query<{ id: string }>("select id from admin_users where username = 'reviewer'");
  const [account] = await deps.db.query<{ id: string }>("select id from accounts where phone = $1", [VOUCHER_PHONE]);
  const must = <T>(r: { ok: true; value: T } | { ok: false; errors: unknown }): T => {
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    return r.value;
  };
  const programme = async (year: number, name: string, kind: "general" | "special", applyYear = year) =>
    must(
      await deps.vouchers.saveProgramme({ id: admin!.id, role: "super_admin" }, null, {
        year,
        kind,
        name,
        description: "",
        status: "open",
        isExample: true,
        subsidyRateBp: 4000,
        perOrderCapFen: 3_000_000,
        quotaLargeFen: 5_000_000,
        quotaMediumFen: 3_000_000,
        quotaSmallFen: 2_000_000,
        quotaMicroFen: 500_000,
        specialMinFen: 500_000,
        specialMaxFen: 10_000_000,
        requiresDocuments: true,
        applyFrom: `${applyYear}-01-01`,
        applyTo: `${applyYear}-12-31`,
        validFrom: `${year}-01-01`,
        validTo: `${year}-12-31`,
        categories: ["digital", "iiot", "quality"],
      }),
    ).id;
  const pending = await programme(YEAR, PENDING_SPECIAL, "special");
  must(
    await deps.vouchers.apply(account!.id, pending, {
      amountFen: 8_000_000,
      documents: [{ name: "数字化改造服务合同.pdf", bytes: new Uint8Array(LICENCE_PDF.buffer) }],
    }),
  );
  const rejected = await programme(YEAR, `${YEAR}年度质量提升通用券`, "general");
  const applied = must(await deps.vouchers.apply(account!.id, rejected, {}));
  must(
    await deps.vouchers.decide({ id: reviewer!.id, role: "reviewer" }, applied.applicationId, {
      decision: "reject",
      reason: "企业划型与上年度统计数据不符，请核实后重新申请",
    }),
  );
  await programme(YEAR - 1, `${YEAR - 1}年度通用券`, "general");
  await programme(YEAR + 1, `${YEAR + 1}年度通用券`, "general");
}

/** The whole layout suite at one width; each width is its own test file, so the two run in parallel. */
export function layoutAt(width: number): void {
  e2e = browserSuite({ demo: true });
  beforeAll(async () => {
    await voucherStates();
    await paymentRows();
  });
  describe(`layout at ${width} px wide`, () => {
    let anon: Tab;
    let member: Tab;
    beforeAll(async () => {
      // Kept open for all tests at this width (closed below), so not e2e.open.
      anon = await openTab(e2e.browser, e2e.server.baseUrl, { width, height: 800 });
      member = await openTab(e2e.browser, e2e.server.baseUrl, { width, height: 800 });
      await signUp(member, randomPhone(), "广西南宁某某智能装备制造股份有限公司");
      member.problems.length = 0;
    });
    afterAll(async () => {
      await anon?.context.close();
      await member?.context.close();
    });
    afterEach(() => {
      const problems = [...anon.problems, ...member.problems];
      anon.problems.length = 0;
      member.problems.length = 0;
      expect(problems).toEqual([]);
    });

    async function check(page: Page, heading: string, shot: string) {
      await see(page.getByRole("heading", { level: 1, name: heading, exact: true }));
      if (SHOTS) await page.screenshot({ path: `${SHOTS}/${shot}-${width}.png`, fullPage: true, caret: "initial" });
      const m = await measure(page, width < 600);
      expect(m.viewport).toBe(width);
      expect(m.scrollWidth, "no sideways scrolling").toBeLessThanOrEqual(width);
      expect(m.scrollingTables, "order lists fit without scrolling inside").toEqual([]);
      expect(m.small, "tap targets too small").toEqual([]);
      expect(m.unlabelled, "fields without a visible label").toEqual([]);
      expect(m.lang).toBe("zh-CN");
      for (const row of m.rows) expect(row.spread, `${row.name} on one line`).toBeLessThan(8);
      expect(m.gapBelowHeader, "content does not touch the navigation bar").toBeGreaterThanOrEqual(8);
      return m;
    }

    it.each([
      ["/", "广西制造业企业培优育强服务券管理平台", "home"],
      ["/register", "注册", "register"],
      ["/login", "登录", "login"],
      ["/login?tab=sms", "登录", "login-sms"],
      ["/admin/login", "管理端登录", "admin-login"],
      // The lists with no filter in use: 筛选 folded on a phone.
      ["/services", "全部服务", "services"],
      ["/services/general", "通用券服务", "services-general-folded"],
      ["/services/special", "专项券服务", "services-special"],
    ])("%s", async (path, heading, shot) => {
      await anon.page.goto(path);
      await check(anon.page, heading, shot);
    });

    it("/register after submitting it empty (422 with the error summary)", async () => {
      const { page } = anon;
      await page.goto("/register");
      await page.getByRole("button", { name: "立即注册" }).click();
      await see(page.getByRole("heading", { name: "请修改以下问题" }));
      const m = await check(page, "注册", "register-422");
      expect(m.rows.map((r) => r.name).sort()).toEqual(["captcha-row", "code-row"]);
    });

    it("/me (signed in)", async () => {
      await member.page.goto("/me");
      await check(member.page, "个人中心", "me");
      await see(member.page.getByRole("link", { name: "去企业信息认证" }));
    });

    it("/me/password (signed in)", async () => {
      await member.page.goto("/me/password");
      await check(member.page, "设置密码", "password");
      await see(member.page.getByLabel("确认新密码"));
    });

    it("企业信息认证: steps 1-3 (and step 2 with errors), 待审核, 管理端 queue and detail, 已认证, 支付认证", async () => {
      // An enterprise of its own, so the pages above keep seeing an uncertified one.
      const ent = await e2e.open(true, { width, height: 800 });
      const rev = await e2e.open(true, { width, height: 800 });
      const company = "广西南宁某某智能装备制造股份有限公司";
      const data = step2Input(company);
      const { page } = ent;
      await signUp(ent, randomPhone(), company);
      await page.getByRole("link", { name: "去企业信息认证" }).click();
      await check(page, "企业信息认证", "cert-step1");
      await fillStep1(page);
      await page.getByRole("button", { name: "下一步" }).click();

      await see(page.getByRole("heading", { level: 2, name: "企业基本信息" }));
      await check(page, "企业信息认证", "cert-step2");
      await fillStep2(page, { ...data, legalIdNumber: "110105194912310021", legalPhone: "1380000" });
      await page.getByRole("button", { name: "下一步" }).click();
      await see(errorSummary(page));
      await check(page, "企业信息认证", "cert-step2-422");

      await step2Field.legalIdNumber(page).fill(data.legalIdNumber);
      await step2Field.legalPhone(page).fill(data.legalPhone);
      await page.getByLabel("上传营业执照").setInputFiles(LICENCE_PDF);
      await page.getByRole("checkbox", { name: "已阅读并同意《用户服务协议》" }).check();
      await page.getByRole("button", { name: "下一步" }).click();
      await see(page.getByRole("heading", { level: 2, name: "指定经办人" }));
      await check(page, "企业信息认证", "cert-step3");
      await page.getByRole("button", { name: "下一步" }).click();
      await see(page.getByRole("heading", { level: 2, name: "认证状态：待审核" }));
      await check(page, "企业信息认证", "cert-pending");

      await signInAdmin(rev.page, "reviewer");
      await rev.page.goto("/admin/certifications");
      await check(rev.page, "企业认证审核", "admin-certifications");
      await openApplication(rev.page, data.creditCode, company);
      await check(rev.page, `企业认证详情：${company}`, "admin-certification");
      await rev.page.getByRole("button", { name: "通过", exact: true }).click();
      await see(rev.page.getByRole("heading", { level: 2, name: "状态：已认证" }));

      await page.reload();
      await see(page.getByRole("heading", { level: 2, name: "认证状态：已认证" }));
      await check(page, "企业信息认证", "cert-certified");

      await page.goto("/me/payment-account");
      await check(page, "支付认证", "payment-account");
      await page.getByLabel("银行开户名").fill(company);
      await page.getByLabel("开户银行").fill("中国工商银行");
      await page.getByLabel("开户所在地").selectOption({ label: "广西 南宁市" });
      await page.getByLabel("开户支行名称").fill("南宁民族大道支行");
      await page.getByLabel("银行账号").fill("6222020200112231234");
      await page.getByRole("button", { name: "保存" }).click();
      await see(page.getByText(/^当前账户：中国工商银行 \*{4} \*{4} 1234/));
      await check(page, "支付认证", "payment-account-saved");
    });
    it("服务券: 服务券配额申请 (cards in every state), the apply dialogs (and 422), 我的服务券; 管理端 券种管理, 编辑券种, 年度额度分配, 服务券配额审核 and the detail", async () => {
      const ent = await e2e.open(true, { width, height: 800 });
      const adm = await e2e.open(true, { width, height: 800 });
      const { page } = ent;
      await signInWithPassword(page, VOUCHER_PHONE);
      await page.getByRole("navigation", { name: "个人中心菜单" }).getByRole("link", { name: "服务券配额申请" }).click();
      await see(page.getByRole("heading", { level: 1, name: "服务券配额申请" }));
      const card = (name: string) => page.getByRole("region", { name: new RegExp(`^${name} `) });
      await see(card(`${YEAR}年度通用券`).getByRole("link", { name: "去使用" }));
      await see(card(`${YEAR}年度设备更新专项券`).getByRole("link", { name: "服务券配额申请" }));
      await see(card(PENDING_SPECIAL).getByText("待审核", { exact: true }));
      await see(card(`${YEAR}年度质量提升通用券`).getByText("已驳回：企业划型与上年度统计数据不符，请核实后重新申请"));
      await see(card(`${YEAR - 1}年度通用券`).getByText("已过期", { exact: true }));
      await see(card(`${YEAR + 1}年度通用券`).getByText("未开放申请", { exact: true }));
      await check(page, "服务券配额申请", "quota");

      // 重新申请 on the rejected 通用券: the dialog loads into the page (htmx).
      await card(`${YEAR}年度质量提升通用券`).getByRole("link", { name: "重新申请" }).click();
      await see(page.getByRole("dialog").getByRole("button", { name: "确定配额申请" }));
      await check(page, "服务券配额申请", "quota-apply-general");

      // The 专项券 dialog as a page of its own, then with an amount outside the limits.
      const special = card(`${YEAR}年度设备更新专项券`).getByRole("link", { name: "服务券配额申请" });
      await page.goto((await special.getAttribute("href"))!);
      await see(page.getByRole("dialog").getByLabel("申领额度（元）"));
      await check(page, "服务券配额申请", "quota-apply-special");
      await page.getByLabel("申领额度（元）").fill("9000");
      await page.getByLabel("相关合同凭证").setInputFiles({ ...LICENCE_PDF, name: "设备购置合同.pdf" });
      await page.getByRole("button", { name: "确定申领" }).click();
      await see(errorSummary(page));
      await check(page, "服务券配额申请", "quota-apply-special-422");

      await page.getByRole("navigation", { name: "个人中心菜单" }).getByRole("link", { name: "我的服务券" }).click();
      await see(page.getByText("¥60,000.00").first());
      await page.getByText(/^额度明细/).click();
      await check(page, "我的服务券", "vouchers");
      // 去使用: 通用券服务 filtered to what the voucher pays for, saying so.
      await page.getByRole("link", { name: "去使用" }).first().click();
      await see(page.getByRole("heading", { level: 2, name: `按服务券筛选：${YEAR}年度通用券` }));
      await see(page.getByRole("link", { name: "清除服务券筛选，查看全部服务" }));
      await check(page, "通用券服务", "services-voucher");

      const admin = adm.page;
      await signInAdmin(admin, "admin");
      await admin.getByRole("link", { name: "券种管理" }).click();
      await check(admin, "券种管理", "admin-programmes");
      const row = admin.getByRole("row").filter({ has: admin.getByRole("cell", { name: new RegExp(`^${YEAR}年度通用券`) }) });
      await row.getByRole("link", { name: "编辑" }).click();
      await check(admin, "编辑券种", "admin-programme-form");
      await admin.goBack();
      await row.getByRole("link", { name: "年度额度分配" }).click();
      await check(admin, `年度额度分配：${YEAR}年度通用券`, "admin-allocation");
      await admin.goto("/admin/quota");
      await check(admin, "服务券配额审核", "admin-quota");
      await admin.getByRole("row").filter({ hasText: PENDING_SPECIAL }).getByRole("link", { name: "审核" }).click();
      await see(admin.getByRole("link", { name: "数字化改造服务合同.pdf" }));
      await check(admin, `配额申请：${VOUCHER_COMPANY}`, "admin-quota-detail");
    });
    it("服务目录: 通用券服务 (filtered), product detail (anonymous and enterprise 1), 申请成为服务商 (form, 422, 待审核), 服务产品, the product form (and 422), 预览; 管理端 服务商审核, 服务商管理, 服务产品审核 and the detail, 服务类别与负面清单; the provider page", async () => {
      const ent = await e2e.open(true, { width, height: 800 });
      const pro = await e2e.open(true, { width, height: 800 });
      const adm = await e2e.open(true, { width, height: 800 });
      // Public: the list with a filter applied, a product as anonymous and as demo enterprise 1 (its 通用券 deducts).
      const { page: anonPage } = anon;
      await anonPage.goto("/services/general?category=digital&sort=price_asc");
      await see(anonPage.getByText(/^共 \d+ 个服务产品$/));
      await check(anonPage, "通用券服务", "services-general");
      const product = anonPage.locator("#results").getByRole("link", { name: "产线数字化改造方案设计" });
      const productPath = (await product.getAttribute("href"))!;
      await product.click();
      await see(anonPage.getByRole("region", { name: "服务券抵扣" }).getByRole("link", { name: "登录" }));
      await check(anonPage, "产线数字化改造方案设计", "product-anonymous");
      await anonPage.getByRole("link", { name: "广西示例智能制造服务有限公司" }).click();
      await see(anonPage.getByText("平台入库服务商", { exact: true }));
      await check(anonPage, "广西示例智能制造服务有限公司", "provider-public");

      await signInWithPassword(ent.page, VOUCHER_PHONE);
      await ent.page.goto(productPath);
      await see(ent.page.getByText("补贴券抵扣金额", { exact: true }).first());
      await check(ent.page, "产线数字化改造方案设计", "product-enterprise");

      // 申请成为服务商 by a certified enterprise that is not a provider (a different one at each width).
      const applicant = pro.page;
      await signInWithPassword(applicant, width === 1280 ? "13800000004" : "13800000003");
      await applicant.getByRole("navigation", { name: "个人中心菜单" }).getByRole("link", { name: "申请成为服务商" }).click();
      await check(applicant, "申请成为服务商", "provider-application");
      await applicant.getByRole("button", { name: "提交申请" }).click();
      await see(errorSummary(applicant));
      await check(applicant, "申请成为服务商", "provider-application-422");
      await applicant.getByRole("group", { name: "服务类别" }).getByRole("checkbox", { name: "检验检测" }).check();
      await applicant.getByRole("group", { name: "服务区域" }).getByRole("checkbox", { name: "广西全区" }).check();
      await applicant.getByLabel("机构简介").fill("提供产品检验检测与质量体系咨询服务，拥有实验室两处、检测工程师十余名。");
      await applicant.getByLabel("联系人").fill("王五");
      await applicant.getByLabel("资质证明材料").setInputFiles({ ...LICENCE_PDF, name: "CMA资质证书.pdf" });
      await applicant.getByLabel("上一年度为企业提供服务的合同").setInputFiles({ ...LICENCE_PDF, name: "检测服务合同.pdf" });
      await applicant.getByRole("button", { name: "提交申请" }).click();
      await see(applicant.getByText("待审核", { exact: true }));
      await check(applicant, "申请成为服务商", "provider-application-pending");

      // 服务机构中心 of demo provider 7: 服务产品, the form empty (422) and filled, 预览, 提交审核.
      const provider = ent.page;
      await provider.context().clearCookies();
      await signInWithPassword(provider, "13800000007");
      await provider.goto("/provider");
      await check(provider, "服务机构中心", "provider-home");
      await provider.getByRole("main").getByRole("link", { name: "服务产品", exact: true }).click();
      await check(provider, "服务产品", "provider-products");
      await provider.getByRole("main").getByRole("link", { name: "发布服务产品" }).click();
      await provider.getByLabel("产品名称").fill("诊断");
      await provider.getByRole("button", { name: "保存草稿" }).click();
      await see(errorSummary(provider));
      await check(provider, "发布服务产品", "product-form-422");
      const title = `工业软件应用推广服务（${width}）`;
      await provider.getByLabel("产品名称").fill(title);
      await provider.getByLabel("服务类别").selectOption({ label: "数字化改造" });
      await provider.getByLabel("价格（元）").fill("36000");
      await provider
        .getByLabel("服务内容（功能介绍）")
        .fill("为企业选型、部署和推广工业软件，开展操作培训与上线辅导，帮助一线人员用好系统，提升生产计划与质量追溯的数字化水平。");
      await provider.getByLabel("交付清单").fill("软件选型报告；培训记录；上线辅导记录");
      await provider.getByLabel("验收标准").fill("系统在约定产线稳定运行30天");
      await provider.getByRole("button", { name: "保存草稿" }).click();
      await see(provider.getByRole("heading", { level: 2, name: "状态：草稿" }));
      await check(provider, "编辑服务产品", "product-form-draft");
      await provider.getByRole("link", { name: "预览" }).click();
      await check(provider, title, "product-preview");
      await provider.getByRole("link", { name: "返回编辑" }).click();
      await provider.getByRole("button", { name: "提交审核" }).click();
      await see(provider.getByRole("heading", { level: 2, name: "状态：待审核" }));
      await check(provider, "编辑服务产品", "product-form-pending");

      const admin = adm.page;
      await signInAdmin(admin, "admin");
      await admin.goto("/admin/providers");
      await see(
        admin
          .getByRole("cell", { name: "桂林示例电子科技有限公司" })
          .or(admin.getByRole("cell", { name: "梧州示例陶瓷制品有限公司" }))
          .first(),
      );
      await check(admin, "服务商审核", "admin-providers");
      await admin
        .getByRole("row")
        .filter({ hasText: width === 1280 ? "梧州示例陶瓷制品有限公司" : "桂林示例电子科技有限公司" })
        .getByRole("link", { name: "审核" })
        .click();
      await see(admin.getByRole("link", { name: "CMA资质证书.pdf" }));
      await check(admin, `服务商申请：${width === 1280 ? "梧州示例陶瓷制品有限公司" : "桂林示例电子科技有限公司"}`, "admin-provider-application");
      await admin.goto("/admin/providers/list");
      await check(admin, "服务商管理", "admin-providers-list");
      await admin.goto("/admin/products");
      await check(admin, "服务产品审核", "admin-products");
      await admin.getByRole("row").filter({ hasText: title }).getByRole("link", { name: "审核" }).click();
      await check(admin, title, "admin-product");
      await admin.goto("/admin/catalog-settings");
      await check(admin, "服务类别与负面清单", "admin-catalog-settings");
    }, 60_000);
    it("订单: 订单详情 (and 422), 我购买的服务 with its tabs, an order with its timeline, 取消订单 as a page and as a dialog (JavaScript on and off)", async () => {
      const [row] = await e2e.server.t.deps.db.query<{ product_id: string }>(
        "select product_id from product_listings where title = '金属材料力学性能检测'",
      );
      for (const js of [true, false]) {
        const { page } = await e2e.open(js, { width, height: 800 });
        const suffix = js ? "js" : "nojs";
        // Demo enterprise 2: enterprise 1's vouchers are measured above as they are.
        await signInWithPassword(page, "13800000002");
        await page.goto(`/me/orders/new?product=${row!.product_id}`);
        await check(page, "订单详情", `order-new-${suffix}`);
        await page.goto(`/me/orders/new?product=${row!.product_id}&quantity=1000`);
        await see(errorSummary(page));
        await check(page, "订单详情", `order-new-422-${suffix}`);
        await page.getByLabel("数量（批）").fill("1");
        await page.getByRole("button", { name: "提交订单" }).click();
        const title = page.getByRole("heading", { level: 1, name: /^订单 DD\d{14}$/ });
        await see(title);
        const name = await title.innerText();
        await check(page, name, `order-${suffix}`);
        await page.getByRole("link", { name: "取消订单" }).click();
        if (js) {
          const dialog = page.getByRole("dialog", { name: `取消${name}` });
          await see(dialog);
          if (SHOTS) await page.screenshot({ path: `${SHOTS}/order-cancel-dialog-${width}.png`, caret: "initial" });
          const box = (await dialog.boundingBox())!;
          expect(box.x).toBeGreaterThanOrEqual(0);
          expect(box.x + box.width).toBeLessThanOrEqual(width);
          const m = await measure(page, width < 600);
          expect(m.scrollWidth, "no sideways scrolling").toBeLessThanOrEqual(width);
          expect(m.small, "tap targets too small").toEqual([]);
          expect(m.unlabelled, "fields without a visible label").toEqual([]);
        } else {
          await check(page, "取消订单", "order-cancel");
        }
        await page.getByRole("button", { name: "确定取消订单" }).click();
        await see(page.getByRole("heading", { level: 2, name: "订单状态：订单取消" }));
        await check(page, name, `order-cancelled-${suffix}`);
        await page.goto("/me/orders");
        await check(page, "我购买的服务", `orders-${suffix}`);
        await page.goto("/me/orders?tab=cancelled");
        await check(page, "我购买的服务", `orders-cancelled-${suffix}`);
      }
    }, 90_000);
    it("订单管理 of a provider: the tabs, an order with 接单 and 拒单, 拒单 as a page and as a dialog (JavaScript on and off), an accepted order", async () => {
      const { deps } = e2e.server.t;
      const [row] = await deps.db.query<{ product_id: string }>("select product_id from product_listings where title = '金属材料力学性能检测'");
      const [buyer] = await deps.db.query<{ id: string }>("select id from accounts where phone = '13800000002'");
      /** An order of demo enterprise 2 without a voucher (its vouchers are measured elsewhere as they are). */
      const submitted = async () => {
        const p = await deps.orders.orderPage(buyer!.id, row!.product_id);
        if (!p.ok) throw new Error(JSON.stringify(p.errors));
        const s = await deps.orders.submit(buyer!.id, { productId: row!.product_id, useVoucher: false, submissionKey: p.value.submissionKey });
        if (!s.ok) throw new Error(JSON.stringify(s.errors));
        return s.value.order;
      };
      for (const js of [true, false]) {
        const suffix = js ? "js" : "nojs";
        const declined = await submitted();
        const accepted = await submitted();
        const { page } = await e2e.open(js, { width, height: 800 });
        await signInWithPassword(page, "13800000008");
        await page.goto("/provider");
        await page.getByRole("main").getByRole("link", { name: "订单管理", exact: true }).click();
        await check(page, "订单管理", `provider-orders-${suffix}`);
        await page.goto("/provider/orders?tab=pending");
        await check(page, "订单管理", `provider-orders-pending-${suffix}`);
        await page.goto(`/provider/orders/${declined.id}`);
        await check(page, `订单 ${declined.number}`, `provider-order-${suffix}`);
        await page.getByRole("link", { name: "拒单", exact: true }).click();
        if (js) {
          const dialog = page.getByRole("dialog", { name: `拒单 ${declined.number}` });
          await see(dialog);
          if (SHOTS) await page.screenshot({ path: `${SHOTS}/provider-order-decline-dialog-${width}.png`, caret: "initial" });
          const box = (await dialog.boundingBox())!;
          expect(box.x).toBeGreaterThanOrEqual(0);
          expect(box.x + box.width).toBeLessThanOrEqual(width);
          const m = await measure(page, width < 600);
          expect(m.scrollWidth, "no sideways scrolling").toBeLessThanOrEqual(width);
          expect(m.small, "tap targets too small").toEqual([]);
          expect(m.unlabelled, "fields without a visible label").toEqual([]);
        } else {
          await check(page, "拒单", "provider-order-decline");
          await page.getByRole("button", { name: "确定拒单" }).click();
          await see(errorSummary(page));
          await check(page, "拒单", "provider-order-decline-422");
        }
        await page.getByLabel("拒单原因").fill("本月检测排期已满");
        await page.getByRole("button", { name: "确定拒单" }).click();
        await see(page.getByRole("heading", { level: 2, name: "订单状态：已拒单" }));
        await check(page, `订单 ${declined.number}`, `provider-order-declined-${suffix}`);
        await page.goto(`/provider/orders/${accepted.id}`);
        await page.getByRole("button", { name: "接单", exact: true }).click();
        await see(page.getByRole("heading", { level: 2, name: "订单状态：待制定合同" }));
        await check(page, `订单 ${accepted.number}`, `provider-order-accepted-${suffix}`);
      }
    }, 90_000);
    it("我的服务券 and 我购买的服务 without JavaScript: 服务券配额申请, both apply pages (and 422), 我的服务券 with 额度明细 open; every tab and every order of demo enterprises 3 and 4, and their contracts", async () => {
      const { page } = await e2e.open(false, { width, height: 800 });
      await signInWithPassword(page, VOUCHER_PHONE);
      const menu = page.getByRole("navigation", { name: "个人中心菜单" });
      await menu.getByRole("link", { name: "服务券配额申请" }).click();
      await check(page, "服务券配额申请", "quota-nojs");
      const card = (name: string) => page.getByRole("region", { name: new RegExp(`^${name} `) });
      await card(`${YEAR}年度设备更新专项券`).getByRole("link", { name: "服务券配额申请" }).click();
      await see(page.getByRole("dialog").getByLabel("申领额度（元）"));
      await check(page, "服务券配额申请", "quota-apply-special-nojs");
      await page.getByRole("button", { name: "确定申领" }).click();
      await see(errorSummary(page));
      await check(page, "服务券配额申请", "quota-apply-special-422-nojs");
      await menu.getByRole("link", { name: "服务券配额申请" }).click();
      await card(`${YEAR}年度质量提升通用券`).getByRole("link", { name: "重新申请" }).click();
      await see(page.getByRole("dialog").getByRole("button", { name: "确定配额申请" }));
      await check(page, "服务券配额申请", "quota-apply-general-nojs");
      await menu.getByRole("link", { name: "我的服务券" }).click();
      await check(page, "我的服务券", "vouchers-nojs");
      await page
        .locator("summary", { hasText: /^额度明细/ })
        .first()
        .click();
      await see(page.getByRole("columnheader", { name: "类型" }).first());
      await check(page, "我的服务券", "vouchers-open-nojs");

      // Demo enterprises 3 and 4 hold the demo orders (待接单, the contract statuses, 订单取消, 已拒单).
      for (const phone of ["13800000003", "13800000004"]) {
        const { page } = await e2e.open(false, { width, height: 800 });
        await signInWithPassword(page, phone);
        await page.getByRole("navigation", { name: "个人中心菜单" }).getByRole("link", { name: "我购买的服务" }).click();
        await check(page, "我购买的服务", `orders-${phone}-nojs`);
        const tabs = await page
          .getByRole("navigation", { name: "订单状态" })
          .getByRole("link")
          .evaluateAll((links) => links.map((a) => a.getAttribute("href")!));
        expect(tabs.length).toBeGreaterThan(2);
        for (const href of tabs) {
          await page.goto(href);
          await check(page, "我购买的服务", `orders-${phone}-${new URL(href, "http://x").searchParams.get("tab")}-nojs`);
        }
        await page.goto("/me/orders");
        const orders = await page
          .getByRole("link", { name: /^查看订单 DD\d{14}$/ })
          .evaluateAll((links) => links.map((a) => ({ href: a.getAttribute("href")!, number: a.getAttribute("aria-label")!.replace("查看订单 ", "") })));
        expect(orders.length).toBeGreaterThanOrEqual(3);
        for (const [i, o] of orders.entries()) {
          await page.goto(o.href);
          await check(page, `订单 ${o.number}`, `order-${phone}-${i}-nojs`);
          const contract = page.getByRole("link", { name: /^查看(并确认)?合同$/ });
          if ((await contract.count()) === 0) continue;
          await contract.click();
          await check(page, "合同", `contract-${phone}-${i}-nojs`);
        }
      }
    }, 90_000);
    it("我的签章: the gate before certification, 制作签章's form, 制作中 with 刷新状态, the active seal with its history, and 服务机构中心's page", async () => {
      const { t } = e2e.server;
      // The member signed up above has no certification yet.
      await member.page.goto("/me/seal");
      await check(member.page, "我的签章", "seal-gate");
      await see(member.page.getByRole("main").getByRole("link", { name: "去企业信息认证" }));
      // A demo provider of its own per width (a seal is made once per enterprise).
      const phone = width === 1280 ? "13800000009" : "13800000007";
      const [account] = await t.deps.db.query<{ id: string }>("select id from accounts where phone = $1", [phone]);
      const page = (await e2e.open(false, { width, height: 800 })).page;
      await signInWithPassword(page, phone);
      await page.getByRole("navigation", { name: "个人中心菜单" }).getByRole("link", { name: "我的签章" }).click();
      await check(page, "我的签章", "seal-new");
      await page.getByRole("button", { name: "制作签章" }).click();
      // The provider's 实名认证 page; the person passes it (on a phone of their own), the page here asks the provider.
      await see(page.getByRole("heading", { level: 1, name: "实名认证" }));
      const faceCheck = page.url();
      await page.goto("/me/seal");
      await see(page.getByText("制作中", { exact: true }).first());
      await check(page, "我的签章", "seal-making");
      expect((await passFace(t, faceCheck, await legalOf(t, account!.id))).status).toBe(303);
      await page.getByRole("button", { name: "刷新状态" }).click();
      await see(page.getByRole("img", { name: /电子签章$/ }));
      await check(page, "我的签章", "seal-active");
      await page.goto("/provider");
      await page.getByRole("main").getByRole("link", { name: "我的签章" }).click();
      await see(page.getByRole("img", { name: /电子签章$/ }));
      await check(page, "我的签章", "provider-seal");
    }, 90_000);
    it("合同 (the demo orders): 制定合同's form (and 422), the provider's contract, the enterprise's contract with the changes from the version before, 退回修改 (and 422)", async () => {
      const { deps } = e2e.server.t;
      const idOf = async (status: string) => (await deps.db.query<{ id: string }>("select id from orders where status = $1 limit 1", [status]))[0]!.id;
      const [drafting, review, signing] = [await idOf("contract_drafting"), await idOf("contract_review"), await idOf("contract_signing")];
      const pro = (await e2e.open(false, { width, height: 800 })).page;
      await signInWithPassword(pro, "13800000008");
      await pro.goto(`/provider/orders/${drafting}/contract`);
      await check(pro, "合同", "provider-contract-prefilled");
      await pro.goto(`/provider/orders/${drafting}/contract/edit`);
      await check(pro, "制定合同", "provider-contract-form");
      await pro.getByLabel("合同金额").fill("");
      await pro.getByRole("button", { name: "保存并预览" }).click();
      await see(errorSummary(pro));
      await check(pro, "制定合同", "provider-contract-form-422");
      const signer = (await e2e.open(false, { width, height: 800 })).page;
      await signInWithPassword(signer, "13800000003");
      await signer.goto(`/me/orders/${signing}/contract`);
      await see(signer.getByRole("heading", { level: 2, name: "与第1版相比的修改" }));
      await check(signer, "合同", "contract-agreed");
      const ent = (await e2e.open(false, { width, height: 800 })).page;
      await signInWithPassword(ent, "13800000004");
      await ent.goto(`/me/orders/${review}/contract`);
      await see(ent.getByRole("button", { name: "同意" }));
      await check(ent, "合同", "contract-review");
      await ent.getByRole("link", { name: "退回修改" }).click();
      await check(ent, "退回修改", "contract-return");
      await ent.getByRole("button", { name: "确定退回" }).click();
      await see(errorSummary(ent));
      await check(ent, "退回修改", "contract-return-422");
    }, 90_000);
    it("管理端 订单管理: the list (filtered), an order with its timeline, 关闭订单 (and 422), the closed order (JavaScript on and off)", async () => {
      const { deps } = e2e.server.t;
      const [row] = await deps.db.query<{ product_id: string }>("select product_id from product_listings where title = '金属材料力学性能检测'");
      const [buyer] = await deps.db.query<{ id: string }>("select id from accounts where phone = '13800000002'");
      for (const js of [true, false]) {
        const suffix = js ? "js" : "nojs";
        // An order of demo enterprise 2 without a voucher (its vouchers are measured elsewhere as they are).
        const p = await deps.orders.orderPage(buyer!.id, row!.product_id);
        if (!p.ok) throw new Error(JSON.stringify(p.errors));
        const s = await deps.orders.submit(buyer!.id, { productId: row!.product_id, useVoucher: false, submissionKey: p.value.submissionKey });
        if (!s.ok) throw new Error(JSON.stringify(s.errors));
        const o = s.value.order;
        const { page } = await e2e.open(js, { width, height: 800 });
        await signInAdmin(page, "operator");
        await page.getByRole("link", { name: "订单管理", exact: true }).click();
        await check(page, "订单管理", `admin-orders-${suffix}`);
        await page.getByLabel("订单状态").selectOption({ label: "待接单" });
        await page.getByLabel("订单编号").fill(o.number);
        await page.getByRole("button", { name: "筛选" }).click();
        await see(page.getByText("共 1 条", { exact: false }));
        await check(page, "订单管理", `admin-orders-filtered-${suffix}`);
        await page.getByRole("link", { name: `查看订单 ${o.number}` }).click();
        await check(page, `订单 ${o.number}`, `admin-order-${suffix}`);
        await page.getByRole("link", { name: "关闭订单", exact: true }).click();
        await check(page, "关闭订单", `admin-order-close-${suffix}`);
        await page.getByRole("button", { name: "确定关闭订单" }).click();
        await see(errorSummary(page));
        await check(page, "关闭订单", `admin-order-close-422-${suffix}`);
        await page.getByLabel("关闭原因").fill("企业来电要求关闭订单");
        await page.getByRole("button", { name: "确定关闭订单" }).click();
        await see(page.getByRole("heading", { level: 2, name: "订单状态：已关闭" }));
        await check(page, `订单 ${o.number}`, `admin-order-closed-${suffix}`);
      }
    }, 90_000);
    it("企业需求, 我要留言, 政策资讯, 合同验真: public pages (and 422), the 我要留言 dialog over a page, 我的需求管理, 发布需求 (and 422), 我的留言, 响应需求 (and 422), 需求响应; 管理端 企业需求审核, 留言管理, 政策资讯管理 with their detail pages (and 422)", async () => {
      const ent = await e2e.open(true, { width, height: 800 });
      const pro = await e2e.open(true, { width, height: 800 });
      const adm = await e2e.open(true, { width, height: 800 });
      // Public pages, anonymous: the demands (filtered by htmx), a demand, the news (a tab), an article.
      const { page } = anon;
      await page.goto("/demands");
      await check(page, "企业需求", "demands");
      // On a phone the filters wait behind 筛选 (wide screens show them).
      if (width < 600) await page.locator("summary", { hasText: "筛选" }).click();
      await page.getByLabel("需求类别").selectOption({ label: "数字化改造" });
      await see(page.getByText("共 1 条需求", { exact: true }));
      await check(page, "企业需求", "demands-filtered");
      await page.getByRole("link", { name: "注塑车间MES系统建设" }).click();
      await see(page.getByText("登录服务商账号后可查看联系方式", { exact: false }));
      await check(page, "注塑车间MES系统建设", "demand-public");
      await page.goto("/news");
      await check(page, "政策资讯", "news");
      await page.getByRole("navigation", { name: "资讯类型" }).getByRole("link", { name: "政策文件" }).click();
      await see(page.getByRole("navigation", { name: "资讯类型" }).locator('[aria-current="page"]').getByText("政策文件"));
      await check(page, "政策资讯", "news-policy");
      await page.getByRole("main").getByRole("link", { name: "广西制造业企业培优育强服务券管理办法" }).click();
      await check(page, "广西制造业企业培优育强服务券管理办法", "article");

      // 我要留言 as a page of its own (sent empty: 422), 查询留言回复 (and 422).
      await page.goto("/messages/new");
      await check(page, "我要留言", "message-form");
      await page.getByRole("button", { name: "提交留言" }).click();
      await see(errorSummary(page));
      await check(page, "我要留言", "message-form-422");
      await page.goto("/messages/lookup");
      await check(page, "查询留言回复", "message-lookup");
      await page.getByRole("button", { name: "查询", exact: true }).click();
      await see(errorSummary(page));
      await check(page, "查询留言回复", "message-lookup-422");

      // 合同验真 (sent without a file: 422; a digest no contract has: the verdict beside the forms).
      await page.goto("/verify");
      await check(page, "合同验真", "verify");
      await page.getByRole("button", { name: "验证文件" }).click();
      await see(errorSummary(page));
      await check(page, "合同验真", "verify-422");
      await page.getByLabel("合同编号", { exact: true }).fill("DD20261127000042");
      await page.getByLabel("文件摘要（SHA-256）").fill("0".repeat(64));
      await page.getByRole("button", { name: "验证", exact: true }).click();
      await see(page.getByRole("heading", { level: 2, name: "未找到匹配的已签署合同" }));
      await check(page, "合同验真", "verify-not-found");

      // The 我要留言 dialog over a page: it fits the screen and can scroll on its own.
      await page.goto("/demands");
      await page.waitForFunction(() => "htmx" in window);
      await page.getByRole("navigation", { name: "账号" }).getByRole("link", { name: "我要留言" }).click();
      const dialog = page.getByRole("dialog", { name: "留言信箱" });
      await see(dialog);
      expect(await dialog.evaluate((d) => d.matches(":modal"))).toBe(true);
      if (SHOTS) await page.screenshot({ path: `${SHOTS}/message-dialog-${width}.png`, caret: "initial" });
      const box = (await dialog.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(width);
      expect(box.y + box.height).toBeLessThanOrEqual(800);
      const m = await measure(page, width < 600);
      expect(m.scrollWidth, "no sideways scrolling").toBeLessThanOrEqual(width);
      expect(m.small, "tap targets too small").toEqual([]);
      expect(m.unlabelled, "fields without a visible label").toEqual([]);
      // Esc closes it; focus is back on 我要留言 and the filter fields are labelled as before.
      await page.keyboard.press("Escape");
      await expect.poll(() => dialog.isVisible()).toBe(false);
      await see(page.getByRole("navigation", { name: "账号" }).getByRole("link", { name: "我要留言" }).and(page.locator(":focus")));
      expect((await measure(page, width < 600)).unlabelled).toEqual([]);
      if (width < 600) await page.locator("summary", { hasText: "筛选" }).click();
      await see(page.getByLabel("需求类别"));

      // 个人中心 of demo enterprise 1: 我的需求管理, a demand with a response, 发布需求 (and 422), 我的留言 and a reply.
      const me = ent.page;
      await signInWithPassword(me, VOUCHER_PHONE);
      const menu = me.getByRole("navigation", { name: "个人中心菜单" });
      await menu.getByRole("link", { name: "我的需求管理" }).click();
      await check(me, "我的需求管理", "me-demands");
      await me.getByRole("row").filter({ hasText: "注塑车间MES系统建设" }).getByRole("link", { name: "查看" }).click();
      await see(me.getByRole("heading", { level: 2, name: "服务商响应（1）" }));
      await check(me, "注塑车间MES系统建设", "me-demand");
      await menu.getByRole("link", { name: "我的需求管理" }).click();
      await me.getByRole("main").getByRole("link", { name: "发布需求" }).click();
      await check(me, "发布需求", "demand-form");
      await me.getByRole("button", { name: "提交需求" }).click();
      await see(errorSummary(me));
      await check(me, "发布需求", "demand-form-422");
      await menu.getByRole("link", { name: "我的留言" }).click();
      await check(me, "我的留言", "me-messages");
      const answered = me
        .getByRole("row")
        .filter({ hasText: "已回复" })
        .getByRole("link", { name: /^查看留言 LY\d{8}$/ });
      const reference = (await answered.innerText()).trim();
      await answered.click();
      await see(me.getByText("平台回复", { exact: false }).first());
      await check(me, `留言 ${reference}`, "me-message");

      // Demo provider 7: 响应需求 on the demand page (and 422), then 需求响应.
      const provider = pro.page;
      await signInWithPassword(provider, "13800000007");
      await provider.goto("/demands");
      await provider.getByRole("link", { name: "注塑车间MES系统建设" }).click();
      await see(provider.getByRole("heading", { level: 2, name: "响应需求" }));
      await check(provider, "注塑车间MES系统建设", "demand-provider");
      await provider.getByLabel("方案简述").fill("太短");
      await provider.getByRole("button", { name: "更新响应" }).click();
      await see(errorSummary(provider));
      await check(provider, "注塑车间MES系统建设", "demand-provider-422");
      await provider.goto("/provider/responses");
      await check(provider, "需求响应", "provider-responses");

      // 管理端: the reviewer's 企业需求审核 and a pending demand (驳回 without a reason: 422).
      const admin = adm.page;
      await signInAdmin(admin, "reviewer");
      await admin.getByRole("link", { name: "企业需求审核" }).click();
      await check(admin, "企业需求审核", "admin-demands");
      await admin.getByRole("row").filter({ hasText: "空压站能耗监测与节能诊断" }).getByRole("link", { name: "审核" }).click();
      await check(admin, "空压站能耗监测与节能诊断", "admin-demand");
      await admin.getByRole("button", { name: "驳回" }).click();
      await see(errorSummary(admin));
      await check(admin, "空压站能耗监测与节能诊断", "admin-demand-422");

      // The operator's 留言管理 and a message (回复 empty: 422), 政策资讯管理, 新建文章 (and 422), 编辑文章, 预览.
      await admin.context().clearCookies();
      await signInAdmin(admin, "operator");
      await admin.getByRole("link", { name: "留言管理" }).click();
      await check(admin, "留言管理", "admin-messages");
      const reply = admin.getByRole("link", { name: /^回复留言 LY\d{8}$/ }).first();
      const ref = ((await reply.getAttribute("aria-label")) ?? "").replace("回复留言 ", "");
      await reply.click();
      await check(admin, `留言 ${ref}`, "admin-message");
      await admin.getByRole("button", { name: "回复", exact: true }).click();
      await see(errorSummary(admin));
      await check(admin, `留言 ${ref}`, "admin-message-422");
      await admin.goto("/admin");
      await admin.getByRole("link", { name: "政策资讯管理" }).click();
      await check(admin, "政策资讯管理", "admin-articles");
      await admin.getByRole("link", { name: "新建文章" }).click();
      await check(admin, "新建文章", "admin-article-new");
      await admin.getByRole("button", { name: "保存草稿" }).click();
      await see(errorSummary(admin));
      await check(admin, "新建文章", "admin-article-new-422");
      await admin.goto("/admin/articles");
      await admin.getByRole("row").filter({ hasText: "关于开展服务机构入库申报工作的通知" }).getByRole("link", { name: "编辑" }).click();
      await check(admin, "编辑文章", "admin-article");
      await admin.getByRole("main").getByRole("link", { name: "预览" }).click();
      await check(admin, "关于开展服务机构入库申报工作的通知", "admin-article-preview");
    }, 90_000);

    it("支付管理, 立即对账 and a day's differences (finance)", async () => {
      const { page } = await e2e.open(true, { width, height: 800 });
      await signInAdmin(page, "finance");
      await page.getByRole("link", { name: "支付管理" }).click();
      await see(page.getByText("退款中（1 笔）"));
      await check(page, "支付管理", "admin-payments");
      await page.getByLabel("类型", { exact: true }).selectOption("refund");
      await page.getByRole("button", { name: "筛选" }).click();
      await see(page.getByText("共 1 条"));
      await check(page, "支付管理", "admin-payments-refunds");
      await page.getByRole("link", { name: "对账结果与立即对账" }).click();
      await check(page, "对账", "admin-reconciliations");
      const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
      await page.getByLabel("对账日期").fill(today);
      await page.getByRole("button", { name: "立即对账" }).click();
      await see(page.getByText("渠道无此交易").first());
      await check(page, `对账 ${today}：有差异`, "admin-reconciliation");
      await page.getByRole("link", { name: "← 返回对账" }).click();
      await check(page, "对账", "admin-reconciliations-day");
    }, 60_000);
  });
}
