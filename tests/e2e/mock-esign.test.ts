import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { SELFIE, creditCode, idNumber, sha256, testPdf } from "../support/esign.ts";
import { browserSuite, see } from "./support.ts";

/**
 * The mock e-signature provider's hosted pages in a real browser on a 360 px phone, JavaScript off
 * and on: 实名认证 with a selfie, then the signing page's face step and 确认签署, each back to the
 * return URL. Nothing scrolls sideways; every control is reached by its visible label.
 */
const e2e = browserSuite();

async function fits(page: Page) {
  const m = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    unlabelled: [...document.querySelectorAll("input:not([type=hidden]), textarea")].filter((el) => !(el as HTMLInputElement).labels?.length).length,
    small: [...document.querySelectorAll("button")].filter((b) => b.getBoundingClientRect().height < 44).length,
  }));
  expect(m).toEqual({ scrollWidth: expect.any(Number), unlabelled: 0, small: 0 });
  expect(m.scrollWidth).toBeLessThanOrEqual(360);
}

const selfie = { name: "selfie.jpg", mimeType: "image/jpeg", buffer: Buffer.from(SELFIE) };

describe.each([false, true])("mock e-signature pages at 360 px, JavaScript %s", (js) => {
  it("实名认证 with a selfie, then signing: face step, 确认签署, back to the platform", async () => {
    const esign = e2e.server.t.deps.esign;
    const legal = { name: "黄八", idNumber: idNumber() };
    const name = "浏览器测试科技有限公司";
    const { partyId } = await esign.ensureParty({ kind: "org", creditCode: creditCode(), name, legalName: legal.name, legalIdNumber: legal.idNumber });
    const { sealId } = await esign.createSeal({ partyId, from: "template", name, bizRef: `seal-${partyId}` });
    const { page } = await e2e.open(js, { width: 360, height: 740 });

    const check = await esign.startIdentityCheck({ partyId, person: legal, returnUrl: "/", bizRef: `e2e-${partyId}` });
    await page.goto(check.url);
    await see(page.getByRole("heading", { level: 1, name: "实名认证" }));
    await fits(page);
    await page.getByLabel("姓名").fill(legal.name);
    await page.getByLabel("身份证号").fill("450102199001011234");
    await page.getByLabel("本人照片（人脸识别）").setInputFiles(selfie);
    await page.getByRole("button", { name: "认证成功" }).click();
    await see(page.getByRole("alert").filter({ hasText: "姓名或身份证号与认证信息不一致" }));
    await page.getByLabel("身份证号").fill(legal.idNumber);
    await page.getByLabel("本人照片（人脸识别）").setInputFiles(selfie);
    await page.getByRole("button", { name: "认证成功" }).click();
    await page.waitForURL((u) => u.pathname === "/");
    expect((await esign.identityStatus(check.checkId)).status).toBe("passed");

    const document = testPdf(`e2e ${partyId}`);
    const { flowId } = await esign.createSignFlow({
      title: "浏览器测试服务合同",
      document,
      sha256: sha256(document),
      signers: [{ partyId, sealId, order: 1, field: { page: 1, x: 1, y: 1 } }],
      expiresAt: new Date(Date.now() + 86_400_000),
      bizRef: `e2e-flow-${partyId}`,
    });
    const link = await esign.signingLink({ flowId, partyId, returnUrl: "/" });
    await page.goto(link.url);
    await see(page.getByRole("heading", { level: 1, name: "签署合同" }));
    await see(page.getByText(sha256(document)));
    await fits(page);
    expect(await page.getByRole("button", { name: "确认签署" }).isDisabled()).toBe(true);
    await page.getByLabel("姓名").fill(legal.name);
    await page.getByLabel("身份证号").fill(legal.idNumber);
    await page.getByLabel("本人照片（人脸识别）").setInputFiles(selfie);
    await page.getByRole("button", { name: "认证成功" }).click();
    await see(page.getByText("人脸认证已通过，可以确认签署。"));
    await fits(page);
    await page.getByRole("button", { name: "确认签署" }).click();
    await page.waitForURL((u) => u.pathname === "/");
    expect((await esign.flowStatus(flowId)).status).toBe("completed");
  });
});
