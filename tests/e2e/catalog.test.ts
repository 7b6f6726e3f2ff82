import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  YEAR,
  browserSuite,
  certifiedEnterprise,
  fact,
  flashMessage,
  heading,
  notSee,
  pdfFile,
  rowWith,
  see,
  signInAdmin,
  signInWithPassword,
} from "./support.ts";

/**
 * 服务商 and 服务产品 in a real browser, once with JavaScript (htmx) and once without: a newly
 * certified enterprise applies to become a provider with its documents, the demo reviewer admits
 * it, it publishes a product (草稿 -> 预览 -> 提交审核, 自动预审 通过), the reviewer lists it, and
 * demo enterprise 1 finds it in 通用券服务 and sees what its 通用券 would deduct; an anonymous
 * visitor sees the rate and is asked to 登录. Then a product that fails the pre-review and is
 * rejected, and the filters of the list page with and without JavaScript. Layout and screenshots
 * of these pages are in layout-suite.ts.
 */

const e2e = browserSuite({ demo: true });

const GENERAL = `${YEAR}年度通用券`;

const QUALIFICATION_PDF = pdfFile("资质证书.pdf");
const CONTRACT_PDF = pdfFile("上年度服务合同.pdf");

type ProductText = { title: string; category: string; price: string; unit: string; content: string; deliverables: string; acceptance: string };

/** Fills 发布服务产品 / 编辑服务产品 as a user does (通用券服务 and 广西全区 ticked). */
async function fillProduct(page: Page, p: ProductText): Promise<void> {
  await page.getByLabel("产品名称").fill(p.title);
  await page.getByLabel("服务类别").selectOption({ label: p.category });
  await page.getByRole("group", { name: "可使用的服务券" }).getByRole("checkbox", { name: "通用券服务" }).check();
  await page.getByLabel("价格（元）").fill(p.price);
  await page.getByLabel("计价单位").fill(p.unit);
  await page.getByLabel("服务内容（功能介绍）").fill(p.content);
  await page.getByLabel("交付清单").fill(p.deliverables);
  await page.getByLabel("验收标准").fill(p.acceptance);
  await page.getByRole("group", { name: "服务区域" }).getByRole("checkbox", { name: "广西全区" }).check();
}

/** 管理端首页 -> 服务产品审核 -> the row of this product (its 自动预审 cell checked) -> 审核. */
async function openProductReview(admin: Page, title: string, verdict: string): Promise<void> {
  await admin.goto("/admin");
  await admin.getByRole("link", { name: "服务产品审核" }).click();
  await see(heading(admin, "服务产品审核"));
  await see(admin.getByRole("columnheader", { name: "自动预审" }));
  const row = rowWith(admin, title);
  await see(row);
  // 产品名称, 服务商, 价格, 自动预审, 提交时间, 操作
  expect((await row.getByRole("cell").nth(3).innerText()).trim()).toBe(verdict);
  await row.getByRole("link", { name: "审核" }).click();
  await see(heading(admin, title));
  await see(admin.getByRole("heading", { level: 2, name: `自动预审：${verdict}` }));
}

