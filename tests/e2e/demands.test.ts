import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { addDays, shanghaiToday } from "../../src/modules/demands/domain.ts";
import { browserSuite, fact, flashMessage, heading, notSee, rowWith, see, signInAdmin, signInWithPassword } from "./support.ts";

/**
 * 企业需求 in a real browser, once with JavaScript (htmx) and once without: demo enterprise 3
 * publishes a demand from the public 企业需求 page (发布需求), the reviewer publishes it, it appears
 * on /demands (keyword filter), an anonymous visitor sees the contact masked, demo provider 8
 * sees it in full and responds (响应需求) with its product, and the enterprise finds the response
 * in 我的需求管理; the provider finds it under 需求响应.
 */

const e2e = browserSuite({ demo: true });

describe.each([
  { mode: "JavaScript on", js: true },
  { mode: "JavaScript off", js: false },
])("企业需求 with $mode", ({ js }) => {
  it("发布需求 -> 待处理 -> reviewer 发布 -> listed on /demands -> a provider 响应需求 -> the enterprise sees it in 我的需求管理", async () => {
    const title = js ? "压铸件X射线探伤检测服务" : "注塑模具三坐标尺寸检测服务";
    const keyword = js ? "射线探伤" : "模具三坐标";
    const deadline = addDays(shanghaiToday(new Date()), 40);

    // Demo enterprise 3 from the public 企业需求 page: 发布需求.
    const ent = await e2e.open(js);
    const page = ent.page;
    await signInWithPassword(page, "13800000003");
    await page.getByRole("navigation", { name: "主导航" }).getByRole("link", { name: "企业需求" }).click();
    await see(heading(page, "企业需求"));
    await page.getByRole("main").getByRole("link", { name: "发布需求" }).click();
    await see(heading(page, "发布需求"));

    // An empty form: the summary and messages beside the fields, nothing saved.
    await page.getByLabel("联系电话").fill("");
    await page.getByRole("button", { name: "提交需求" }).click();
    await see(page.getByRole("alert").getByRole("link", { name: "请输入需求标题" }));
    expect(await page.getByLabel("需求标题").getAttribute("aria-invalid")).toBe("true");

    await page.getByLabel("需求标题").fill(title);
    await page.getByLabel("需求类别").selectOption({ label: "检验检测" });
    await page.getByLabel("需求描述").fill("每月约2000件压铸件需做内部缺陷检测，希望委托具备CMA资质的机构开展X射线探伤，出具检测报告，服务期一年。");
    await page.getByLabel("最低预算（元）").fill("80000");
    await page.getByLabel("最高预算（元）").fill("120000");
    await page.getByLabel("所在城市").selectOption({ label: "桂林市" });
    await page.getByLabel("所在区县（选填）").selectOption({ label: "七星区" });
    await page.getByLabel("截止日期").fill(deadline);
    await page.getByLabel("联系人").fill("李娜");
    await page.getByLabel("联系电话").fill("0773-5551234");
    await page.getByRole("button", { name: "提交需求" }).click();
    await see(flashMessage(page, "需求已提交，状态为待处理。"));
    await see(heading(page, title));
    await see(page.getByRole("heading", { level: 2, name: "状态：待处理" }));
    const mineUrl = new URL(page.url()).pathname;
    expect(mineUrl).toMatch(/^\/me\/demands\/[0-9a-f-]{36}$/);
    const id = mineUrl.split("/").pop()!;

    // 我的需求管理 lists it as 待处理.
    await page.getByRole("navigation", { name: "个人中心菜单" }).getByRole("link", { name: "我的需求管理" }).click();
    await see(heading(page, "我的需求管理"));
    await see(page.getByRole("main").getByRole("link", { name: "发布需求" }));
    await see(rowWith(page, title).getByRole("cell", { name: "待处理", exact: true }));

    // The reviewer: 企业需求审核 -> 审核 -> 发布.
    const rev = await e2e.open(js);
    const admin = rev.page;
    await signInAdmin(admin, "reviewer");
    await admin.getByRole("link", { name: "企业需求审核" }).click();
    await see(heading(admin, "企业需求审核"));
    const queued = rowWith(admin, title);
    await see(queued.getByRole("cell", { name: "待处理", exact: true }));
    await queued.getByRole("link", { name: "审核" }).click();
    await see(heading(admin, title));
    expect(await fact(admin.locator("main"), "联系人")).toBe("李娜，07735551234");
    expect(await fact(admin.locator("main"), "预算")).toBe("¥80,000.00 - ¥120,000.00");
    await admin.getByRole("button", { name: "发布", exact: true }).click();
    await see(flashMessage(admin, "已发布，需求已在“企业需求”中公开"));
    await see(admin.getByRole("heading", { level: 2, name: "状态：已发布" }));

    // Anonymous visitor: finds it by keyword on /demands; the contact is masked.
    const anon = await e2e.open(js);
    const pub = anon.page;
    await pub.goto("/demands");
    await see(heading(pub, "企业需求"));
    if (js) await pub.waitForFunction(() => "htmx" in window);
    await pub.getByLabel("关键词").fill(keyword);
    await pub.getByRole("button", { name: "筛选" }).click();
    await see(pub.getByText("共 1 条需求", { exact: true }));
    const url = new URL(pub.url());
    expect(url.pathname).toBe("/demands");
    expect(url.searchParams.get("q")).toBe(keyword);
    expect(await pub.getByRole("heading", { level: 1 }).count()).toBe(1);
    await pub.locator("#results").getByRole("link", { name: title }).click();
    await see(heading(pub, title));
    const contact = pub.getByRole("region", { name: "联系方式" });
    expect(await fact(contact, "联系人")).toBe("李*");
    expect(await fact(contact, "联系电话")).toBe("0773****34");
    await see(contact.getByText("登录服务商账号后可查看联系方式", { exact: false }));
    expect(await fact(pub.locator("main"), "所在地区")).toBe("桂林市七星区");

    // Demo provider 8 (检验检测): full contact, 响应需求 with its product.
    const prov = await e2e.open(js);
    const pp = prov.page;
    await signInWithPassword(pp, "13800000008");
    await pp.goto(`/demands/${id}`);
    await see(heading(pp, title));
    const full = pp.getByRole("region", { name: "联系方式" });
    expect(await fact(full, "联系人")).toBe("李娜");
    expect(await fact(full, "联系电话")).toBe("07735551234");
    const respond = pp.getByRole("region", { name: "响应需求" });
    await respond.getByLabel("方案简述").fill("我司具备CMA资质和工业CT、X射线设备，可每月上门取样，5个工作日内出具检测报告。");
    await respond.getByLabel("报价（元，选填）").fill("96000");
    await respond.getByLabel("关联服务产品（选填）").selectOption({ label: "金属材料力学性能检测（¥8,000.00）" });
    await respond.getByRole("button", { name: "响应需求" }).click();
    await see(flashMessage(pp, "已提交响应。需求企业可在“我的需求管理”中查看。"));
    await see(pp.getByRole("region", { name: "响应需求" }).getByRole("button", { name: "更新响应" }));
    // 服务机构中心 -> 需求响应.
    await pp.goto("/provider");
    await pp.getByRole("link", { name: "需求响应" }).click();
    await see(heading(pp, "需求响应"));
    const answered = rowWith(pp, title);
    await see(answered.getByRole("cell", { name: "¥96,000.00", exact: true }));
    await see(answered.getByRole("link", { name: "金属材料力学性能检测" }));

    // The enterprise: 我的需求管理 -> the demand -> the response.
    await page.goto("/me");
    await page.getByRole("navigation", { name: "个人中心菜单" }).getByRole("link", { name: "我的需求管理" }).click();
    const mine = rowWith(page, title);
    await see(mine.getByRole("cell", { name: "已发布", exact: true }));
    expect((await mine.getByRole("cell").nth(4).innerText()).trim()).toBe("1");
    await mine.getByRole("link", { name: title }).click();
    await see(heading(page, title));
    const responses = page.getByRole("region", { name: "服务商响应（1）" });
    await see(responses.getByRole("heading", { level: 3, name: "广西示例检验检测技术有限公司" }));
    await see(responses.getByText("我司具备CMA资质和工业CT、X射线设备，可每月上门取样，5个工作日内出具检测报告。", { exact: true }));
    expect(await fact(responses, "报价")).toBe("¥96,000.00");
    await responses.getByRole("link", { name: "金属材料力学性能检测" }).click();
    await see(heading(page, "金属材料力学性能检测"));
  }, 90_000);
});

