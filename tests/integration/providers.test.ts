import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, makeTestApp } from "../support/app.ts";
import { Browser, SAMPLE_PDF, SAMPLE_PNG } from "../support/client.ts";
import { registerNew, signIn, signInAdmin } from "../support/flows.ts";

let t: TestApp;
beforeAll(async () => {
  t = await makeTestApp({ demo: true });
});
afterAll(async () => t?.close());

/** Posts the 申请成为服务商 form as a browser does (repeated checkbox names, two file inputs). */
async function apply(
  b: Browser,
  fields: Record<string, string | string[]>,
  files: { q?: Uint8Array; c?: Uint8Array; qName?: string } = { q: SAMPLE_PDF, c: SAMPLE_PDF },
) {
  await b.get("/me/provider-application");
  const body = new FormData();
  body.set("_csrf", b.csrf());
  for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
  if (files.q) body.append("qualificationFiles", new File([files.q as Uint8Array<ArrayBuffer>], files.qName ?? "资质.pdf"));
  if (files.c) body.append("contractFiles", new File([files.c as Uint8Array<ArrayBuffer>], "合同.pdf"));
  const res = await b.request("/me/provider-application", { method: "POST", body, headers: { Origin: "http://localhost" } });
  b.lastHtml = await res.clone().text();
  return res;
}

const GOOD = {
  categories: ["testing", "quality"],
  regions: ["450100", "450200"],
  introduction: "我们是一家专业的检验检测机构，拥有CMA资质和二十年经验，服务区内制造企业。",
  qualifications: "CMA证书编号XXXX",
  contactName: "王五",
  contactPhone: "13812345678",
};

const appCount = async () => (await t.deps.db.query<{ n: number }>("select count(*)::int as n from provider_applications"))[0]!.n;