describe.each([
  { mode: "JavaScript on", js: true },
  { mode: "JavaScript off", js: false },
])("服务商与服务产品 with $mode", ({ js }) => {
  it("申请成为服务商 -> 入库 -> 发布服务产品 -> 预览 -> 提交审核 (自动预审 通过) -> 上架 -> an enterprise finds it and sees its deduction; anonymous sees the rate", async () => {
    const company = js ? "钦州培优港口物流服务有限公司" : "玉林育强机械技术服务有限公司";
    const title = js ? "港口物流企业数字化改造诊断服务" : "玉林机械企业数字化改造实施服务";
    const keyword = js ? "港口物流" : "玉林机械";
    const { ent, rev } = await certifiedEnterprise(e2e, js, company);
    const { page } = ent;

    // 个人中心 -> 申请成为服务商: the form.
    await page.goto("/me");
    const menu = page.getByRole("navigation", { name: "个人中心菜单" });
    await menu.getByRole("link", { name: "申请成为服务商" }).click();
    await see(heading(page, "申请成为服务商"));
    expect(await menu.getByRole("link", { name: "申请成为服务商" }).getAttribute("aria-current")).toBe("page");
    const categories = page.getByRole("group", { name: "服务类别" });
    await categories.getByRole("checkbox", { name: "数字化改造" }).check();
    await categories.getByRole("checkbox", { name: "智能制造" }).check();
    await page.getByRole("group", { name: "服务区域" }).getByRole("checkbox", { name: "钦州市" }).check();
    await page.getByRole("group", { name: "服务区域" }).getByRole("checkbox", { name: "南宁市" }).check();
    await page.getByLabel("机构简介").fill("专注中小制造企业数字化改造，团队二十余人，三年来为区内六十余家企业提供产线诊断与系统实施服务。");
    await page.getByLabel("联系人").fill("李四");
    await page.getByLabel("联系电话").fill("0771-5551234");
    await page.getByLabel("资质证明材料").setInputFiles(QUALIFICATION_PDF);
    await page.getByLabel("上一年度为企业提供服务的合同").setInputFiles(CONTRACT_PDF);
    await page.getByRole("button", { name: "提交申请" }).click();
    await see(flashMessage(page, "服务商申请已提交，状态为待审核。"));
    await see(page.getByText("待审核", { exact: true }));
    expect(await page.getByRole("button", { name: "提交申请" }).count()).toBe(0);

    // Not a provider yet: 服务机构中心 says so.
    const seen = ent.problems.length;
    await page.goto("/provider");
    await see(page.getByText("服务机构中心仅对审核通过的服务商开放。", { exact: false }));
    await see(page.getByRole("main").getByRole("link", { name: "申请成为服务商" }));
    // That 403 page is shown on purpose; its console line is not a fault.
    expect(ent.problems.slice(seen)).toEqual(["console: Failed to load resource: the server responded with a status of 403 (Forbidden)"]);
    ent.problems.length = seen;

    // The reviewer: 服务商审核 -> the application -> both documents -> 通过（入库）.
    const admin = rev.page;
    await admin.goto("/admin");
    await admin.getByRole("link", { name: "服务商审核与管理" }).click();
    await see(heading(admin, "服务商审核"));
    const row = rowWith(admin, company);
    await see(row.getByRole("cell", { name: "待审核", exact: true }));
    await row.getByRole("link", { name: "审核" }).click();
    await see(heading(admin, `服务商申请：${company}`));
    await see(admin.getByRole("heading", { level: 2, name: "状态：待审核" }));
    expect(await fact(admin.locator("main"), "服务类别")).toBe("数字化改造、智能制造");
    expect(await fact(admin.locator("main"), "联系人")).toBe("李四，07715551234");
    for (const doc of [QUALIFICATION_PDF, CONTRACT_PDF]) {
      const link = admin.getByRole("link", { name: doc.name, exact: true });
      await see(link);
      const res = await admin.request.get((await link.getAttribute("href"))!);
      expect(res.status()).toBe(200);
      expect(res.headers()["content-disposition"]).toMatch(/^attachment;/);
      expect(Buffer.from(await res.body())).toEqual(doc.buffer);
    }
    await admin.getByRole("button", { name: "通过（入库）" }).click();
    await see(flashMessage(admin, "已通过，该企业已入库为服务商"));
    await see(admin.getByRole("heading", { level: 2, name: "状态：已入库" }));
    expect(await admin.getByRole("button", { name: "通过（入库）" }).count()).toBe(0);

    // The enterprise: 已入库 -> 服务机构中心 -> 服务产品 -> 发布服务产品.
    await page.goto("/me/provider-application");
    await see(page.getByText("已入库", { exact: true }));
    await page.getByRole("link", { name: "进入服务机构中心" }).click();
    await see(heading(page, "服务机构中心"));
    expect(new URL(page.url()).pathname).toBe("/provider");
    await page.getByRole("main").getByRole("link", { name: "服务产品", exact: true }).click();
    await see(heading(page, "服务产品"));
    await see(page.getByRole("cell", { name: "还没有服务产品" }));
    await page.getByRole("main").getByRole("link", { name: "发布服务产品" }).click();
    await see(heading(page, "发布服务产品"));
    // The form starts with 通用券服务, 广西全区 and 项.
    expect(await page.getByRole("checkbox", { name: "通用券服务" }).isChecked()).toBe(true);
    expect(await page.getByRole("checkbox", { name: "广西全区" }).isChecked()).toBe(true);
    expect(await page.getByLabel("计价单位").inputValue()).toBe("项");
    await fillProduct(page, {
      title,
      category: "数字化改造",
      price: "50000",
      unit: "项",
      content:
        "深入企业车间开展数字化水平评估，梳理研发、生产、仓储和销售各环节的数据流与系统现状，识别关键短板，形成分阶段的数字化改造路线图、重点项目清单和投资估算，并协助企业组织评审。",
      deliverables: "数字化水平评估报告一份；改造路线图一份；重点项目清单与投资估算表",
      acceptance: "企业组织评审会确认评估报告与路线图；清单覆盖全部约定环节",
    });
    await page.getByRole("button", { name: "保存草稿" }).click();
    await see(flashMessage(page, "已保存为草稿。预览无误后请提交审核。"));
    await see(heading(page, "编辑服务产品"));
    await see(page.getByRole("heading", { level: 2, name: "状态：草稿" }));
    expect(await page.getByLabel("产品名称").inputValue()).toBe(title);
    const editUrl = new URL(page.url()).pathname;
    expect(editUrl).toMatch(/^\/provider\/products\/[0-9a-f-]{36}$/);

    // 预览: the page enterprises will see, marked as a preview; back to editing.
    await page.getByRole("link", { name: "预览" }).click();
    await see(heading(page, title));
    await see(flashMessage(page, "预览：这是企业将看到的页面（未上架的内容不会公开）。"));
    await see(page.getByText(/^¥50,000\.00 \/ 项$/));
    expect(await fact(page.locator("main"), "服务类别")).toBe("数字化改造");
    expect(await fact(page.locator("main"), "服务区域")).toBe("广西全区");
    await see(page.getByRole("heading", { level: 2, name: "交付清单" }));
    expect(await page.getByRole("button", { name: "申请服务" }).count()).toBe(0);
    await page.getByRole("link", { name: "返回编辑" }).click();
    await see(heading(page, "编辑服务产品"));
    expect(new URL(page.url()).pathname).toBe(editUrl);

    // 提交审核: 自动预审 通过, 待审核, the form is frozen.
    await page.getByRole("button", { name: "提交审核" }).click();
    await see(flashMessage(page, "已提交审核。自动预审结果：通过，平台审核人员将作出决定。"));
    await see(page.getByRole("heading", { level: 2, name: "状态：待审核" }));
    await see(page.getByText("自动预审：通过", { exact: true }));
    await see(page.getByRole("button", { name: "撤回" }));
    expect(await page.getByRole("button", { name: "保存草稿" }).count()).toBe(0);
    await page.getByRole("link", { name: "← 服务产品" }).click();
    const mine = rowWith(page, title);
    await see(mine.getByRole("cell", { name: "待审核", exact: true }).first());
    expect(await mine.getByRole("cell").nth(1).innerText()).toBe("¥50,000.00");

    // The reviewer: 服务产品审核 (自动预审 column) -> the product -> 通过.
    await openProductReview(admin, title, "通过");
    await see(admin.getByText("未发现问题", { exact: true }));
    expect(await fact(admin.locator("main"), "价格")).toBe("¥50,000.00 / 项");
    expect(await fact(admin.locator("main"), "服务商")).toBe(company);
    await admin.getByRole("button", { name: "通过", exact: true }).click();
    await see(flashMessage(admin, "已通过，产品已上架"));
    expect(await admin.getByRole("button", { name: "通过", exact: true }).count()).toBe(0);

    // The provider sees it listed.
    await page.goto(editUrl);
    await see(page.getByRole("heading", { level: 2, name: "状态：已上架" }));
    await see(page.getByRole("link", { name: "查看上架页面" }));

    // Demo enterprise 1 searches 通用券服务 by a word of the title and opens it.
    const buyer = await e2e.open(js);
    await signInWithPassword(buyer.page, "13800000001");
    const shop = buyer.page;
    await shop.getByRole("navigation", { name: "主导航" }).getByRole("link", { name: "通用券服务" }).click();
    await see(heading(shop, "通用券服务"));
    await shop.getByLabel("关键词").fill(keyword);
    await shop.getByRole("button", { name: "筛选" }).click();
    await see(shop.getByText("共 1 个服务产品", { exact: true }));
    const results = shop.locator("#results");
    await see(results.getByRole("link", { name: company }));
    await results.getByRole("link", { name: title }).click();
    await see(heading(shop, title));
    const box = shop.getByRole("region", { name: "服务券抵扣" });
    await see(box.getByText(GENERAL, { exact: true }));
    await see(box.getByText(`用券有效期 ${YEAR}-01-01 至 ${YEAR}-12-31`, { exact: false }));
    expect(await fact(box, "补贴券抵扣金额")).toBe("¥15,000.00");
    expect(await fact(box, "企业自付")).toBe("¥35,000.00");
    expect(await fact(box, "可用额度")).toBe("¥60,000.00");
    await see(box.getByRole("button", { name: "申请服务" }));
    const productUrl = new URL(shop.url()).pathname;

    // The provider's public page lists it.
    await shop.getByRole("link", { name: company }).first().click();
    await see(heading(shop, company));
    await see(shop.getByText("平台入库服务商", { exact: true }));
    await see(shop.getByRole("link", { name: title }));

    // Anonymous: the rate, and 登录 instead of the amounts.
    const anon = await e2e.open(js);
    await anon.page.goto(productUrl);
    await see(heading(anon.page, title));
    const anonBox = anon.page.getByRole("region", { name: "服务券抵扣" });
    await see(anonBox.getByText(`${GENERAL}：补贴比例 30%，单笔最多抵扣 ¥50,000.00，用券有效期 ${YEAR}-01-01 至 ${YEAR}-12-31。`, { exact: true }));
    await see(anonBox.getByRole("link", { name: "登录" }));
    await see(anonBox.getByText("后可查看贵企业的补贴券抵扣金额", { exact: false }));
    expect(await anonBox.getByText("补贴券抵扣金额", { exact: true }).count()).toBe(0);
    await anonBox.getByRole("link", { name: "登录" }).click();
    await see(heading(anon.page, "登录"));
    expect(new URL(anon.page.url()).searchParams.get("next")).toBe(productUrl);
  }, 90_000);
});