describe("企业需求 list filters", () => {
  it("with JavaScript: choosing 需求类别 swaps #results without a page load and pushes a shareable URL", async () => {
    const { page } = await e2e.open(true);
    await page.goto("/demands");
    await see(heading(page, "企业需求"));
    await page.waitForFunction(() => "htmx" in window);
    await page.evaluate(() => Object.assign(window, { __stillHere: true }));
    const swap = page.waitForResponse((r) => new URL(r.url()).pathname === "/demands" && r.request().headers()["hx-request"] === "true");
    await page.getByLabel("需求类别").selectOption({ label: "数字化改造" });
    expect((await swap).request().headers()["hx-target"]).toBe("results");
    await see(page.getByText("共 1 条需求", { exact: true }));
    await see(page.locator("#results").getByRole("link", { name: "注塑车间MES系统建设" }));
    expect(await page.evaluate(() => (window as unknown as { __stillHere?: boolean }).__stillHere)).toBe(true);
    expect(new URL(page.url()).searchParams.get("category")).toBe("digital");
  });

  it("without JavaScript: the same form is a plain GET", async () => {
    const { page } = await e2e.open(false);
    await page.goto("/demands");
    await page.getByLabel("所在城市").selectOption({ label: "柳州市" });
    await page.getByRole("button", { name: "筛选" }).click();
    await page.waitForURL(/city=450200/);
    await see(page.locator("#results").getByRole("link", { name: "汽车零部件尺寸与材料性能检验检测" }));
    expect(await page.locator("#results").getByRole("link", { name: "注塑车间MES系统建设" }).count()).toBe(0);
  });
});

