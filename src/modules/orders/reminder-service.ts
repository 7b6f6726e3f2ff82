/**
 * 尾款 reminders (job `orders-remind-balance`, registered in start.ts, daily): an order that has
 * waited in 待支付尾款 for BALANCE_REMINDER_DAYS days, and every BALANCE_REMINDER_DAYS days after,
 * gets an SMS to its enterprise. Stateless: the days since the order entered the status decide, so a
 * run on any instance, or a second run, reminds the same orders. See docs/payments.md "Flow" step 7.
 */
import type { OrderDeps } from "./service.ts";
import { orderNotices } from "./notice-service.ts";

export const BALANCE_REMINDER_DAYS = 3;
const DAY_MS = 86_400_000;
const BATCH = 200;

export function reminderUseCases(deps: OrderDeps) {
  const notices = orderNotices(deps);
  return {
    /** Sends the 尾款 reminders due today; how many orders were looked at and how many reminded. */
    async remindBalance(): Promise<{ checked: number; reminded: number }> {
      const now = deps.clock.now().getTime();
      const before = new Date(now - BALANCE_REMINDER_DAYS * DAY_MS);
      const run = { checked: 0, reminded: 0 };
      let after: string | null = null;
      for (;;) {
        const rows = await deps.orderRepo(deps.db).inStatusSince("awaiting_balance", before, after, BATCH);
        for (const o of rows) {
          run.checked++;
          const days = Math.floor((now - o.since.getTime()) / DAY_MS);
          if (days % BALANCE_REMINDER_DAYS !== 0) continue;
          await notices.send(o, "balance_reminder");
          run.reminded++;
        }
        if (rows.length < BATCH) return run;
        after = rows[rows.length - 1]!.id;
      }
    },
  };
}
