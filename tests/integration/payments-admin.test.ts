import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keySerial, notificationSignature } from "../../src/adapters/mock-pay/notification.ts";
import { keysOf } from "../../src/adapters/mock-pay/key.ts";
import { DAILY_RECONCILE_CRON, DAILY_RECONCILE_JOB } from "../../src/modules/payments/reconciliation-service.ts";
import { startJobs } from "../../src/start.ts";
import { makeTestApp, testClock } from "../support/app.ts";
import { Browser } from "../support/client.ts";
import { pathOf } from "../support/esign.ts";
import { signIn, signInAdmin } from "../support/flows.ts";
import { statusOf } from "../support/orders.ts";
import { mockPayOf, signedOrder } from "../support/payments.ts";
import { type SigningWorld, signingWorld } from "../support/signing.ts";

/**
 * 支付管理 (`/admin/payments`) and 对账 (`/admin/payments/reconciliation`, the job
 * payments-daily-reconcile): the list with its filters, totals and paging, who may see it, bad
 * filters; a clean day; and each difference the test can make the mock channel cause.
 *
 * One world on a settable clock; each test works on an Asia/Shanghai day of its own (a day's
 * reconciliation looks at what ended in it and at what was still open at its end, so the clean day
 * is the earliest one), and leaves nothing open behind it.
 */
const clock = testClock();
let w: SigningWorld;
beforeAll(async () => {
  w = await signingWorld({ clock });
}, 180_000);
afterAll(async () => w?.t.close());

/** 10:00 Asia/Shanghai on that day (02:00 UTC). */
const onDay = (day: string, time = "02:00:00") => clock.set(new Date(`${day}T${time}Z`));
const tick = () => clock.advance(1000);
const mt = (html: string) => html.match(/name="_mt" value="([^"]+)"/)![1]!;
const version = (html: string) => html.match(/name="version" value="(\d+)"/)![1]!;
const numberOf = async (id: string) => (await w.t.deps.orders.orderNumberOf(id))!;
const paymentNos = async (id: string) =>
  (await w.t.deps.db.query<{ payment_no: string }>("select payment_no from payments where order_id = $1 order by created_at", [id])).map(
    (r) => r.payment_no,
  );
const refundNos = async (id: string) =>
  await w.t.deps.db.query<{ refund_no: string; status: string }>("select refund_no, status from refunds where order_id = $1 order by created_at", [id]);

async function payOnCashier(b: Browser, orderId: string, outcome: "paid" | "failed" = "paid") {
  await b.get(`/me/orders/${orderId}`);
  const res = await b.post(`/me/orders/${orderId}/pay`, { kind: "deposit" });
  expect(res.status).toBe(303);
  const cashier = pathOf(res.headers.get("Location")!);
  await b.get(cashier);
  expect((await b.post(cashier, { _mt: mt(b.lastHtml), outcome }, { csrf: null })).status).toBe(303);
}
/** The channel's notifications delivered (those not held). */
const deliver = () => mockPayOf(w).deliverDue();
/** The bank completes what it holds (refunds) and its notifications are delivered. */
const bankSettles = async () => {
  await mockPayOf(w).settleDue();
  await deliver();
};
/** Everything held released and delivered, the bank's pending work done: nothing left open for another test's day. */
async function settleEverything() {
  mockPayOf(w).setDelivery({ late: false, duplicates: false });
  await mockPayOf(w).releaseHeld();
  await bankSettles();
  await bankSettles();
}
/** 协商终止 with this refund (yuan), proposed by the enterprise and agreed by the provider: the refund is written and sent. */
async function terminate(ent: Browser, pro: Browser, id: string, refund: string) {
  await ent.get(`/me/orders/${id}/terminate`);
  expect((await ent.post(`/me/orders/${id}/terminate`, { reason: "项目取消，双方协商一致", refund, version: version(ent.lastHtml) })).status).toBe(303);
  await pro.get(`/provider/orders/${id}`);
  expect((await pro.post(`/provider/orders/${id}/termination/agree`, {})).status).toBe(303);
}
/** A notification signed with the cashier's key, as the channel sends it (the clock's timestamp). */
function signed(body: string) {
  const pem = w.t.deps.config.mockPay!.privateKey!;
  const ts = String(Math.floor(clock.now().getTime() / 1000));
  const nonce = randomBytes(16).toString("hex");
  return {
    "Content-Type": "application/json",
    "X-Mock-Pay-Timestamp": ts,
    "X-Mock-Pay-Nonce": nonce,
    "X-Mock-Pay-Serial": keySerial(keysOf(pem).publicKeyPem),
    "X-Mock-Pay-Signature": notificationSignature(pem, ts, nonce, body),
  };
}
const notify = (body: string) => w.t.app.request("/callbacks/pay", { method: "POST", body, headers: signed(body) });
const stored = async (day: string) =>
  (
    await w.t.deps.db.query<{ status: string; ran_by_name: string | null; differences: { kind: string; ref: string; severity: string; text: string }[] }>(
      "select status, ran_by_name, differences from payment_reconciliations where day = $1::date",
      [day],
    )
  ).map((r) => ({ ...r, differences: typeof r.differences === "string" ? JSON.parse(r.differences) : r.differences }));

