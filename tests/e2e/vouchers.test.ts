import type { Locator, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  LICENCE_PDF,
  YEAR,
  browserSuite,
  certifiedEnterprise,
  description,
  errorSummary,
  fact,
  flashMessage,
  heading,
  see,
  signInAdmin,
} from "./support.ts";

/**
 * 服务券 in a real browser, once with JavaScript (htmx) and once without: a newly certified
 * enterprise applies for the 通用券 (the dialog opens in the page with JavaScript, as a page of its
 * own without) and for the 设备更新专项券 with an amount and a contract, the demo reviewer approves
 * both, and the enterprise sees 去使用 and its balance in 我的服务券. The super admin runs the
 * annual allocation twice. Layout and screenshots of these pages are in layout-suite.ts.
 */

const e2e = browserSuite({ demo: true });

const GENERAL = `${YEAR}年度通用券`;
const SPECIAL = `${YEAR}年度设备更新专项券`;

/** A PDF contract for the 专项券 upload. */
const CONTRACT_PDF = { ...LICENCE_PDF, name: "设备购置合同.pdf" };

/** The card of a programme on 服务券配额申请 (a region named by its heading). */
const card = (page: Page, programme: string) => page.getByRole("region", { name: new RegExp(`^${programme} `) });
/** The apply dialog of a programme. */
const dialog = (page: Page, programme: string) => page.getByRole("dialog", { name: programme, exact: true });

/** Waits until the element is the focused one. */
async function focused(locator: Locator): Promise<void> {
  const handle = await locator.elementHandle();
  await locator.page().waitForFunction((el) => el === document.activeElement, handle);
}

/**
 * Presses Tab until the focused element has this accessible text; returns how many presses it took
 * (fails after `max`).
 */
async function tabTo(page: Page, text: string, max = 40): Promise<number> {
  for (let n = 1; n <= max; n++) {
    await page.keyboard.press("Tab");
    const active = await page.evaluate(() => (document.activeElement as HTMLElement | null)?.innerText?.trim() ?? "");
    if (active === text) return n;
  }
  throw new Error(`Tab never reached "${text}"`);
}

/**
 * Clicks the card's 服务券配额申请 (or focuses it and presses Enter) and checks how the dialog arrives: with JavaScript htmx loads
 * it into the page (no navigation, the URL stays /me/quota, focus moves into the dialog); without,
 * the browser opens the confirmation page /me/quota/:id/apply.
 */
async function openDialog(page: Page, js: boolean, programme: string, keyboard = false): Promise<Locator> {
  const button = card(page, programme).getByRole("link", { name: "服务券配额申请", exact: true });
  const press = async () => {
    if (!keyboard) return button.click();
    await button.focus();
    await page.keyboard.press("Enter");
  };
  if (js) {
    await page.waitForFunction(() => "htmx" in window);
    await page.evaluate(() => Object.assign(window, { __stillHere: true }));
    const swap = page.waitForResponse((r) => /^\/me\/quota\/[\w-]+\/apply$/.test(new URL(r.url()).pathname));
    await press();
    expect((await swap).request().headers()["hx-request"]).toBe("true");
  } else {
    await press();
  }
  const d = dialog(page, programme);
  await see(d);
  if (js) {
    expect(await page.evaluate(() => (window as unknown as { __stillHere?: boolean }).__stillHere)).toBe(true);
    expect(new URL(page.url()).pathname).toBe("/me/quota");
  } else {
    expect(new URL(page.url()).pathname).toMatch(/^\/me\/quota\/[\w-]+\/apply$/);
  }
  // A keyboard or screen-reader user is taken to the dialog, wherever on the page the card was.
  await focused(d);
  return d;
}

/** 管理端首页 -> 服务券配额审核 -> filter by 企业名称 -> 审核: the detail page of that application. */
async function openQuotaApplication(admin: Page, company: string, programme: string): Promise<void> {
  await admin.goto("/admin");
  await admin.getByRole("link", { name: "服务券配额审核" }).click();
  await see(heading(admin, "服务券配额审核"));
  expect(await admin.getByLabel("状态").locator("option:checked").innerText()).toBe("待审核");
  await admin.getByLabel("企业名称").fill(company);
  await admin.getByRole("button", { name: "筛选" }).click();
  await see(admin.getByRole("navigation", { name: "分页" }).getByText("共 1 条，第 1 / 1 页", { exact: true }));
  const row = admin.getByRole("row").filter({ has: admin.getByRole("cell", { name: company, exact: true }) });
  await see(row.getByRole("cell", { name: programme, exact: true }));
  await row.getByRole("link", { name: "审核" }).click();
  await see(heading(admin, `配额申请：${company}`));
  await see(admin.getByRole("heading", { level: 2, name: "状态：待审核" }));
}

