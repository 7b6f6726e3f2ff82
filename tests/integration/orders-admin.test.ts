import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, makeTestApp, testClock } from "../support/app.ts";
import { signIn, signInAdmin } from "../support/flows.ts";
import { smsAbout, ORDER_WRITES, availableOn, rowCounts, statusOf, versionOn } from "../support/orders.ts";

/**
 * The admin's 订单管理 through HTTP on the demo data. Enterprises 1 (南宁) and 2 (柳州) hold an
 * approved 通用券, enterprise 3 (桂林) none; provider 8 (检验检测) sells 金属材料力学性能检测,
 * provider 9 (工业互联网) 企业数据治理与主数据梳理. Staff: admin (super_admin), operator, finance, reviewer.
 *
 * Three orders made before the tests are only read, so the filters' answers are fixed: `a` of
 * enterprise 1 (待接单, voucher, 2026-11-27 in Asia/Shanghai), `b` of enterprise 2 (接单: 待制定合同,
 * voucher, same day) and `c` of enterprise 3 (待接单, no voucher, provider 9) at 01:00 on 2026-11-28 in
 * Asia/Shanghai, which is still 2026-11-27 in UTC. Every test that closes an order makes its own.
 */
const clock = testClock(new Date("2026-11-27T02:00:00Z"));
let t: TestApp;
const product: Record<"testing" | "data", string> = { testing: "", data: "" };
type Made = { id: string; number: string };
let a: Made;
let b: Made;
let c: Made;

const counts = () => rowCounts(t, { ...ORDER_WRITES, audit: "audit_events" });

/** Enterprise `phone` orders a product through 订单详情 and 提交订单, with its voucher when it has one to use. */
async function order(phone: string, productId: string, useVoucher: boolean): Promise<Made> {
  const ent = await signIn(t, phone);
  await ent.get(`/me/orders/new?product=${productId}`);
  const html = ent.lastHtml;
  const hidden = (name: string) => html.match(new RegExp(`name="${name}" value="([^"]*)"`))![1]!;
  const fields: Record<string, string> = { product: hidden("product"), submissionKey: hidden("submissionKey"), quantity: "1" };
  if (useVoucher) {
    fields.useVoucher = "yes";
    fields.voucherAccountId = html.match(/name="voucherAccountId" value="([^"]+)" checked/)![1]!;
  }
  const res = await ent.post("/me/orders", fields);
  expect(res.status).toBe(303);
  const id = res.headers.get("Location")!.match(/^\/me\/orders\/([0-9a-f-]{36})$/)![1]!;
  await ent.get(`/me/orders/${id}`);
  return { id, number: ent.lastHtml.match(/<h1>订单 (DD\d{14})<\/h1>/)![1]! };
}

/** 接单 by provider 8 on its order page. */
async function accept(id: string) {
  const pro = await signIn(t, "13800000008");
  await pro.get(`/provider/orders/${id}`);
  expect((await pro.post(`/provider/orders/${id}/accept`, { version: versionOn(pro.lastHtml) })).status).toBe(303);
}

/** Provider 8 writes version 1 of the contract (the prefilled form with dates and these amounts) and submits it: 待确认合同. */
async function submitContract(id: string, contractAmount: string, depositAmount: string) {
  const pro = await signIn(t, "13800000008");
  await pro.get(`/provider/orders/${id}/contract/edit`);
  expect(pro.lastStatus).toBe(200);
  const html = pro.lastHtml;
  const unhtml = (v: string) =>
    v
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, "&");
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<textarea[^>]*name="([a-zA-Z]+)"[^>]*>([^<]*)<\/textarea>/g)) fields[m[1]!] = unhtml(m[2]!);
  for (const m of html.matchAll(/<input[^>]*name="([a-zA-Z]+)" type="(?:text|date)" value="([^"]*)"/g)) fields[m[1]!] = unhtml(m[2]!);
  const saved = await pro.post(`/provider/orders/${id}/contract`, {
    ...fields,
    serviceFrom: "2026-12-10",
    serviceTo: "2027-01-31",
    contractAmount,
    depositAmount,
  });
  expect(saved.status, JSON.stringify(fields)).toBe(303);
  await pro.get(`/provider/orders/${id}/contract`);
  const version = pro.lastHtml.match(/name="version" value="(\d+)"/)![1]!;
  expect((await pro.post(`/provider/orders/${id}/contract/submit`, { version, contractVersion: "1" })).status).toBe(303);
}