describe("自动预审 不通过", () => {
  it("a product with 旅游 in its title and no 交付清单/验收标准 -> 不通过 with the reasons -> the reviewer sees them and 驳回 with a reason -> the provider sees it", async () => {
    const title = "北部湾滨海旅游团建拓展服务";
    const reasons = ["含有负面清单词语：旅游（服务券不得用于此类服务）", "缺少交付清单和验收标准，无法核验服务成果"];
    const { page } = await e2e.open(true);
    // Demo provider 7 (广西示例智能制造服务有限公司).
    await signInWithPassword(page, "13800000007");
    await page.goto("/provider/products/new");
    await see(heading(page, "发布服务产品"));
    await fillProduct(page, {
      title,
      category: "管理咨询",
      price: "30000",
      unit: "次",
      content: "组织企业管理团队赴北部湾沿海开展为期三天的团队建设活动，包括拓展训练、座谈交流和参观学习，增强团队凝聚力，提升管理人员的协作与沟通能力。",
      deliverables: "",
      acceptance: "",
    });
    await page.getByRole("button", { name: "保存草稿" }).click();
    await see(page.getByRole("heading", { level: 2, name: "状态：草稿" }));
    const editUrl = new URL(page.url()).pathname;
    await page.getByRole("button", { name: "提交审核" }).click();
    await see(flashMessage(page, "已提交审核。自动预审结果：不通过，平台审核人员将作出决定。"));
    await see(page.getByRole("heading", { level: 2, name: "状态：待审核" }));
    await see(page.getByText("自动预审：不通过", { exact: true }));
    for (const r of reasons) await see(page.getByRole("listitem").filter({ hasText: r }));

    const rev = await e2e.open(true);
    const admin = rev.page;
    await signInAdmin(admin, "reviewer");
    await openProductReview(admin, title, "不通过");
    for (const r of reasons) await see(admin.getByRole("listitem").filter({ hasText: r }));
    expect(await fact(admin.locator("main"), "服务商")).toBe("广西示例智能制造服务有限公司");
    await see(admin.getByRole("heading", { level: 3, name: "交付清单" }));

    // 驳回 without a reason is refused beside the field.
    await admin.getByRole("button", { name: "驳回" }).click();
    await see(admin.getByRole("alert").getByRole("link", { name: "驳回时请填写驳回原因（至少2个字）" }));
    const reasonField = admin.getByLabel("审核意见（驳回时必填）");
    expect(await reasonField.getAttribute("aria-invalid")).toBe("true");
    const why = "含旅游、团建内容，不属于服务券可购买的服务";
    await reasonField.fill(why);
    await admin.getByRole("button", { name: "驳回" }).click();
    await see(flashMessage(admin, "已驳回"));
    await see(admin.getByText(`原因：${why}`, { exact: true }));
    expect(await admin.getByRole("button", { name: "驳回" }).count()).toBe(0);

    // The provider sees 已驳回 and the reason, and may edit again.
    await page.goto(editUrl);
    await see(page.getByRole("heading", { level: 2, name: "状态：已驳回" }));
    await see(page.getByText(`驳回原因：${why}`, { exact: true }));
    await see(page.getByRole("button", { name: "保存草稿" }));
    // Never listed: not in the public list.
    await page.goto(`/services?q=${encodeURIComponent("滨海旅游")}`);
    await see(page.getByText("共 0 个服务产品", { exact: true }));
  }, 60_000);
});