describe("企业需求 on a phone (360 px): the filters fold behind 筛选", () => {
  const PHONE = { width: 360, height: 800 };
  const fold = (page: Page) => page.locator("details.filters-fold > summary");

  it.each([
    { mode: "JavaScript on", js: true },
    { mode: "JavaScript off", js: false },
  ])("with $mode: the first demand in the first screen; 筛选 opens the filters and 所在城市 filters the list", async ({ js }) => {
    const { page } = await e2e.open(js, PHONE);
    await page.goto("/demands");
    await see(heading(page, "企业需求"));
    if (js) await page.waitForFunction(() => "htmx" in window);
    await see(fold(page));
    await notSee(page.getByLabel("所在城市"));
    const card = page.locator("#results .demand-card").first();
    await see(card);
    const box = (await card.boundingBox())!;
    expect(box.y + box.height, "the first demand ends inside the first 800 px").toBeLessThanOrEqual(800);

    await fold(page).click();
    await page.getByLabel("所在城市").selectOption({ label: "柳州市" });
    if (!js) await page.getByRole("button", { name: "筛选" }).click();
    await page.waitForURL(/city=450200/);
    await see(page.locator("#results").getByRole("link", { name: "汽车零部件尺寸与材料性能检验检测" }));
    expect(await page.locator("#results").getByRole("link", { name: "注塑车间MES系统建设" }).count()).toBe(0);
    await see(page.getByLabel("所在城市"));
  });
});