beforeAll(async () => {
  t = await makeTestApp({ demo: true, clock });
  const productOf = async (title: string) =>
    (await t.deps.db.query<{ product_id: string }>("select product_id from product_listings where title = $1", [title]))[0]!.product_id;
  product.testing = await productOf("金属材料力学性能检测");
  product.data = await productOf("企业数据治理与主数据梳理");
  a = await order("13800000001", product.testing, true);
  b = await order("13800000002", product.testing, true);
  await accept(b.id);
  clock.set(new Date("2026-11-27T17:00:00Z"));
  c = await order("13800000003", product.data, false);
});
afterAll(async () => t?.close());

describe("订单管理 (admin): the list and its filters", () => {
  it("lists every order newest first, and each filter narrows it", async () => {
    const op = await signInAdmin(t, "operator");
    await op.get("/admin");
    expect(op.lastHtml).toContain('<a href="/admin/orders">订单管理</a>');
    const list = async (qs: string) => {
      await op.get(`/admin/orders${qs ? `?${qs}` : ""}`);
      expect(op.lastStatus, qs).toBe(200);
      const html = op.lastHtml;
      return { has: (m: Made) => html.includes(m.number), html };
    };
    const expectOnly = async (qs: string, shown: Made[]) => {
      const l = await list(qs);
      for (const m of [a, b, c]) expect(l.has(m), `${qs}: ${m.number}`).toBe(shown.includes(m));
      return l;
    };

    const all = await expectOnly("", [a, b, c]);
    expect(all.html).toContain("<h1>订单管理</h1>");
    expect(all.html.indexOf(c.number)).toBeLessThan(all.html.indexOf(a.number));
    for (const text of ["柳州示例汽车零部件有限公司", "广西示例检验检测技术有限公司", "广西示例工业互联网科技有限公司", "桂林市", "待制定合同"]) {
      expect(all.html).toContain(text);
    }

    // 订单编号: exact, prefix (any case, spaces ignored), and text that is no number.
    const exact = await expectOnly(`number=${a.number}`, [a]);
    expect(exact.html).toContain("共 1 条");
    expect(exact.html).toContain(`value="${a.number}"`);
    await expectOnly("number=DD20261128", [c]);
    await expectOnly("number=20261128", [c]);
    await expectOnly("number=DD202611", [a, b, c]);
    await expectOnly("number=DD202612", []);
    await expectOnly(`number=${c.number.slice(0, -1)}`, [c]);
    await expectOnly("number=dd2026%201127", [a, b]);
    await expectOnly("number=DD-1%25", []);

    // 订单状态: every status of the table is an option.
    await expectOnly("status=pending_acceptance", [a, c]);
    await expectOnly("status=contract_drafting", [b]);
    await expectOnly("status=closed", []);
    const statuses = await list("status=nonsense");
    for (const text of ["待接单", "订单取消", "已拒单", "已关闭", "待制定合同", "待签合同", "待支付尾款", "争议处理中", "已完成", "已终止"]) {
      expect(statuses.html).toContain(`>${text}</option>`);
    }
    expect(statuses.has(a) && statuses.has(b) && statuses.has(c)).toBe(true);

    // 券种: the programme of the order's voucher account; an order without a voucher has none.
    const [general, special] = await Promise.all(
      ["general", "special"].map(
        async (kind) => (await t.deps.db.query<{ id: string }>("select id from voucher_programmes where kind = $1 and year = 2026", [kind]))[0]!.id,
      ),
    );
    await expectOnly(`programme=${general}`, [a, b]);
    await expectOnly(`programme=${special}`, []);
    await expectOnly("programme=not-an-id", [a, b, c]);

    // 服务商 and 下单企业 by a part of the name; 所在城市 by the enterprise's city code.
    await expectOnly(`provider=${encodeURIComponent("工业互联网")}`, [c]);
    await expectOnly(`provider=${encodeURIComponent("检验检测")}`, [a, b]);
    await expectOnly(`provider=${encodeURIComponent("%")}`, []);
    await expectOnly(`enterprise=${encodeURIComponent("柳州")}`, [b]);
    await expectOnly("city=450100", [a]);
    await expectOnly("city=450300", [c]);
    await expectOnly("city=999999", [a, b, c]);

    // 提交日期: whole Asia/Shanghai days (c is 2026-11-28 there, 2026-11-27 in UTC).
    await expectOnly("from=2026-11-28&to=2026-11-28", [c]);
    await expectOnly("to=2026-11-27", [a, b]);
    await expectOnly("from=2026-11-27&to=2026-11-27", [a, b]);
    await expectOnly("from=2026-11-29", []);
    await expectOnly("from=2026-02-30", [a, b, c]);

    // Filters combine, and the pager keeps them.
    const combined = await expectOnly(`status=pending_acceptance&programme=${general}&city=450100&from=2026-11-27`, [a]);
    expect(combined.html).toContain('<option value="450100" selected>');
    expect((await list("page=99")).html).toContain("没有符合条件的订单");
  });
});