describe("服务产品列表: filters", () => {
  /** The product titles shown in the results. */
  const titles = (page: Page) => page.locator("#results").getByRole("heading", { level: 2 }).allInnerTexts();

  it("with JavaScript: changing 服务类别 swaps #results without a page load and pushes a shareable URL", async () => {
    const { page } = await e2e.open(true);
    await page.goto("/services/general");
    await see(heading(page, "通用券服务"));
    expect((await titles(page)).length).toBeGreaterThan(1);
    await page.waitForFunction(() => "htmx" in window);
    await page.evaluate(() => Object.assign(window, { __stillHere: true }));

    const swap = page.waitForResponse((r) => new URL(r.url()).pathname === "/services/general" && r.request().headers()["hx-request"] === "true");
    await page.getByLabel("服务类别").selectOption({ label: "检验检测" });
    const res = await swap;
    expect(res.request().headers()["hx-target"]).toBe("results");
    await see(page.getByText("共 1 个服务产品", { exact: true }));
    expect(await titles(page)).toEqual(["金属材料力学性能检测"]);
    expect(await page.evaluate(() => (window as unknown as { __stillHere?: boolean }).__stillHere)).toBe(true);
    // The fragment, not a second page inside the page.
    expect(await page.getByRole("heading", { level: 1 }).count()).toBe(1);
    expect(await page.locator("#results").count()).toBe(1);
    const url = new URL(page.url());
    expect(url.pathname).toBe("/services/general");
    expect(url.searchParams.get("category")).toBe("testing");

    // The pushed URL opened elsewhere shows the same filtered page.
    const other = await e2e.open(true);
    await other.page.goto(url.pathname + url.search);
    await see(other.page.getByText("共 1 个服务产品", { exact: true }));
    expect(await titles(other.page)).toEqual(["金属材料力学性能检测"]);
    expect(await other.page.getByLabel("服务类别").locator("option:checked").innerText()).toBe("检验检测");

    // Back to 全部.
    const back = page.waitForResponse((r) => new URL(r.url()).pathname === "/services/general" && r.request().headers()["hx-request"] === "true");
    await page.getByLabel("服务类别").selectOption({ label: "全部" });
    await back;
    await page.waitForFunction(() => document.querySelectorAll("#results h2").length > 1);
    expect(new URL(page.url()).searchParams.get("category") ?? "").toBe("");

    // A typed keyword waits for 筛选 (or Enter): one request, not one per field left.
    const sent: string[] = [];
    page.on("request", (r) => {
      if (r.headers()["hx-request"] === "true") sent.push(r.url());
    });
    await page.getByLabel("关键词").fill("力学性能");
    await page.getByLabel("最高价格（元）").fill("10000");
    const search = page.waitForResponse((r) => new URL(r.url()).searchParams.get("q") === "力学性能");
    await page.getByRole("button", { name: "筛选" }).click();
    await search;
    await see(page.getByText("共 1 个服务产品", { exact: true }));
    expect(await titles(page)).toEqual(["金属材料力学性能检测"]);
    expect(sent).toHaveLength(1);
    expect(new URL(page.url()).searchParams.get("max")).toBe("10000");
  });

  it("without JavaScript: the same form is a plain GET with a shareable URL", async () => {
    const { page } = await e2e.open(false);
    await page.goto("/services/general");
    await see(heading(page, "通用券服务"));
    expect((await titles(page)).length).toBeGreaterThan(1);
    await page.getByLabel("服务类别").selectOption({ label: "检验检测" });
    await page.getByLabel("排序").selectOption({ label: "价格从低到高" });
    await page.getByRole("button", { name: "筛选" }).click();
    await page.waitForURL(/category=testing/);
    await see(page.getByText("共 1 个服务产品", { exact: true }));
    expect(await titles(page)).toEqual(["金属材料力学性能检测"]);
    const url = new URL(page.url());
    expect(url.pathname).toBe("/services/general");
    expect(url.searchParams.get("category")).toBe("testing");
    expect(url.searchParams.get("sort")).toBe("price_asc");

    const other = await e2e.open(false);
    await other.page.goto(url.pathname + url.search);
    await see(other.page.getByText("共 1 个服务产品", { exact: true }));
    expect(await titles(other.page)).toEqual(["金属材料力学性能检测"]);
    expect(await other.page.getByLabel("服务类别").locator("option:checked").innerText()).toBe("检验检测");
    expect(await other.page.getByLabel("排序").locator("option:checked").innerText()).toBe("价格从低到高");
  });
});

