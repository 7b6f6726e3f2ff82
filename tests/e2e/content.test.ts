import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { browserSuite, flashMessage, heading, pdfFile, see, signInAdmin, shot } from "./support.ts";

/**
 * 政策资讯 in a real browser, once with JavaScript (htmx tab switching) and once without: the demo
 * operator writes a policy document with a PDF attachment, previews it and publishes it; a visitor
 * finds it on /news under 政策文件, opens it, sees the formatted body and downloads the attachment.
 */

const e2e = browserSuite({ demo: true });

describe.each([
  { mode: "JavaScript on", js: true },
  { mode: "JavaScript off", js: false },
])("政策资讯 with $mode", ({ js }) => {
  it("operator publishes a policy document with an attachment; a visitor reads it on /news and downloads the attachment", async () => {
    const title = js ? "南宁市制造业设备更新专项券实施细则" : "柳州市通用券兑付流程说明";
    const fileName = js ? "实施细则.pdf" : "兑付流程.pdf";
    const bytes = pdfFile(fileName).buffer;

    // 管理端首页 -> 政策资讯管理 -> 新建文章.
    const op = await e2e.open(js);
    await signInAdmin(op.page, "operator");
    await op.page.getByRole("link", { name: "政策资讯管理" }).click();
    await see(heading(op.page, "政策资讯管理"));
    await op.page.getByRole("link", { name: "新建文章" }).click();
    await see(heading(op.page, "新建文章"));
    await op.page.getByLabel("标题").fill(title);
    await op.page.getByRole("group", { name: "类型" }).getByRole("radio", { name: "政策文件" }).check();
    await op.page.getByLabel("摘要（可选）").fill("细则要点摘要，供企业快速了解。");
    await op.page
      .getByLabel("正文")
      .fill(
        "## 适用对象\n\n已完成企业信息认证的**制造业企业**。\n\n## 办理步骤\n\n1. 申请配额\n2. 选择服务\n\n详见[管理办法](/news/p/voucher-measures)。",
      );
    await op.page.getByLabel("上传附件（可选）").setInputFiles({ name: fileName, mimeType: "application/pdf", buffer: bytes });
    await op.page.getByRole("button", { name: "保存并预览" }).click();

    // 预览: the public page of the draft, with the 发布 button.
    await see(heading(op.page, title));
    await see(flashMessage(op.page, "预览：这是公众将看到的页面。当前状态：草稿"));
    await see(op.page.getByRole("heading", { level: 2, name: "适用对象" }));
    await see(op.page.getByRole("link", { name: fileName }));
    await shot(op.page, `article-preview-${js ? "js" : "nojs"}`);
    await op.page.getByRole("button", { name: "发布", exact: true }).click();
    await see(flashMessage(op.page, "已发布，公众可在政策资讯中看到"));
    await see(op.page.getByRole("heading", { level: 2, name: "状态：已发布" }));

    // A visitor: /news -> 政策文件 -> the article.
    const visitor = await e2e.open(js);
    const { page } = visitor;
    await page.goto("/news");
    await see(heading(page, "政策资讯"));
    await see(page.getByRole("link", { name: title }));
    await page.getByRole("navigation", { name: "资讯类型" }).getByRole("link", { name: "政策文件" }).click();
    await see(page.getByRole("navigation", { name: "资讯类型" }).locator('a[aria-current="page"]', { hasText: "政策文件" }));
    expect(new URL(page.url()).search).toBe("?kind=policy");
    await see(page.getByRole("link", { name: "广西制造业企业培优育强服务券管理办法" }));
    await page.getByRole("link", { name: title }).click();
    await see(heading(page, title));
    await see(page.getByRole("heading", { level: 2, name: "适用对象" }));
    await see(page.getByText("细则要点摘要，供企业快速了解。"));
    expect(await page.locator(".article-body strong").innerText()).toBe("制造业企业");
    expect(await page.locator(".article-body ol li").allInnerTexts()).toEqual(["申请配额", "选择服务"]);
    expect(await page.getByRole("link", { name: "管理办法" }).getAttribute("rel")).toBe("noopener");
    await see(page.getByText(/发布时间 \d{4}-\d{2}-\d{2} \d{2}:\d{2}/));

    // The attachment downloads with its name and bytes.
    const link = page.getByRole("link", { name: fileName });
    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    expect(download.suggestedFilename()).toBe(fileName);
    expect(await readFile((await download.path())!)).toEqual(bytes);

    // The policy document's stable link leads to the demo measures.
    await page.goto("/news/p/voucher-measures");
    await see(heading(page, "广西制造业企业培优育强服务券管理办法"));
  });
});

describe("screens", () => {
  it.each([1280, 360])("news list, detail and the admin form at %i px", async (width) => {
    const tab = await e2e.open(true, { width });
    const { page } = tab;
    await page.goto("/news");
    await see(heading(page, "政策资讯"));
    const fits = async () => expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
    await fits();
    await shot(page, `news-${width}`);
    await page.goto("/news/p/voucher-measures");
    await see(heading(page, "广西制造业企业培优育强服务券管理办法"));
    await fits();
    await shot(page, `article-${width}`);
    await signInAdmin(page, "operator");
    await page.goto("/admin/articles");
    await see(heading(page, "政策资讯管理"));
    await shot(page, `admin-articles-${width}`);
    await page.getByRole("link", { name: "广西制造业企业培优育强服务券管理办法" }).click();
    await see(heading(page, "编辑文章"));
    await fits();
    await shot(page, `admin-article-${width}`);
  });
});
