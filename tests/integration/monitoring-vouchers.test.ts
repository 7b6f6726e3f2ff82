import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgAudit } from "../../src/modules/audit/pg.ts";
import { pgMonitoring } from "../../src/modules/monitoring/pg.ts";
import { monitoringService } from "../../src/modules/monitoring/service.ts";
import { RECALL_CRON, RECALL_JOB, USAGE_REMINDER_CRON, USAGE_REMINDER_JOB, startJobs } from "../../src/start.ts";
import { type TestApp, makeTestApp, testClock } from "../support/app.ts";
import { signIn } from "../support/flows.ts";
import { accountOf, availableOn } from "../support/orders.ts";

/**
 * 使用率提醒 and 额度收回 (docs/monitoring.md) on the demo data: enterprises 1, 2 and 4 hold the demo
 * year's 通用券 (valid to 2026-12-31, approved when the demo was seeded on 2026-11-27), enterprise 3's
 * is still 待审核; enterprise 4's open orders hold all of its voucher (nothing left to use). Each describe has an app of its own.
 */
const phones = { e1: "13800000001", e2: "13800000002", e3: "13800000003", e4: "13800000004" } as const;

async function voucherOf(t: TestApp, phone: string) {
  const enterprise = (await t.deps.enterprises.ofAccount(await accountOf(t, phone)))!;
  const [a] = await t.deps.vouchers.payableAccounts(enterprise.id, "testing");
  return { enterpriseId: enterprise.id, accountId: a?.account.id, account: a?.account };
}
const sentTo = async (t: TestApp, phone: string, words: string) => (await t.sms.latest(500)).filter((m) => m.phone === phone && m.text.includes(words));

describe("使用率提醒: an SMS N days before the validity ends to accounts used below the threshold, once", () => {
  const clock = testClock(new Date("2026-11-27T02:00:00Z"));
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp({ demo: true, clock });
    // Enterprise 2 uses exactly 70% (not below the threshold) through the ledger's own operations.
    const e2 = await voucherOf(t, phones.e2);
    const seventy = Math.round(e2.account!.grantedFen * 0.7);
    expect(seventy * 10).toBe(e2.account!.grantedFen * 7);
    const orderId = crypto.randomUUID();
    await t.deps.vouchers.reserve({ accountId: e2.accountId!, enterpriseId: e2.enterpriseId, orderId, amountFen: seventy });
    await t.deps.vouchers.consume({ accountId: e2.accountId!, orderId });
  });
  afterAll(async () => t?.close());

  it("defaults to 30 days and 70%", () => {
    expect(t.deps.config.monitoring).toEqual({ reminderDays: 30, reminderUsagePercent: 70, recallDays: 0 });
  });

  it("reminds enterprise 1 once inside the window; never enterprise 2 (70% used), 3 (no voucher) or 4 (all reserved by its orders); not before the window", async () => {
    // 2026-11-27: the validity ends in 34 days, beyond the 30-day window.
    clock.set(new Date("2026-11-27T02:00:00Z"));
    expect(await t.deps.monitoring.remindLowUsage()).toMatchObject({ reminded: 0 });
    clock.set(new Date("2026-12-05T01:30:00Z"));
    // Two runs at once (two instances) and one more later send one SMS per account.
    const runs = await Promise.all([t.deps.monitoring.remindLowUsage(), t.deps.monitoring.remindLowUsage()]);
    expect(runs[0]!.reminded + runs[1]!.reminded).toBe(1);
    clock.set(new Date("2026-12-06T01:30:00Z"));
    expect(await t.deps.monitoring.remindLowUsage()).toMatchObject({ reminded: 0 });
    const text = "您的服务券将于2026-12-31到期，已使用额度不足70%";
    expect(await sentTo(t, phones.e1, text)).toHaveLength(1);
    expect(await sentTo(t, phones.e4, "到期")).toHaveLength(0);
    expect(await sentTo(t, phones.e2, "到期")).toHaveLength(0);
    expect(await sentTo(t, phones.e3, "到期")).toHaveLength(0);
    const e1 = await voucherOf(t, phones.e1);
    expect(await t.deps.monitoring.reminded(e1.accountId!, "2026-12-31")).toBe(true);
    const e2 = await voucherOf(t, phones.e2);
    expect(await t.deps.monitoring.reminded(e2.accountId!, "2026-12-31")).toBe(false);
  });

  it("does nothing with VOUCHER_REMINDER_DAYS=0 and VOUCHER_RECALL_DAYS=0", async () => {
    const off = monitoringService({
      ...t.deps,
      monitoringRepo: pgMonitoring,
      audit: pgAudit,
      settings: { reminderDays: 0, reminderUsagePercent: 70, recallDays: 0 },
    });
    expect(await off.remindLowUsage()).toEqual({ off: true, checked: 0, reminded: 0, unsent: 0 });
    expect(await off.recallUnused()).toEqual({ off: true, recalled: 0, recalledFen: 0, skipped: 0, failed: 0 });
  });
});