describe("服务产品列表 on a phone (360 px): the filters fold behind 筛选", () => {
  const PHONE = { width: 360, height: 800 };
  const titles = (page: Page) => page.locator("#results").getByRole("heading", { level: 2 }).allInnerTexts();
  const fold = (page: Page) => page.locator("details.filters-fold > summary");

  /** The first product card, whole, inside the first screen (the viewport is 800 px high). */
  async function firstCardOnFirstScreen(page: Page): Promise<void> {
    const card = page.locator("#results .product-card").first();
    await see(card);
    const box = (await card.boundingBox())!;
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.y + box.height, "the first product card ends inside the first 800 px").toBeLessThanOrEqual(800);
    // The page is at its top: nothing scrolled it there.
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
  }

  it.each(["/services", "/services/general", "/services/special"])("%s: 筛选 folded, the first product card in the first screen", async (path) => {
    const { page } = await e2e.open(false, PHONE);
    await page.goto(path);
    await see(fold(page));
    expect(await fold(page).innerText()).toBe("筛选");
    await notSee(page.getByLabel("服务类别"));
    await notSee(page.getByRole("button", { name: "筛选" }));
    await firstCardOnFirstScreen(page);
  });

  describe.each([
    { mode: "JavaScript on", js: true },
    { mode: "JavaScript off", js: false },
  ])("with $mode", ({ js }) => {
    it("opening 筛选 shows the filters; choosing 检验检测 filters the list; folding it again shows the result first", async () => {
      const { page } = await e2e.open(js, PHONE);
      await page.goto("/services/general");
      await see(heading(page, "通用券服务"));
      if (js) await page.waitForFunction(() => "htmx" in window);
      expect((await titles(page)).length).toBeGreaterThan(1);
      await fold(page).click();
      await see(page.getByLabel("服务类别"));
      await page.getByLabel("服务类别").selectOption({ label: "检验检测" });
      // With htmx the change alone filters; without it 筛选 sends the form (a GET).
      if (!js) await page.getByRole("button", { name: "筛选" }).click();
      await see(page.getByText("共 1 个服务产品", { exact: true }));
      expect(await titles(page)).toEqual(["金属材料力学性能检测"]);
      expect(new URL(page.url()).searchParams.get("category")).toBe("testing");
      // The filters in use stay in sight (htmx kept the form; the server opens 筛选 when a filter is in use).
      await see(page.getByLabel("服务类别"));
      expect(await page.getByLabel("服务类别").locator("option:checked").innerText()).toBe("检验检测");
      await fold(page).click();
      await notSee(page.getByLabel("服务类别"));
      await page.evaluate(() => window.scrollTo(0, 0));
      await firstCardOnFirstScreen(page);
      expect(await titles(page)).toEqual(["金属材料力学性能检测"]);
    });
  });

  it("on a wide screen the filters show without opening 筛选, also when none is in use", async () => {
    const { page } = await e2e.open(false, { width: 1280, height: 800 });
    await page.goto("/services/general");
    await see(page.getByLabel("服务类别"));
    await see(page.getByRole("button", { name: "筛选" }));
    await notSee(fold(page));
    expect(await page.locator("details.filters-fold").getAttribute("open")).toBeNull();
  });
});
