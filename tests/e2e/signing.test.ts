import type { Locator, Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { type SigningWorld, signingOrder } from "../support/signing.ts";
import { accountOf, productBy, statusOf } from "../support/orders.ts";
import { SELFIE_FILE, browserSuite, heading, phoneLink, refreshUntil, see, shot, signInWithPassword, signOnPhone } from "./support.ts";

/**
 * 待签合同 -> 待支付定金 in a real browser, JavaScript on and off (manual 7.1, 8.2, 8.3): both
 * parties make their seals through the provider's face check, each signs through the QR link on a
 * second context sized as a 360 px phone, the desktop follows the status, the signed PDF downloads
 * and verifies on 合同验真. The server runs the job engine (the flow starts by a job; the mock's
 * callbacks arrive by its delivery jobs over the app).
 *
 * JavaScript on: demo enterprise 1 orders 金属材料力学性能检测 from provider 8 (taken to 待签合同
 * through the use cases). Off: the demo order of enterprise 3 with provider 7, already 待签合同.
 */
const e2e = browserSuite({ demo: true, mockCallbacks: true, jobs: "engine" });
beforeAll(async () => {
  const { deps } = e2e.server.t;
  await deps.jobs.start();
  await deps.signing.startWorkers();
  const mock = (await import("../../src/adapters/mock-esign/mock-esign.ts")).asMockEsign(deps.esign)!;
  await mock.startWorkers();
});

async function legalOf(phone: string) {
  const { t } = e2e.server;
  const e = await t.deps.enterprises.ofAccount(await accountOf(t, phone));
  return (await t.deps.enterprises.signatory(e!.id))!.legal;
}

/** With JavaScript the signing pages follow by themselves (htmx polls); without, 刷新状态 or a reload. */
const until = (page: Page, js: boolean, locator: Locator, refresh: () => Promise<unknown>) => refreshUntil(page, locator, { follows: js, refresh });

/** 制作签章 from the signing page's 请先制作签章, through the provider's face check, back to 签署合同. */
async function makeSeal(page: Page, js: boolean, phone: string, name: string) {
  await see(page.getByText("您的企业尚未制作电子签章"));
  await page.getByRole("link", { name: "制作签章" }).click();
  await see(heading(page, "我的签章"));
  await shot(page, `signing-${name}-seal-form`);
  await page.getByRole("button", { name: "制作签章" }).click();
  await see(page.getByRole("heading", { level: 1, name: "实名认证" }));
  const legal = await legalOf(phone);
  await page.getByLabel("姓名").fill(legal.name);
  await page.getByLabel("身份证号").fill(legal.idNumber);
  await page.getByLabel("本人照片（人脸识别）").setInputFiles(SELFIE_FILE);
  await page.getByRole("button", { name: "认证成功" }).click();
  await see(heading(page, "我的签章"));
  await until(page, js, page.getByText("已生效"), () => page.getByRole("button", { name: "刷新状态" }).click());
  await see(page.getByRole("img", { name: /电子签章$/ }));
  await shot(page, `signing-${name}-seal-active`);
  await page.getByRole("link", { name: "返回签署合同" }).click();
  await see(heading(page, "签署合同"));
}

describe.each([
  [true, "13800000001", "13800000008"],
  [false, "13800000003", "13800000007"],
])("签署合同 with JavaScript %s", (js, entPhone, proPhone) => {
  it("both make their seals, sign on the phone, the order reaches 待支付定金, the signed PDF verifies", async () => {
    const { t } = e2e.server;
    const ent = await accountOf(t, entPhone);
    let orderId: string;
    if (js) {
      const w = { t, ent, pro: await accountOf(t, proPhone), product: await productBy(t, "金属材料力学性能检测") } as SigningWorld;
      orderId = await signingOrder(w);
    } else {
      const [row] = await t.deps.db.query<{ id: string }>(
        "select o.id from orders o join accounts a on a.id = $1 join enterprises e on e.account_id = a.id where o.enterprise_id = e.id and o.status = 'contract_signing'",
        [ent],
      );
      orderId = row!.id;
    }
    const number = (await t.deps.orders.orderNumberOf(orderId))!;

    // The enterprise: 我购买的服务 -> the order -> 签署合同 -> 制作签章 first.
    const { page: entPage } = await e2e.open(js);
    await signInWithPassword(entPage, entPhone);
    await entPage.goto(`/me/orders/${orderId}`);
    await see(heading(entPage, `订单 ${number}`));
    await entPage.getByRole("link", { name: "签署合同" }).click();
    await see(heading(entPage, "签署合同"));
    await makeSeal(entPage, js, entPhone, `${js ? "js" : "nojs"}-enterprise`);
    await see(entPage.getByText("等待服务机构制作电子签章后发起签署"));

    // The provider: 订单管理 -> the order -> 签署合同 -> 制作签章; then the flow starts (a job).
    const { page: proPage } = await e2e.open(js);
    await signInWithPassword(proPage, proPhone);
    await proPage.goto(`/provider/orders/${orderId}`);
    await proPage.getByRole("link", { name: "签署合同" }).click();
    await see(heading(proPage, "签署合同"));
    await makeSeal(proPage, js, proPhone, `${js ? "js" : "nojs"}-provider`);

    // The enterprise signs first: the QR code on the desktop, the phone opens its link.
    const phones = await e2e.open(js, { width: 360, height: 740 });
    const entLink = await phoneLink(entPage, js);
    await shot(entPage, `signing-${js ? "js" : "nojs"}-qr`);
    await signOnPhone(phones.context, entLink, await legalOf(entPhone), `signing-${js ? "js" : "nojs"}-enterprise-phone`);
    await until(entPage, js, entPage.getByText("您已完成签署，等待对方签署"), () => entPage.reload());

    // Then the provider.
    const proLink = await phoneLink(proPage, js);
    await signOnPhone(phones.context, proLink, await legalOf(proPhone), `signing-${js ? "js" : "nojs"}-provider-phone`);
    await until(proPage, js, proPage.getByText("合同已完成签署"), () => proPage.reload());
    await until(entPage, js, entPage.getByText("合同已完成签署"), () => entPage.reload());
    await shot(entPage, `signing-${js ? "js" : "nojs"}-completed`);
    expect(await statusOf(t, orderId)).toBe("awaiting_deposit");
    await entPage.goto(`/me/orders/${orderId}`);
    await see(entPage.getByRole("heading", { level: 2, name: "订单状态：待支付定金" }));

    // The signed PDF downloads and verifies on 合同验真.
    await entPage.goto(`/me/orders/${orderId}/sign`);
    const [download] = await Promise.all([entPage.waitForEvent("download"), entPage.getByRole("link", { name: "下载已签署合同" }).click()]);
    const path = await download.path();
    expect(download.suggestedFilename()).toMatch(/\.pdf$/);
    if (process.env.E2E_SHOTS_DIR) await download.saveAs(`${process.env.E2E_SHOTS_DIR}/signing-${js ? "js" : "nojs"}-signed.pdf`);
    await entPage.goto("/verify");
    await entPage.getByLabel("合同文件（PDF）").setInputFiles(path);
    await entPage.getByRole("button", { name: "验证文件" }).click();
    await see(entPage.getByText(/验证通过/).first());
    await see(entPage.getByText(number).first());
    await shot(entPage, `signing-${js ? "js" : "nojs"}-verified`);
  }, 240_000);
});
