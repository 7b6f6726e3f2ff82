import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DASHBOARD_FOLD_CRON, DASHBOARD_FOLD_JOB } from "../../src/modules/dashboard/service.ts";
import { startJobs } from "../../src/start.ts";
import { type TestApp, makeTestApp } from "../support/app.ts";
import { accountOf, placeOrder, productBy } from "../support/orders.ts";

/** The fold runs as a scheduled job on the job engine (pg-boss): every minute, once across instances. */
let t: TestApp;
beforeAll(async () => {
  t = await makeTestApp({ demo: true, jobs: "engine" });
}, 120_000);
afterAll(async () => {
  await t?.deps.jobs.stop();
  await t?.close();
});

describe("dashboard-fold job", () => {
  it("is scheduled every minute and, when it runs, folds what was written", async () => {
    const order = await placeOrder(t, await accountOf(t, "13800000001"), await productBy(t, "金属材料力学性能检测"));
    const staff = { id: "00000000-0000-4000-8000-000000000000", role: "finance" };
    const before = await t.deps.dashboard.page(staff, {});
    if (!before.ok) throw new Error("refused");
    expect(before.value.freshness.pendingEntries).toBeGreaterThan(0);
    await startJobs(t.deps);
    expect((await t.deps.jobs.schedules()).filter((s) => s.name === DASHBOARD_FOLD_JOB)).toEqual([
      { name: DASHBOARD_FOLD_JOB, cron: DASHBOARD_FOLD_CRON },
    ]);
    await t.deps.jobs.send(DASHBOARD_FOLD_JOB);
    const end = Date.now() + 30_000;
    for (;;) {
      const f = await t.deps.dashboard.page(staff, {});
      if (f.ok && f.value.freshness.pendingEntries === 0 && f.value.freshness.pendingOrderChanges === 0) {
        // The same figures, now from the rollups alone.
        expect(f.value.totals).toEqual(before.value.totals);
        expect(f.value.totals.reservedFen).toBeGreaterThanOrEqual(order.deductionFen);
        expect(f.value.freshness.foldedAt!.getTime()).toBeGreaterThan(before.value.freshness.foldedAt!.getTime());
        break;
      }
      if (Date.now() > end) throw new Error("the fold job did not run");
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 60_000);
});