describe("订单管理 (admin): an order's page", () => {
  it("shows the snapshot, amounts, voucher, both parties, money lines and the timeline; unknown ids are 404", async () => {
    const op = await signInAdmin(t, "operator");
    await op.get(`/admin/orders/${b.id}`);
    expect(op.lastStatus).toBe(200);
    const html = op.lastHtml;
    for (const text of [
      `<h1>订单 ${b.number}</h1>`,
      "订单状态：待制定合同",
      "金属材料力学性能检测",
      "交付清单",
      "CMA检测报告",
      "柳州示例汽车零部件有限公司",
      "柳州市",
      "广西示例检验检测技术有限公司",
      "2026年度通用券",
      "补贴券额度占用",
      "尚未制定合同",
      "提交订单</span> → 待接单",
      "接单</span> → 待制定合同",
      "（服务机构）",
      "¥8,000.00",
      `href="/admin/orders/${b.id}/close"`,
    ]) {
      expect(html, text).toContain(text);
    }
    expect((await op.get("/admin/orders/00000000-0000-4000-8000-000000000000")).status).toBe(404);
    expect((await op.get("/admin/orders/not-an-id")).status).toBe(404);
    expect((await op.get("/admin/orders/00000000-0000-4000-8000-000000000000/close")).status).toBe(404);
  });
});