describe("the monitoring jobs' schedules", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp({ jobs: "engine" });
  });
  afterAll(async () => t?.close());
  it("registers 使用率提醒 and 额度收回 with their crons", async () => {
    await startJobs(t.deps);
    const schedules = await t.deps.jobs.schedules();
    expect(schedules.filter((s) => s.name === USAGE_REMINDER_JOB)).toEqual([{ name: USAGE_REMINDER_JOB, cron: USAGE_REMINDER_CRON }]);
    expect(schedules.filter((s) => s.name === RECALL_JOB)).toEqual([{ name: RECALL_JOB, cron: RECALL_CRON }]);
  });
});

describe("额度收回: quota with no order M days after approval goes back to the programme as its own ledger entry", () => {
  const clock = testClock(new Date("2026-11-27T02:00:00Z"));
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp({ demo: true, clock, env: { VOUCHER_RECALL_DAYS: "30" } });
  });
  afterAll(async () => t?.close());

  it("recalls enterprises 1 and 2 once after 30 days, not enterprise 4 (its orders hold it); 我的服务券 shows 额度收回; audited; SMS", async () => {
    const before = await Promise.all([voucherOf(t, phones.e1), voucherOf(t, phones.e2), voucherOf(t, phones.e4)]);
    expect(before[2]!.account!.reservedFen).toBeGreaterThan(0);
    // 23 days after approval: nothing yet.
    clock.set(new Date("2026-12-20T02:00:00Z"));
    expect(await t.deps.monitoring.recallUnused()).toMatchObject({ recalled: 0 });
    clock.set(new Date("2026-12-28T02:00:00Z"));
    const run = await t.deps.monitoring.recallUnused();
    expect(run).toMatchObject({ recalled: 2, failed: 0, recalledFen: before[0]!.account!.grantedFen + before[1]!.account!.grantedFen });
    expect(await t.deps.monitoring.recallUnused()).toMatchObject({ recalled: 0, recalledFen: 0 });

    for (const [i, phone] of [phones.e1, phones.e2].entries()) {
      const a = (await t.deps.vouchers.accountTotals(before[i]!.accountId!))!;
      expect(a.recalledFen).toBe(before[i]!.account!.grantedFen);
      expect(a.grantedFen - a.reservedFen - a.consumedFen - a.expiredFen - a.recalledFen).toBe(0);
      const sums = await t.deps.vouchers.ledgerSums(a.id);
      expect(sums.recall).toBe(a.recalledFen);
      expect(sums.grant).toBe(a.grantedFen);
      expect(await sentTo(t, phone, "剩余额度已由平台收回")).toHaveLength(1);
    }
    const e4 = (await t.deps.vouchers.accountTotals(before[2]!.accountId!))!;
    expect(e4.recalledFen).toBe(0);
    expect(await sentTo(t, phones.e4, "收回")).toHaveLength(0);
    const audited = await t.deps.db.query<{ entity_id: string; actor_type: string }>(
      "select entity_id, actor_type from audit_events where action = 'voucher_recalled' order by id",
    );
    expect(audited.map((r) => r.entity_id).sort()).toEqual([before[0]!.accountId, before[1]!.accountId].sort());
    expect(audited.every((r) => r.actor_type === "system")).toBe(true);

    // The enterprise's 我的服务券: 可用额度 0, 已收回, and the entry 额度收回 in 额度明细.
    const b = await signIn(t, phones.e1);
    expect(await availableOn(b)).toBe("¥0.00");
    expect(b.lastHtml).toMatch(/<dt>已收回<\/dt><dd>¥[\d,]+\.\d\d<\/dd>/);
    expect(b.lastHtml).toContain("<td>额度收回</td>");
  });
});