/** 通过 on the detail page, with the amount as applied. */
async function approve(admin: Page, amount: string): Promise<void> {
  await admin.getByRole("button", { name: "通过", exact: true }).click();
  await see(flashMessage(admin, "已通过该配额申请，服务券账户已开通"));
  await see(admin.getByRole("heading", { level: 2, name: "状态：已通过" }));
  const facts = admin.locator("section").filter({ has: admin.getByRole("heading", { level: 2, name: "状态：已通过" }) });
  expect(await fact(facts, "核定额度")).toBe(amount);
  expect(await admin.getByRole("button", { name: "通过", exact: true }).count()).toBe(0);
}

/** 我的服务券: the section of one programme, and its 核定额度 and 可用额度. */
async function myVoucher(page: Page, programme: string, amount: string): Promise<void> {
  await page.getByRole("navigation", { name: "个人中心菜单" }).getByRole("link", { name: "我的服务券" }).click();
  await see(heading(page, "我的服务券"));
  const section = page.locator("section").filter({ has: page.getByRole("heading", { level: 2, name: new RegExp(`^${programme} `) }) });
  await see(section);
  expect(await fact(section, "核定额度")).toBe(amount);
  expect(await fact(section, "可用额度")).toBe(amount);
  expect(await fact(section, "已占用")).toBe("¥0.00");
  await see(section.getByRole("link", { name: "去使用" }));
  await section.getByText("额度明细（1条）").click();
  const grant = section.getByRole("row").filter({ has: page.getByRole("cell", { name: "发放额度", exact: true }) });
  await see(grant.getByRole("cell", { name: amount, exact: true }));
}