describe("对账 of a clean day", () => {
  it("a deposit, a failed attempt and a refund, each with its notification: 无差异 (the job's run, then 立即对账 replacing it)", async () => {
    const day = "2026-11-28";
    onDay(day);
    const id = await signedOrder(w);
    const ent = await signIn(w.t, "13800000001");
    const pro = await signIn(w.t, "13800000008");
    await payOnCashier(ent, id, "failed");
    await deliver();
    tick();
    await payOnCashier(ent, id, "paid");
    await deliver();
    expect(await statusOf(w.t, id)).toBe("awaiting_start");
    tick();
    await terminate(ent, pro, id, "500");
    await bankSettles();
    expect((await refundNos(id)).map((r) => r.status)).toEqual(["succeeded"]);

    // The next day at 01:30 Asia/Shanghai: the job's run for yesterday.
    clock.set(new Date("2026-11-28T17:30:00Z"));
    const job = await w.t.deps.payments.reconcileYesterday();
    expect(job).toMatchObject({ day, status: "clean", paymentCount: 1, paymentFen: 80_000, refundCount: 1, refundFen: 50_000, differenceCount: 0 });
    expect(job.queried).toBe(3);
    expect(job.noticeCount).toBeGreaterThanOrEqual(3);
    expect(job.differences).toEqual([]);
    expect(await stored(day)).toMatchObject([{ status: "clean", ran_by_name: null }]);

    const finance = await signInAdmin(w.t, "finance");
    await finance.get("/admin/payments/reconciliation");
    expect(finance.lastHtml).toMatch(/<label for="f-day">对账日期<\/label>/);
    expect(finance.lastHtml).toContain(`value="${day}"`); // yesterday by default
    expect(finance.lastHtml).toContain(`href="/admin/payments/reconciliation/${day}"`);
    expect(finance.lastHtml).toContain("系统每日对账");
    const run = await finance.post("/admin/payments/reconciliation", { day });
    expect(run.status).toBe(303);
    expect(run.headers.get("Location")).toBe(`/admin/payments/reconciliation/${day}`);
    await finance.get(`/admin/payments/reconciliation/${day}`);
    expect(finance.lastHtml).toContain(`对账 ${day}：无差异`);
    expect(finance.lastHtml).toContain("未发现差异");
    expect(finance.lastHtml).toContain("1 笔，¥800.00");
    expect(finance.lastHtml).toContain("1 笔，¥500.00");
    // One row per day, now the staff member's.
    expect(await stored(day)).toMatchObject([{ status: "clean", ran_by_name: "财务人员" }]);
    const [audit] = await w.t.deps.db.query<{ data: { day: string } }>(
      "select data from audit_events where action = 'payments_reconciled' order by id desc limit 1",
    );
    expect(audit!.data.day).toBe(day);
  });
});

