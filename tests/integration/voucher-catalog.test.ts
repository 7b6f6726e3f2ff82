import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, makeTestApp, testClock } from "../support/app.ts";
import { Browser } from "../support/client.ts";
import { signIn } from "../support/flows.ts";

/**
 * 去使用 on a voucher leads to the catalog filtered to what that voucher can pay for: its kind and
 * its programme's categories (`?voucher=<account id>`, resolved for the signed-in enterprise).
 * Demo data: demo enterprise 3 (certified, its demo 通用券 still 待审核) is granted a 通用券 that pays for 检验检测
 * only; provider 8 sells 金属材料力学性能检测 (检验检测, 通用券) and ISO 9001 质量管理体系建设辅导
 * (质量管理, 通用券); enterprise 1 holds the demo 通用券 (every category but 设备更新).
 */
const clock = testClock();
let t: TestApp;
let voucherId: string;
let otherVoucherId: string;
const PROGRAMME = "检验检测专用通用券";
const TESTING = "金属材料力学性能检测";
const QUALITY = "ISO 9001 质量管理体系建设辅导";

const hrefOf = (html: string, text: string) => html.match(new RegExp(`href="([^"]+)">${text}</a>`))?.[1]?.replaceAll("&amp;", "&");
const accountOf = async (phone: string) => (await t.deps.db.query<{ id: string }>("select id from accounts where phone = $1", [phone]))[0]!.id;

beforeAll(async () => {
  t = await makeTestApp({ demo: true, clock });
  const [admin] = await t.deps.db.query<{ id: string }>("select id from admin_users where username = 'admin'");
  const [reviewer] = await t.deps.db.query<{ id: string }>("select id from admin_users where username = 'reviewer'");
  const saved = await t.deps.vouchers.saveProgramme({ id: admin!.id, role: "super_admin" }, null, {
    year: 2026,
    kind: "general",
    name: PROGRAMME,
    description: "",
    status: "open",
    isExample: true,
    subsidyRateBp: 3000,
    perOrderCapFen: 1_000_000,
    quotaLargeFen: 2_000_000,
    quotaMediumFen: 2_000_000,
    quotaSmallFen: 2_000_000,
    quotaMicroFen: 2_000_000,
    specialMinFen: 0,
    specialMaxFen: 0,
    requiresDocuments: false,
    applyFrom: "2026-01-01",
    applyTo: "2026-12-31",
    validFrom: "2026-01-01",
    validTo: "2026-12-31",
    categories: ["testing"],
  });
  if (!saved.ok) throw new Error(JSON.stringify(saved.errors));
  const applied = await t.deps.vouchers.apply(await accountOf("13800000003"), saved.value.id, {});
  if (!applied.ok) throw new Error(JSON.stringify(applied.errors));
  const decided = await t.deps.vouchers.decide({ id: reviewer!.id, role: "reviewer" }, applied.value.applicationId, { decision: "approve", reason: "" });
  if (!decided.ok) throw new Error(JSON.stringify(decided.errors));
  const ids = async (phone: string) =>
    (
      await t.deps.db.query<{ id: string; name: string }>(
        `select v.id, p.name from voucher_accounts v join voucher_programmes p on p.id = v.programme_id
           join enterprises e on e.id = v.enterprise_id join accounts a on a.id = e.account_id where a.phone = $1`,
        [phone],
      )
    )[0]!.id;
  voucherId = await ids("13800000003");
  otherVoucherId = await ids("13800000001");
});
afterAll(async () => t?.close());