describe.each([
  { mode: "JavaScript on", js: true },
  { mode: "JavaScript off", js: false },
])("服务券 with $mode", ({ js }) => {
  it("通用券: 服务券配额申请 -> dialog -> 确定配额申请 (keyboard) -> 待审核 -> reviewer 通过 -> 去使用 and the balance in 我的服务券", async () => {
    // 中型 (350 people, 2500 万元) with JavaScript, 小型 (80 people, 900 万元) without; the demo 通用券 gives ¥60,000 and ¥30,000.
    const company = js ? "南宁优品精工机械有限公司" : "百色强基铝业装备有限公司";
    const size = js ? { text: "中型", amount: "¥60,000.00" } : { text: "小型", amount: "¥30,000.00" };
    const { ent, rev } = await certifiedEnterprise(
      e2e,
      js,
      company,
      js ? {} : { staffCount: "80", revenueWan: "900", city: "百色市", district: "右江区", address: "右江区城东大道9号" },
    );
    const { page, context } = ent;

    // 首页 -> 服务券配额申请; the 个人中心 menu has it too.
    await page.goto("/");
    await page.getByRole("main").getByRole("link", { name: "服务券配额申请", exact: true }).first().click();
    await see(heading(page, "服务券配额申请"));
    await page.goto("/me");
    const menuLink = page.getByRole("navigation", { name: "个人中心菜单" }).getByRole("link", { name: "服务券配额申请" });
    await menuLink.click();
    await see(heading(page, "服务券配额申请"));
    expect(await menuLink.getAttribute("aria-current")).toBe("page");

    const general = card(page, GENERAL);
    await see(general);
    expect(await fact(general, "贵企业额度")).toBe(`${size.amount}（按${size.text}企业）`);
    expect(await fact(general, "补贴比例")).toBe("30%");
    await see(card(page, SPECIAL).getByRole("link", { name: "服务券配额申请", exact: true }));

    // A second window left on this page, to come back to after applying.
    const stale = await context.newPage();
    await stale.goto("/me/quota");

    // Opened from the keyboard; the dialog shows what the enterprise is applying for.
    const d = await openDialog(page, js, GENERAL, true);
    expect(await fact(d, "券种")).toBe("通用券（示例数值）");
    expect(await fact(d, "补贴比例")).toBe("30%，单笔最多抵扣 ¥50,000.00");
    expect(await fact(d, "申请额度")).toBe(`${size.amount}（按贵企业划型：${size.text}）`);
    expect(await fact(d, "用券有效期")).toBe(`${YEAR}-01-01 至 ${YEAR}-12-31`);
    expect(await fact(d, "可抵扣服务")).toContain("数字化改造、工业互联网、智能制造");
    await see(d.getByRole("link", { name: "取消" }));

    // Keyboard: focus is on the dialog, so one Tab reaches 确定配额申请 and Enter submits it.
    expect(await tabTo(page, "确定配额申请")).toBe(1);
    await page.keyboard.press("Enter");

    await see(flashMessage(page, "配额成功！申请已提交，平台人员审核后即可去使用。"));
    expect(new URL(page.url()).pathname).toBe("/me/quota");
    await see(general.getByText("待审核", { exact: true }));
    expect(await general.getByRole("link", { name: "服务券配额申请" }).count()).toBe(0);

    // The window left open still offers 服务券配额申请; using it says the application is already there.
    await stale.bringToFront();
    await card(stale, GENERAL).getByRole("link", { name: "服务券配额申请", exact: true }).click();
    await see(flashMessage(stale, "该服务券当前状态为“待审核”"));
    await see(card(stale, GENERAL).getByText("待审核", { exact: true }));
    expect(new URL(stale.url()).pathname).toBe("/me/quota");
    await stale.close();

    // The reviewer finds and approves it.
    await openQuotaApplication(rev.page, company, GENERAL);
    const facts = rev.page.locator("section").filter({ has: rev.page.getByRole("heading", { level: 2, name: "状态：待审核" }) });
    expect(await fact(facts, "申请额度")).toBe(size.amount);
    expect(await fact(facts, "来源")).toBe("企业申请");
    await see(rev.page.getByRole("definition").filter({ hasText: new RegExp(`^${size.text}$`) }));
    await see(rev.page.getByText("提交配额申请 → 待审核", { exact: false }));
    await approve(rev.page, size.amount);

    // The enterprise reloads: 去使用, and the balance in 我的服务券.
    await page.bringToFront();
    await page.reload();
    await see(general.getByRole("link", { name: "去使用" }));
    await see(general.getByText(`已核定额度 ${size.amount}`, { exact: true }));
    await myVoucher(page, GENERAL, size.amount);
  });

  it("专项券: an amount outside the limits is refused beside the field; 申领额度 and a contract -> 确定申领 -> reviewer sees the contract, 通过 -> 去使用", async () => {
    const company = js ? "钦州培优港机设备有限公司" : "贵港育强船舶制造有限公司";
    const { ent, rev } = await certifiedEnterprise(e2e, js, company, { staffCount: "120", revenueWan: "3000" });
    const { page } = ent;
    await page.getByRole("navigation", { name: "个人中心菜单" }).getByRole("link", { name: "服务券配额申请" }).click();
    const special = card(page, SPECIAL);
    expect(await fact(special, "申领额度")).toBe("¥10,000.00 至 ¥500,000.00");

    let d = await openDialog(page, js, SPECIAL);
    expect(await fact(d, "券种")).toBe("专项券（示例数值）");
    expect(await fact(d, "补贴比例")).toBe("50%，单笔最多抵扣 ¥200,000.00");
    const amount = () => dialog(page, SPECIAL).getByLabel("申领额度（元）");
    expect(await description(page, amount())).toBe("可申领 ¥10,000.00 至 ¥500,000.00");

    // Too much: 请修改以下问题, the message beside the field, the typed amount kept.
    await amount().fill("600000");
    await d.getByLabel("相关合同凭证").setInputFiles(CONTRACT_PDF);
    await d.getByRole("button", { name: "确定申领" }).click();
    const summary = errorSummary(page);
    await see(summary);
    const message = "申领额度应在¥10,000.00至¥500,000.00之间";
    await see(summary.getByRole("link", { name: message }));
    d = dialog(page, SPECIAL);
    await see(d);
    expect(await amount().inputValue()).toBe("600000");
    expect(await amount().getAttribute("aria-invalid")).toBe("true");
    expect(await description(page, amount())).toContain(message);
    await see(
      d
        .locator(".field-error")
        .filter({ has: page.getByLabel("申领额度（元）") })
        .getByText(message),
    );
    await focused(amount());
    // The chosen file is not kept by the browser; the page says so beside the upload.
    await see(d.getByText("请重新选择合同凭证文件", { exact: false }));

    // Corrected, with the contract chosen again.
    await amount().fill("120000");
    await d.getByLabel("相关合同凭证").setInputFiles(CONTRACT_PDF);
    await d.getByRole("button", { name: "确定申领" }).click();
    await see(flashMessage(page, "配额成功！申请已提交，平台人员审核后即可去使用。"));
    await see(special.getByText("待审核", { exact: true }));
    await see(card(page, GENERAL).getByRole("link", { name: "服务券配额申请", exact: true }));

    // The reviewer sees the amount and the contract, which downloads as an attachment.
    const admin = rev.page;
    await openQuotaApplication(admin, company, SPECIAL);
    const facts = admin.locator("section").filter({ has: admin.getByRole("heading", { level: 2, name: "状态：待审核" }) });
    expect(await fact(facts, "申请额度")).toBe("¥120,000.00");
    await see(admin.getByRole("heading", { level: 3, name: "合同凭证" }));
    const link = admin.getByRole("link", { name: CONTRACT_PDF.name, exact: true });
    await see(link);
    const href = (await link.getAttribute("href")) ?? "";
    expect(href).toMatch(/^\/admin\/files\/[\w-]+$/);
    const res = await admin.request.get(href);
    expect(res.status()).toBe(200);
    expect(res.headers()["content-disposition"]).toMatch(/^attachment;/);
    expect(res.headers()["content-type"]).toBe("application/pdf");
    expect(Buffer.from(await res.body())).toEqual(CONTRACT_PDF.buffer);
    await approve(admin, "¥120,000.00");

    await page.reload();
    await see(special.getByRole("link", { name: "去使用" }));
    await see(special.getByText("已核定额度 ¥120,000.00", { exact: true }));
    await myVoucher(page, SPECIAL, "¥120,000.00");
    // Only the 专项券: no 通用券 was applied for.
    expect(await page.getByRole("heading", { level: 2, name: new RegExp(`^${GENERAL} `) }).count()).toBe(0);
  });

  it("年度额度分配: the super admin runs it for the 通用券 (a new enterprise gets a pending application), then again (nothing new)", async () => {
    // A newly certified enterprise without a 通用券 application: the run must create one for it.
    const company = js ? "梧州育强日用陶瓷有限公司" : "河池培优有色金属制品有限公司";
    const { ent } = await certifiedEnterprise(e2e, js, company, { staffCount: "15", revenueWan: "260" });

    const tab = await e2e.open(js);
    const admin = tab.page;
    await signInAdmin(admin, "admin");
    await admin.getByRole("link", { name: "券种管理" }).click();
    await see(heading(admin, "券种管理"));
    const row = admin.getByRole("row").filter({ hasText: GENERAL });
    await see(row);
    expect(await row.getByRole("cell").nth(7).innerText()).toBe("开放申请");
    await row.getByRole("link", { name: "年度额度分配" }).click();
    await see(heading(admin, `年度额度分配：${GENERAL}`));
    await see(admin.getByText("小型 ¥30,000.00、微型 ¥10,000.00", { exact: false }));

    const runs = admin
      .locator("section")
      .filter({ has: admin.getByRole("heading", { level: 2, name: "执行记录" }) })
      .getByRole("row");
    const before = await runs.filter({ hasText: "已完成" }).count();
    if (before === 0) await see(runs.getByRole("cell", { name: "尚未执行" }));

    const run = async () => {
      await admin.getByRole("button", { name: "执行年度额度分配" }).click();
      const flash = admin.getByRole("status");
      await see(flash);
      const m = (await flash.innerText()).match(
        /^分配完成：符合条件的已认证企业 (\d+) 家，新建配额申请 (\d+) 条，已有申请跳过 (\d+) 家。新建的申请待审核。$/,
      );
      expect(m, await flash.innerText()).not.toBeNull();
      const [eligible, created, skipped] = m!.slice(1).map(Number) as [number, number, number];
      expect(eligible).toBe(created + skipped);
      // The newest run is the first row of 执行记录, with the same counts.
      const newest = runs.nth(1).getByRole("cell");
      expect(await newest.nth(2).innerText()).toBe("已完成");
      expect([await newest.nth(3).innerText(), await newest.nth(4).innerText(), await newest.nth(5).innerText()]).toEqual(
        [eligible, created, skipped].map(String),
      );
      return { eligible, created, skipped };
    };
    const first = await run();
    expect(first.created).toBeGreaterThanOrEqual(1);
    expect(await runs.filter({ hasText: "已完成" }).count()).toBe(before + 1);
    const second = await run();
    await see(admin.getByRole("status").getByText("新建配额申请 0 条", { exact: false }));
    expect(second).toEqual({ eligible: first.eligible, created: 0, skipped: first.eligible });
    expect(await runs.filter({ hasText: "已完成" }).count()).toBe(before + 2);

    // The new enterprise's 通用券 card is 待审核 (微型: ¥10,000.00), and the queue shows it as 年度分配.
    await ent.page.goto("/me/quota");
    await see(card(ent.page, GENERAL).getByText("待审核", { exact: true }));
    await see(card(ent.page, SPECIAL).getByRole("link", { name: "服务券配额申请", exact: true }));
    await admin.goto("/admin");
    await admin.getByRole("link", { name: "服务券配额审核" }).click();
    await admin.getByLabel("来源").selectOption({ label: "年度分配" });
    await admin.getByLabel("企业名称").fill(company);
    await admin.getByRole("button", { name: "筛选" }).click();
    const queued = admin.getByRole("row").filter({ has: admin.getByRole("cell", { name: company, exact: true }) });
    await see(queued);
    const cells = await queued.getByRole("cell").allInnerTexts();
    expect([cells[1], cells[2], cells[4], cells[5], cells[7]]).toEqual([GENERAL, "微型", "¥10,000.00", "年度分配", "待审核"]);
  });
});