describe("关闭订单", () => {
  it("needs a reason (422, nothing written); closes a 待接单 order: 已关闭, the voucher back, one order event and one audit event", async () => {
    const ent = await signIn(t, "13800000001");
    const before = await availableOn(ent);
    const o = await order("13800000001", product.testing, true);
    expect(await availableOn(ent)).not.toBe(before);

    const op = await signInAdmin(t, "operator");
    await op.get(`/admin/orders/${o.id}/close`);
    expect(op.lastStatus).toBe(200);
    expect(op.lastHtml).toContain('<label for="f-reason">关闭原因</label>');
    expect(op.lastHtml).toContain("已关闭");
    const version = versionOn(op.lastHtml);

    const unchanged = await counts();
    expect((await op.post(`/admin/orders/${o.id}/close`, { reason: " ", version })).status).toBe(422);
    expect(op.lastHtml).toContain("请填写关闭订单原因");
    expect((await op.post(`/admin/orders/${o.id}/close`, { reason: "重", version })).status).toBe(422);
    expect(op.lastHtml).toContain("关闭订单原因至少2个字");
    expect((await op.post(`/admin/orders/${o.id}/close`, { reason: "重".repeat(201), version })).status).toBe(422);
    expect(await counts()).toEqual(unchanged);
    expect(await statusOf(t, o.id)).toBe("pending_acceptance");

    const closed = await op.post(`/admin/orders/${o.id}/close`, { reason: "企业重复下单，来电要求关闭", version });
    expect(closed.status).toBe(303);
    expect(closed.headers.get("Location")).toBe(`/admin/orders/${o.id}`);
    await op.get(`/admin/orders/${o.id}`);
    expect(op.lastHtml).toContain("订单已关闭，补贴券抵扣额度已退回企业");
    expect(op.lastHtml).toContain("订单状态：已关闭");
    expect(op.lastHtml).toContain("关闭订单</span> → 已关闭");
    expect(op.lastHtml).toContain("（平台运营人员）");
    expect(op.lastHtml).toContain("原因：企业重复下单，来电要求关闭");
    expect(op.lastHtml).toContain("补贴券额度退回");
    expect(op.lastHtml).not.toContain(`/admin/orders/${o.id}/close`);

    expect(await availableOn(ent)).toBe(before);
    const lines = await t.deps.db.query<{ kind: string }>("select kind from order_money_lines where order_id = $1 order by id", [o.id]);
    expect(lines.map((l) => l.kind)).toEqual(["voucher_reserved", "voucher_released"]);
    const [operator] = await t.deps.db.query<{ id: string }>("select id from admin_users where username = 'operator'");
    const events = await t.deps.db.query(
      "select actor_type, actor_id, from_status, to_status, reason from order_events where order_id = $1 and action = 'close'",
      [o.id],
    );
    expect(events).toEqual([
      { actor_type: "operator", actor_id: operator!.id, from_status: "pending_acceptance", to_status: "closed", reason: "企业重复下单，来电要求关闭" },
    ]);
    const audit = await t.deps.db.query<Record<string, unknown>>(
      "select actor_type, actor_id, action, from_status, to_status, reason, request_id from audit_events where entity_type = 'order' and entity_id = $1",
      [o.id],
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor_type: "admin",
      actor_id: operator!.id,
      action: "order_closed",
      from_status: "pending_acceptance",
      to_status: "closed",
      reason: "企业重复下单，来电要求关闭",
    });
    expect(audit[0]!.request_id).toBeTruthy();

    // Both parties are told by SMS (the number only) and see it with the reason.
    const notices = (await smsAbout(t, o.number)).filter((m) => m.text.includes("已被平台关闭"));
    expect(notices.map((m) => m.phone).sort()).toEqual(["13800000001", "13800000008"]);
    await ent.get(`/me/orders/${o.id}`);
    expect(ent.lastHtml).toContain("订单状态：已关闭");
    expect(ent.lastHtml).toContain("原因：企业重复下单，来电要求关闭");

    // Again (a second tab): 409, nothing written; the confirmation itself says why.
    const after = await counts();
    expect((await op.post(`/admin/orders/${o.id}/close`, { reason: "再次关闭订单", version: String(Number(version) + 1) })).status).toBe(409);
    expect(op.lastHtml).toContain("不能关闭订单");
    expect((await op.get(`/admin/orders/${o.id}/close`)).status).toBe(409);
    expect(op.lastHtml).not.toContain("确定关闭订单");
    expect(await counts()).toEqual(after);
  });

  it("closes an accepted order (待制定合同): 已终止, the voucher released", async () => {
    const ent = await signIn(t, "13800000002");
    const before = await availableOn(ent);
    const o = await order("13800000002", product.testing, true);
    await accept(o.id);
    const admin = await signInAdmin(t, "admin");
    await admin.get(`/admin/orders/${o.id}`);
    expect(admin.lastHtml).toContain("订单状态：待制定合同");
    await admin.get(`/admin/orders/${o.id}/close`);
    expect(admin.lastHtml).toContain("已终止");
    const res = await admin.post(`/admin/orders/${o.id}/close`, { reason: "服务商无法提供服务，双方同意终止", version: versionOn(admin.lastHtml) });
    expect(res.status).toBe(303);
    await admin.get(`/admin/orders/${o.id}`);
    expect(admin.lastHtml).toContain("订单已终止，补贴券抵扣额度已退回企业");
    expect(admin.lastHtml).toContain("订单状态：已终止");
    expect(await statusOf(t, o.id)).toBe("terminated");
    expect(await availableOn(ent)).toBe(before);
    const [row] = await t.deps.db.query<{ n: number }>(
      "select count(*)::int as n from audit_events where entity_type = 'order' and entity_id = $1 and action = 'order_closed' and to_status = 'terminated'",
      [o.id],
    );
    expect(row!.n).toBe(1);
  });

  it("closes an order whose contract waits for the enterprise (待确认合同): 已终止, its contract versions on the page, the voucher released", async () => {
    const ent = await signIn(t, "13800000001");
    const before = await availableOn(ent);
    const o = await order("13800000001", product.testing, true);
    await accept(o.id);
    await submitContract(o.id, "10000", "500");
    expect(await statusOf(t, o.id)).toBe("contract_review");
    const op = await signInAdmin(t, "operator");
    await op.get(`/admin/orders/${o.id}`);
    for (const text of ["订单状态：待确认合同", "第1版 · 待企业确认", "服务合同", "¥10,000.00", "提交企业确认</span> → 待确认合同"]) {
      expect(op.lastHtml, text).toContain(text);
    }
    expect(op.lastHtml).not.toContain("尚未制定合同");
    await op.get(`/admin/orders/${o.id}/close`);
    expect((await op.post(`/admin/orders/${o.id}/close`, { reason: "服务商无法按期提供服务", version: versionOn(op.lastHtml) })).status).toBe(303);
    expect(await statusOf(t, o.id)).toBe("terminated");
    expect(await availableOn(ent)).toBe(before);
    await op.get(`/admin/orders/${o.id}`);
    expect(op.lastHtml).toContain("订单状态：已终止");
    expect(op.lastHtml).toContain("第1版 · 待企业确认");
  });

  it("a stale version (the provider acted since the page opened) or a malformed one is a 409, nothing written", async () => {
    const o = await order("13800000001", product.testing, true);
    const op = await signInAdmin(t, "operator");
    await op.get(`/admin/orders/${o.id}/close`);
    const version = versionOn(op.lastHtml);
    await accept(o.id);
    const before = await counts();
    expect((await op.post(`/admin/orders/${o.id}/close`, { reason: "企业要求关闭订单", version })).status).toBe(409);
    expect(op.lastHtml).toContain("订单已发生变化，请刷新页面查看最新状态");
    expect(op.lastHtml).toContain("企业要求关闭订单");
    expect((await op.post(`/admin/orders/${o.id}/close`, { reason: "企业要求关闭订单", version: "abc" })).status).toBe(409);
    expect((await op.post(`/admin/orders/${o.id}/close`, { reason: "企业要求关闭订单" })).status).toBe(409);
    expect(await counts()).toEqual(before);
    expect(await statusOf(t, o.id)).toBe("contract_drafting");
  });

  it("after signing (待支付定金, nothing paid yet) 终止订单 ends it 已终止 without a refund; a final order is not offered it (409)", async () => {
    const o = await order("13800000002", product.testing, true);
    // The order is moved to 待支付定金 as the signing callback does (signing is tested in its own files).
    await t.deps.db.query("update orders set status = 'awaiting_deposit', version = version + 1 where id = $1", [o.id]);
    const op = await signInAdmin(t, "operator");
    await op.get(`/admin/orders/${o.id}`);
    expect(op.lastHtml).toContain("订单状态：待支付定金");
    expect(op.lastHtml).toContain("终止订单");
    expect((await op.get(`/admin/orders/${o.id}/close`)).status).toBe(200);
    expect(op.lastHtml).not.toContain("退还企业金额");
    const version = versionOn(op.lastHtml);
    expect((await op.post(`/admin/orders/${o.id}/close`, { reason: "双方确认不再履约", refund: "10", version })).status).toBe(422);
    expect(op.lastHtml).toContain("企业尚未支付款项，退还金额应为0");
    expect(await statusOf(t, o.id)).toBe("awaiting_deposit");
    expect((await op.post(`/admin/orders/${o.id}/close`, { reason: "双方确认不再履约", version })).status).toBe(303);
    expect(await statusOf(t, o.id)).toBe("terminated");
    const lines = await t.deps.db.query<{ kind: string }>("select kind from order_money_lines where order_id = $1 order by id", [o.id]);
    expect(lines.map((l) => l.kind)).toEqual(["voucher_reserved", "voucher_released"]);
    const before = await counts();
    expect((await op.get(`/admin/orders/${o.id}/close`)).status).toBe(409);
    expect((await op.post(`/admin/orders/${o.id}/close`, { reason: "再次关闭订单", version: String(Number(version) + 1) })).status).toBe(409);
    expect(await counts()).toEqual(before);
  });
});