describe("去使用", () => {
  it("from 我的服务券 opens 通用券服务 filtered to the voucher's categories, says so, and 清除 shows everything again", async () => {
    const b = await signIn(t, "13800000003");
    await b.get("/me/vouchers");
    const use = hrefOf(b.lastHtml, "去使用");
    expect(use).toBe(`/services/general?voucher=${voucherId}`);
    await b.get(use!);
    expect(b.lastStatus).toBe(200);
    const html = b.lastHtml;
    expect(html).toContain(`按服务券筛选：${PROGRAMME}`);
    expect(html).toContain("服务类别：检验检测");
    expect(html).toContain(TESTING);
    expect(html).not.toContain(QUALITY);
    expect(html).not.toContain("智能制造能力成熟度诊断服务");
    expect(html).toContain("共 1 个服务产品");
    // The filter form keeps the voucher and offers only its categories.
    expect(html).toContain(`<input type="hidden" name="voucher" value="${voucherId}">`);
    expect(html).toContain('<option value="testing">检验检测</option>');
    expect(html).not.toContain('<option value="quality">');

    const clear = hrefOf(html, "清除服务券筛选，查看全部服务");
    expect(clear).toBe("/services/general");
    await b.get(clear!);
    expect(b.lastHtml).toContain(TESTING);
    expect(b.lastHtml).toContain(QUALITY);
    expect(b.lastHtml).not.toContain("按服务券筛选");

    // 服务券配额申请's 去使用 leads to the same list.
    await b.get("/me/quota");
    expect(b.lastHtml).toContain(`href="/services/general?voucher=${voucherId}">去使用</a>`);
  });

  it("keeps the voucher with the other filters, in the htmx fragment, and clears to the other filters", async () => {
    const b = await signIn(t, "13800000003");
    await b.get(`/services/general?voucher=${voucherId}&sort=price_asc&q=${encodeURIComponent("检测")}`);
    expect(b.lastHtml).toContain(TESTING);
    expect(hrefOf(b.lastHtml, "清除服务券筛选，查看全部服务")).toBe(`/services/general?q=${encodeURIComponent("检测")}&sort=price_asc`);
    // A category the voucher cannot pay for is ignored like an unknown one; one it can pay for applies.
    for (const category of ["quality", "casino", "testing"]) {
      await b.get(`/services/general?voucher=${voucherId}&category=${category}`);
      expect(b.lastStatus).toBe(200);
      expect(b.lastHtml).toContain(TESTING);
      expect(b.lastHtml).not.toContain(QUALITY);
    }
    const frag = await b.request(`/services/general?voucher=${voucherId}`, { headers: { "HX-Request": "true", "HX-Target": "results" } });
    const html = await frag.text();
    expect(html.startsWith('<div id="results"')).toBe(true);
    expect(html).toContain(`按服务券筛选：${PROGRAMME}`);
    expect(html).not.toContain(QUALITY);
    // On the list of the other kind (or 全部服务), the voucher's own list answers.
    for (const path of ["/services/special", "/services"]) {
      const res = await b.get(`${path}?voucher=${voucherId}&kind=special&sort=price_desc`);
      expect(res.status).toBe(303);
      expect(res.headers.get("Location")).toBe(`/services/general?sort=price_desc&voucher=${voucherId}`);
    }
  });

  it("another enterprise's voucher, a forged or malformed id and a signed-out visitor get the whole list with a notice, never its contents", async () => {
    const b = await signIn(t, "13800000003");
    const notFound = "未找到该服务券，以下为全部服务产品";
    const pages: string[] = [];
    for (const id of [otherVoucherId, "00000000-0000-4000-8000-000000000000", "not-a-voucher", "<script>"]) {
      await b.get(`/services/general?voucher=${encodeURIComponent(id)}`);
      expect(b.lastStatus, id).toBe(200);
      expect(b.lastHtml).toContain(notFound);
      expect(b.lastHtml).not.toContain("按服务券筛选");
      expect(b.lastHtml).not.toContain('name="voucher"');
      expect(b.lastHtml).toContain(QUALITY);
      expect(b.lastHtml).toContain(TESTING);
      // Paging and the other filters drop the voucher.
      expect(b.lastHtml).not.toContain(`voucher=${encodeURIComponent(id)}`);
      pages.push(b.lastHtml.slice(b.lastHtml.indexOf('<div id="results"')).replace(/name="_csrf" value="[^"]+"/g, ""));
    }
    // The same answer for another enterprise's voucher as for one that does not exist.
    expect(pages[0]).toBe(pages[1]);

    // Its owner sees it filtered (every category but 设备更新).
    const owner = await signIn(t, "13800000001");
    await owner.get(`/services/general?voucher=${otherVoucherId}`);
    expect(owner.lastHtml).toContain("按服务券筛选：2026年度通用券");
    expect(owner.lastHtml).toContain(QUALITY);

    const anon = new Browser(t);
    await anon.get(`/services/general?voucher=${voucherId}`);
    expect(anon.lastStatus).toBe(200);
    expect(anon.lastHtml).toContain("登录后才能按服务券筛选，以下为全部服务产品");
    expect(anon.lastHtml).not.toContain(PROGRAMME);
    expect(anon.lastHtml).toContain(QUALITY);
  });

  it("an expired voucher filters nothing and says it has expired", async () => {
    const start = clock.now();
    try {
      clock.set(new Date("2027-01-05T02:00:00Z"));
      const b = await signIn(t, "13800000003");
      await b.get(`/services/general?voucher=${voucherId}`);
      expect(b.lastStatus).toBe(200);
      expect(b.lastHtml).toContain("该服务券已过期，不能再抵扣，以下为全部服务产品");
      expect(b.lastHtml).toContain(QUALITY);
      // 我的服务券 offers no 去使用 for it any more.
      await b.get("/me/vouchers");
      expect(b.lastHtml).not.toContain(`voucher=${voucherId}`);
    } finally {
      clock.set(start);
    }
  });
});