describe("申请成为服务商", () => {
  it("certified enterprise applies -> reviewer approves (入库) -> provider center and public page open", async () => {
    const b = await signIn(t, "13800000004");
    expect((await b.get("/provider")).status).toBe(403);
    const res = await apply(b, GOOD);
    expect(res.status).toBe(303);
    await b.get("/me/provider-application");
    expect(b.lastHtml).toContain("待审核");
    // One open application at a time.
    await apply(b, GOOD);
    await b.get("/me/provider-application");
    expect(
      await t.deps.db.query(
        "select 1 from provider_applications a join enterprises e on e.id = a.enterprise_id join accounts x on x.id = e.account_id where x.phone = '13800000004'",
      ),
    ).toHaveLength(1);

    const r = await signInAdmin(t, "reviewer");
    await r.get("/admin/providers");
    expect(r.lastHtml).toContain("梧州示例陶瓷制品有限公司");
    const id = r.lastHtml.match(/href="\/admin\/providers\/applications\/([0-9a-f-]{36})">审核</)![1]!;
    await r.get(`/admin/providers/applications/${id}`);
    expect(r.lastHtml).toContain("资质.pdf");
    expect(r.lastHtml).toContain("合同.pdf");
    await r.post(`/admin/providers/applications/${id}/decision`, { decision: "approve", reason: "" });
    expect((await b.get("/provider")).status).toBe(200);
    expect(b.lastHtml).toContain("服务机构中心");
    const providerId = b.lastHtml.match(/href="\/providers\/([0-9a-f-]{36})"/)![1]!;
    await new Browser(t).get(`/providers/${providerId}`);
    const pub = new Browser(t);
    await pub.get(`/providers/${providerId}`);
    expect(pub.lastHtml).toContain("梧州示例陶瓷制品有限公司");
    expect(pub.lastHtml).toContain("检验检测、质量管理");
    expect(pub.lastHtml).toContain("南宁市、柳州市");
  });

  it("暂停 (出库) with a reason closes the provider center and the public page; 恢复 reopens them", async () => {
    const b = await signIn(t, "13800000008");
    expect((await b.get("/provider")).status).toBe(200);
    const providerId = b.lastHtml.match(/href="\/providers\/([0-9a-f-]{36})"/)![1]!;
    const r = await signInAdmin(t, "reviewer");
    await r.get("/admin/providers/list");
    const noReason = await r.post(`/admin/providers/${providerId}/status`, { action: "suspend", reason: "" });
    expect(noReason.status).toBe(303);
    await r.get("/admin/providers/list");
    expect(r.lastHtml).toContain("暂停时请填写原因");
    expect((await b.get("/provider")).status).toBe(200);
    await r.post(`/admin/providers/${providerId}/status`, { action: "suspend", reason: "投诉核查中" });
    expect((await b.get("/provider")).status).toBe(403);
    expect((await new Browser(t).get(`/providers/${providerId}`)).status).toBe(404);
    await b.get("/me/provider-application");
    expect(b.lastHtml).toContain("投诉核查中");
    await r.get("/admin/providers/list");
    await r.post(`/admin/providers/${providerId}/status`, { action: "restore", reason: "" });
    expect((await b.get("/provider")).status).toBe(200);
  });

  it("rejection shows the reason and the form again", async () => {
    const { b } = await registerNew(t, "未认证服务商有限公司");
    await b.get("/me/provider-application");
    expect(b.lastHtml).toContain("仅对已完成企业信息认证的企业开放");
    const before = await appCount();
    await b.get("/me");
    const res = await apply(b, GOOD);
    expect(res.status).toBe(303);
    await b.get("/me/provider-application");
    expect(b.lastHtml).toContain("请先完成企业信息认证，再申请成为服务商");
    expect(await appCount()).toBe(before);

    const c = await signIn(t, "13800000003");
    await apply(c, { ...GOOD, categories: ["digital"] });
    const r = await signInAdmin(t, "reviewer");
    await r.get("/admin/providers?status=pending");
    const id = [...r.lastHtml.matchAll(/<tr><td>([^<]+)<\/td>[\s\S]*?href="\/admin\/providers\/applications\/([0-9a-f-]{36})"/g)].find(
      (m) => m[1] === "桂林示例电子科技有限公司",
    )![2]!;
    await r.get(`/admin/providers/applications/${id}`);
    expect((await r.post(`/admin/providers/applications/${id}/decision`, { decision: "reject", reason: "" })).status).toBe(422);
    await r.post(`/admin/providers/applications/${id}/decision`, { decision: "reject", reason: "缺少上一年度服务合同的盖章页" });
    await c.get("/me/provider-application");
    expect(c.lastHtml).toContain("缺少上一年度服务合同的盖章页");
    expect(c.lastHtml).toContain("提交申请");
  });

  it.each([
    [{ ...GOOD, categories: [] }, "请至少选择一个服务类别"],
    [{ ...GOOD, categories: ["casino"] }, "服务类别不正确"],
    [{ ...GOOD, regions: ["110000"] }, "服务区域不正确"],
    [{ ...GOOD, introduction: "太短" }, "机构简介至少20个字"],
    [{ ...GOOD, contactPhone: "12345" }, "联系电话应为11位手机号或带区号的固定电话"],
  ])("bad input %#: a message beside the field, nothing written", async (fields, message) => {
    const b = await signIn(t, "13800000001");
    const before = await appCount();
    const res = await apply(b, fields);
    expect(res.status).toBe(422);
    expect(b.lastHtml).toContain(message);
    expect(await appCount()).toBe(before);
  });

  it("documents are required and checked by content", async () => {
    const b = await signIn(t, "13800000002");
    const before = await appCount();
    expect((await apply(b, GOOD, { q: SAMPLE_PDF })).status).toBe(422);
    expect(b.lastHtml).toContain("请上传上一年度为企业提供服务的合同");
    expect((await apply(b, GOOD, { q: SAMPLE_PNG, qName: "资质.pdf", c: SAMPLE_PDF })).status).toBe(422);
    expect(b.lastHtml).toContain("文件扩展名与内容不符");
    expect(await appCount()).toBe(before);
  });

  it("finance and operator cannot review; enterprises cannot reach the queue", async () => {
    for (const role of ["finance", "operator"]) {
      const s = await signInAdmin(t, role);
      expect((await s.get("/admin/providers")).status).toBe(403);
    }
    const b = await signIn(t, "13800000001");
    expect((await b.get("/admin/providers")).status).toBe(303);
  });
});