describe("authorisation", () => {
  it("finance reads but cannot close; a reviewer gets 403; an enterprise or a visitor is sent to the admin login; nothing changes", async () => {
    const before = await counts();
    const fin = await signInAdmin(t, "finance");
    await fin.get("/admin");
    expect(fin.lastHtml).toContain('<a href="/admin/orders">订单管理</a>');
    expect((await fin.get("/admin/orders")).status).toBe(200);
    expect(fin.lastHtml).toContain(a.number);
    expect((await fin.get(`/admin/orders/${a.id}`)).status).toBe(200);
    expect(fin.lastHtml).toContain("订单状态：待接单");
    expect(fin.lastHtml).not.toContain(`/admin/orders/${a.id}/close`);
    const version = String((await t.deps.db.query<{ version: number }>("select version from orders where id = $1", [a.id]))[0]!.version);
    expect((await fin.get(`/admin/orders/${a.id}/close`)).status).toBe(403);
    await fin.get(`/admin/orders/${a.id}`);
    expect((await fin.post(`/admin/orders/${a.id}/close`, { reason: "财务要求关闭", version })).status).toBe(403);
    expect((await fin.post(`/admin/orders/${a.id}/close`, { reason: "", version })).status).toBe(403);

    const rev = await signInAdmin(t, "reviewer");
    await rev.get("/admin");
    expect(rev.lastHtml).not.toContain('href="/admin/orders"');
    expect((await rev.get("/admin/orders")).status).toBe(403);
    expect((await rev.get(`/admin/orders/${a.id}`)).status).toBe(403);
    expect((await rev.get(`/admin/orders/${a.id}/close`)).status).toBe(403);
    await rev.get("/admin");
    expect((await rev.post(`/admin/orders/${a.id}/close`, { reason: "审核员要求关闭", version })).status).toBe(403);

    const ent = await signIn(t, "13800000001");
    for (const path of ["/admin/orders", `/admin/orders/${a.id}`, `/admin/orders/${a.id}/close`]) {
      const res = await ent.get(path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get("Location")).toBe(`/admin/login?next=${encodeURIComponent(path)}`);
    }
    // An enterprise's form token is not an admin session's: the POST is refused before any route.
    await ent.get("/me");
    expect((await ent.post(`/admin/orders/${a.id}/close`, { reason: "企业自己关闭", version })).status).toBe(403);
    expect((await t.app.request(`http://localhost/admin/orders/${a.id}`)).status).toBe(303);

    expect(await counts()).toEqual(before);
    expect(await statusOf(t, a.id)).toBe("pending_acceptance");
  });
});