describe("支付管理", () => {
  it("lists payments and refunds newest first with links, masked accounts, the channel's reference, filters and totals", async () => {
    const day = "2026-11-30";
    onDay(day);
    const paid = await signedOrder(w);
    tick();
    const waiting = await signedOrder(w);
    const ent = await signIn(w.t, "13800000001");
    const pro = await signIn(w.t, "13800000008");
    await payOnCashier(ent, paid);
    await deliver();
    tick();
    mockPayOf(w).setDelivery({ late: true });
    try {
      await payOnCashier(ent, waiting);
    } finally {
      mockPayOf(w).setDelivery({ late: false });
    }
    tick();
    await terminate(ent, pro, paid, "500");

    try {
      await listedOn(day, { paid, waiting });
    } finally {
      await settleEverything();
    }
    expect(await statusOf(w.t, waiting)).toBe("awaiting_start");
  });

  /** The list test's assertions on its day: one paid deposit refunded in part (退款中) and one payment pending. */
  async function listedOn(day: string, { paid, waiting }: { paid: string; waiting: string }) {
    const [paidNo] = await paymentNos(paid);
    const [waitingNo] = await paymentNos(waiting);
    const [refund] = await refundNos(paid);
    const [paidNumber, waitingNumber] = [await numberOf(paid), await numberOf(waiting)];
    const finance = await signInAdmin(w.t, "finance");
    const list = await finance.get(`/admin/payments?from=${day}&to=${day}`);
    expect(list.status).toBe(200);
    const html = finance.lastHtml;
    for (const label of ["订单编号", "类型", "状态", "款项类型", "发起日期从", "发起日期至"])
      expect(html).toMatch(new RegExp(`<label for="f-[a-z]+">${label}</label>`));
    expect(html).toContain('<form method="get" action="/admin/payments"');
    expect(html).toContain('class="table-wrap');
    // Newest first: the refund, the pending payment, then the paid one.
    const order = [refund!.refund_no, waitingNo!, paidNo!].map((no) => html.indexOf(`<td data-label="平台单号"><code>${no}</code>`));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(html).toContain(`<a href="/admin/orders/${paid}">${paidNumber}</a>`);
    expect(html).toContain(`<a href="/admin/orders/${waiting}">${waitingNumber}</a>`);
    expect(html).toContain("退款中");
    expect(html).toContain("支付处理中");
    expect(html).toContain("已支付");
    expect(html).toMatch(/<code>tx_[0-9a-f]+<\/code>/); // the channel's transaction id of the paid deposit
    expect(html).toMatch(/\*\*\*\* \d{4}/);
    expect(html).not.toMatch(/\d{10,}<\/span>/); // no full account number
    expect(html).toContain("共 3 条");
    // Totals of the filtered rows, per status.
    expect(html).toContain("已支付（1 笔）</dt><dd>¥800.00");
    expect(html).toContain("支付处理中（1 笔）</dt><dd>¥800.00");
    expect(html).toContain("退款中（1 笔）</dt><dd>¥500.00");

    const count = async (q: string) => {
      const res = await finance.get(`/admin/payments?from=${day}&to=${day}&${q}`);
      expect(res.status, q).toBe(200);
      return Number(finance.lastHtml.match(/共 (\d+) 条/)![1]);
    };
    expect(await count("type=refund")).toBe(1);
    expect(await count("type=payment")).toBe(2);
    expect(await count("status=pending")).toBe(1);
    expect(await count("status=succeeded")).toBe(1);
    expect(await count("status=processing")).toBe(1);
    expect(await count("type=payment&status=processing")).toBe(0);
    expect(await count("kind=deposit")).toBe(3);
    expect(await count("kind=balance")).toBe(0);
    expect(await count(`number=${paidNumber}`)).toBe(2);
    expect(await count(`number=${paidNumber.toLowerCase()}`)).toBe(2);
    expect(await count(`number=${paidNumber.slice(2)}`)).toBe(2); // digits alone
    expect(await count(`number=${paidNumber.slice(0, 10)}`)).toBe(3); // the day's prefix
    expect(await count("number=DD19990101000001")).toBe(0);
    expect(await count(`number=${paidNumber}&type=refund`)).toBe(1);
    // Another day: none of these.
    const res = await finance.get("/admin/payments?from=2026-11-29&to=2026-11-29");
    expect(res.status).toBe(200);
    expect(finance.lastHtml).toContain("没有符合条件的支付或退款");

    // Bad input in the filters is ignored, never a 500.
    for (const q of [
      "status=bogus",
      "type=constructor",
      "kind=__proto__",
      "from=2026-13-45&to=yesterday",
      "page=-3",
      "page=abc",
      "page=99999",
      `number=${encodeURIComponent("'; drop table payments; --%_")}`,
      `number=${"9".repeat(500)}`,
      "from[]=1&status[]=pending",
    ]) {
      const r = await finance.get(`/admin/payments?${q}`);
      expect(r.status, q).toBe(200);
    }
    // A NUL byte is refused at the edge for every page, with a clear 400.
    expect((await finance.get("/admin/payments?number=%00")).status).toBe(400);
    await finance.get(`/admin/payments?status=bogus&from=${day}&to=${day}`);
    expect(finance.lastHtml).toContain("共 3 条");
  }

  it("pages by 20, newest first", async () => {
    const day = "2026-12-02";
    onDay(day);
    const id = await signedOrder(w);
    const ent = await signIn(w.t, "13800000001");
    for (let i = 0; i < 21; i++) {
      tick();
      await payOnCashier(ent, id, "failed");
      await deliver();
    }
    const nos = await paymentNos(id);
    expect(nos).toHaveLength(21);
    const number = await numberOf(id);
    const finance = await signInAdmin(w.t, "finance");
    await finance.get(`/admin/payments?number=${number}`);
    expect(finance.lastHtml).toContain("共 21 条，第 1 / 2 页");
    expect(finance.lastHtml.match(/<tr><td data-label="发起时间">/g)).toHaveLength(20);
    expect(finance.lastHtml.indexOf(`<code>${nos[20]}</code>`)).toBeLessThan(finance.lastHtml.indexOf(`<code>${nos[19]}</code>`));
    expect(finance.lastHtml).not.toContain(`<code>${nos[0]}</code>`);
    expect(finance.lastHtml).toContain(`href="/admin/payments?number=${number}&page=2">下一页</a>`);
    expect(finance.lastHtml).toContain("支付失败（21 笔）</dt><dd>¥16,800.00");
    await finance.get(`/admin/payments?number=${number}&page=2`);
    expect(finance.lastHtml).toContain("共 21 条，第 2 / 2 页");
    expect(finance.lastHtml.match(/<tr><td data-label="发起时间">/g)).toHaveLength(1);
    expect(finance.lastHtml).toContain(`<code>${nos[0]}</code>`);
  });

  it("finance, operators and the super admin read it; a reviewer gets 403; an enterprise or a visitor is sent to the admin login", async () => {
    for (const who of ["finance", "operator", "admin"]) {
      const b = await signInAdmin(w.t, who);
      expect((await b.get("/admin/payments")).status, who).toBe(200);
      expect((await b.get("/admin/payments/reconciliation")).status, who).toBe(200);
      await b.get("/admin");
      expect(b.lastHtml, who).toContain('<a href="/admin/payments">支付管理</a>');
    }
    // 导出 CSV of the list: every row the list has, with its Chinese texts; a reviewer may not.
    const finance = await signInAdmin(w.t, "finance");
    await finance.get("/admin/payments");
    const listed = Number(finance.lastHtml.match(/共 (\d+) 条/)?.[1] ?? "0");
    const csv = await finance.get("/admin/payments/export?format=csv");
    expect(csv.status).toBe(200);
    const text = new TextDecoder().decode(new Uint8Array(await csv.arrayBuffer()));
    expect(text.split("\r\n").filter(Boolean).length - 1).toBe(listed);
    if (listed) expect(text).toMatch(/定金|尾款/);
    const reviewer = await signInAdmin(w.t, "reviewer");
    expect((await reviewer.get("/admin/payments/export?format=csv")).status).toBe(403);
    expect((await reviewer.get("/admin/payments")).status).toBe(403);
    expect((await reviewer.get("/admin/payments/reconciliation")).status).toBe(403);
    expect((await reviewer.get("/admin/payments/reconciliation/2026-11-28")).status).toBe(403);
    expect((await reviewer.post("/admin/payments/reconciliation", { day: "2026-11-20" })).status).toBe(403);
    await reviewer.get("/admin");
    expect(reviewer.lastHtml).not.toContain("支付管理");
    // Operators read the results but do not run 立即对账.
    const op = await signInAdmin(w.t, "operator");
    await op.get("/admin/payments/reconciliation");
    expect(op.lastHtml).not.toContain("立即对账</button>");
    expect((await op.post("/admin/payments/reconciliation", { day: "2026-11-20" })).status).toBe(403);

    const ent = await signIn(w.t, "13800000001");
    const visitor = new Browser(w.t);
    for (const b of [ent, visitor]) {
      for (const path of ["/admin/payments", "/admin/payments/reconciliation", "/admin/payments/reconciliation/2026-11-28"]) {
        const res = await b.get(path);
        expect(res.status, path).toBe(303);
        expect(res.headers.get("Location")).toBe(`/admin/login?next=${encodeURIComponent(path)}`);
      }
    }
    const posted = await visitor.post("/admin/payments/reconciliation", { day: "2026-11-20" }, { csrf: null });
    expect([303, 403]).toContain(posted.status);
    expect(await stored("2026-11-20")).toEqual([]);
  });

  it("立即对账 refuses a bad or future date with a message (422), nothing stored; an unknown day is 404", async () => {
    onDay("2026-12-03");
    const finance = await signInAdmin(w.t, "finance");
    const before = await w.t.deps.db.query<{ n: number }>("select count(*)::int as n from payment_reconciliations");
    for (const day of ["", "2026-02-30", "2026-13-45", "tomorrow", "2026-12-04", "1999-01-01"]) {
      await finance.get("/admin/payments/reconciliation");
      const res = await finance.post("/admin/payments/reconciliation", { day });
      expect(res.status, day).toBe(422);
      expect(finance.lastHtml).toMatch(/请选择正确的对账日期|对账日期不能晚于今天/);
    }
    expect(finance.lastHtml).toContain('aria-invalid="true"');
    const after = await w.t.deps.db.query<{ n: number }>("select count(*)::int as n from payment_reconciliations");
    expect(after[0]!.n).toBe(before[0]!.n);
    expect((await finance.get("/admin/payments/reconciliation/2020-01-01")).status).toBe(404);
    expect((await finance.get("/admin/payments/reconciliation/not-a-day")).status).toBe(404);
    expect((await finance.get("/admin/payments/reconciliation/2020-13-45")).status).toBe(404);
  });
});

describe("对账 finds each difference the channel causes", () => {
  it("paid at the channel but not notified, refunded at the channel but not notified, another amount, no such transaction, stray notifications; a query-only confirmation is a note", async () => {
    const day = "2026-12-04";
    onDay(day);
    const [queried, refunded, unnotified] = [await signedOrder(w), await signedOrder(w), await signedOrder(w)];
    const ent = await signIn(w.t, "13800000001");
    const pro = await signIn(w.t, "13800000008");
    try {
      // 1. Confirmed by the reconciler's query while its notification is held: a note.
      mockPayOf(w).setDelivery({ late: true });
      await payOnCashier(ent, queried);
      clock.advance(11 * 60_000);
      await w.t.deps.payments.reconcile();
      expect(await statusOf(w.t, queried)).toBe("awaiting_start");
      mockPayOf(w).setDelivery({ late: false });

      // 2. A deposit paid and notified, refunded at the channel with the refund's notification held.
      tick();
      await payOnCashier(ent, refunded);
      await deliver();
      tick();
      await terminate(ent, pro, refunded, "500");
      mockPayOf(w).setDelivery({ late: true });
      await mockPayOf(w).settleDue();
      const [r] = await refundNos(refunded);
      expect(r!.status).toBe("processing");

      // 3. Paid at the channel, its notification never delivered.
      tick();
      await payOnCashier(ent, unnotified);
      mockPayOf(w).setDelivery({ late: false });
      const [unnotifiedNo] = await paymentNos(unnotified);
      expect(await statusOf(w.t, unnotified)).toBe("awaiting_deposit");

      // 4. A correctly signed notification with another amount for it: recorded, not applied.
      tick();
      const tx = (await mockPayOf(w).notifications()).find((n) => n.body.includes(unnotifiedNo!))!;
      const wrong = tx.body.replace(/"amount":\d+/, '"amount":100').replace(tx.id, `${tx.id}x`);
      expect((await notify(wrong)).status).toBe(204);
      // 5. A notification for a payment the platform never made.
      const stray = tx.body.replaceAll(unnotifiedNo!, "P20261204999999D1").replace(tx.id, `${tx.id}y`);
      expect((await notify(stray)).status).toBe(204);
      expect(await statusOf(w.t, unnotified)).toBe("awaiting_deposit");

      // 6. The channel's own record changed: another amount for the refunded order's deposit; the queried one's record gone.
      const [refundedNo] = await paymentNos(refunded);
      const [queriedNo] = await paymentNos(queried);
      await w.t.deps.db.query("update mock_pay_payments set amount_fen = 70000 where payment_no = $1", [refundedNo]);
      await w.t.deps.db.query("delete from mock_pay_payments where payment_no = $1", [queriedNo]);

      tick();
      const finance = await signInAdmin(w.t, "finance");
      await finance.get("/admin/payments/reconciliation");
      expect((await finance.post("/admin/payments/reconciliation", { day })).status).toBe(303);
      const [rec] = await stored(day);
      expect(rec!.status).toBe("differences");
      const found = rec!.differences.map((d: { kind: string; ref: string; severity: string }) => [d.kind, d.ref, d.severity]);
      expect(found).toEqual(
        expect.arrayContaining([
          ["channel_paid_unconfirmed", unnotifiedNo, "difference"],
          ["channel_refunded_unconfirmed", r!.refund_no, "difference"],
          ["amount_mismatch", refundedNo, "difference"],
          ["channel_missing", queriedNo, "difference"],
          ["notice_amount_mismatch", unnotifiedNo, "difference"],
          ["notice_unknown", "P20261204999999D1", "difference"],
          ["query_only", queriedNo, "note"],
        ]),
      );
      expect(found, JSON.stringify(rec!.differences, null, 1)).toHaveLength(7);
      await finance.get(`/admin/payments/reconciliation/${day}`);
      const page = finance.lastHtml;
      expect(page).toContain(`对账 ${day}：有差异`);
      for (const text of [
        "渠道已支付但平台未确认",
        "渠道已退款但平台未确认",
        "金额不一致",
        "渠道无此交易",
        "通知金额不一致",
        "通知无对应交易",
        "已确认但无到账通知",
      ]) {
        expect(page).toContain(`<strong>${text}</strong>`);
      }
      expect(page).toContain("平台：¥800.00；渠道：¥700.00");
      expect(page).toContain(`<a href="/admin/orders/${unnotified}">${await numberOf(unnotified)}</a>`);
      expect(page).toContain("差异（6）");
      expect(page).toContain("提示（1）");
      await finance.get("/admin/payments/reconciliation");
      expect(finance.lastHtml).toMatch(new RegExp(`${day}</a></td>\\s*<td data-label="结果"><span class="status">有差异`));
    } finally {
      await settleEverything();
    }
    // Once the held notifications arrive (the queried payment's too: no longer a note), what stays is the channel's changed records and the stray notices.
    const again = await w.t.deps.payments.runReconciliation({ id: "00000000-0000-4000-8000-000000000001", role: "finance", displayName: "测试" }, day);
    expect(again.ok).toBe(true);
    const kinds = (await stored(day))[0]!.differences.map((d: { kind: string }) => d.kind).sort();
    expect(kinds).toEqual(["amount_mismatch", "channel_missing", "notice_amount_mismatch", "notice_unknown"]);
  });
});

describe("the daily job", () => {
  it("is scheduled at 01:30 Asia/Shanghai on the job engine and stores yesterday's result", async () => {
    const t = await makeTestApp({ jobs: "engine" });
    try {
      await startJobs(t.deps);
      expect((await t.deps.jobs.schedules()).filter((s) => s.name === DAILY_RECONCILE_JOB)).toEqual([
        { name: DAILY_RECONCILE_JOB, cron: DAILY_RECONCILE_CRON },
      ]);
      expect(DAILY_RECONCILE_CRON).toBe("30 17 * * *");
      await t.deps.jobs.send(DAILY_RECONCILE_JOB);
      const yesterday = t.deps.payments.defaultReconciliationDay();
      const end = Date.now() + 20_000;
      let rows: { status: string }[] = [];
      while (!rows.length) {
        if (Date.now() > end) throw new Error("the daily reconciliation did not run");
        await new Promise((r) => setTimeout(r, 50));
        rows = await t.deps.db.query<{ status: string }>("select status from payment_reconciliations where day = $1::date", [yesterday]);
      }
      expect(rows).toEqual([{ status: "clean" }]);
    } finally {
      await t.deps.jobs.stop();
      await t.close();
    }
  }, 60_000);
});
