/**
 * 超时关闭: the closing job's use case (job `orders-close-unaccepted`, registered in start.ts). An
 * order still 待接单 `acceptDays` days after its submission is closed by the system, each in its own
 * transaction through the shared `apply` (which releases the reservation and sends the notices).
 * See docs/orders.md "Releasing the reservation".
 */
import type { Db } from "../../ports/db.ts";
import { ok } from "../../lib/result.ts";
import { type CoreDeps, inTransaction, orderCore, refuse } from "./core-service.ts";

export type ExpiryDeps = CoreDeps & {
  db: Db;
  /** ORDER_ACCEPT_DAYS: how long an order may wait for 接单. */
  acceptDays: number;
  /** Candidates read per query (EXPIRY_BATCH unless a test pages with fewer). */
  batch?: number;
  log?: { warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
};

/** Candidates read per query; each is then closed in its own short transaction. */
export const EXPIRY_BATCH = 100;
const DAY_MS = 86_400_000;

export type ExpiryRun = { closed: number; skipped: number; failed: number };

export function orderExpiryService(deps: ExpiryDeps) {
  const { apply } = orderCore(deps);
  return {
    /**
     * Closes (超时关闭, actor `system`) every order in 待接单 created more than `acceptDays` days
     * before now. Each order is locked and re-checked: one accepted, declined or cancelled since it
     * was selected is refused by the transition table and counted as skipped, not as an error. Safe
     * to run again and on any number of instances at once (the row lock and the table decide).
     */
    async closeUnaccepted(): Promise<ExpiryRun> {
      const cutoff = new Date(deps.clock.now().getTime() - deps.acceptDays * DAY_MS);
      const run: ExpiryRun = { closed: 0, skipped: 0, failed: 0 };
      const batch = deps.batch ?? EXPIRY_BATCH;
      let after: string | null = null;
      for (;;) {
        const ids = await deps.orderRepo(deps.db).unacceptedBefore(cutoff, after, batch);
        for (const id of ids) {
          try {
            const res = await inTransaction(deps.db, async (tx) => {
              const order = await deps.orderRepo(tx).byId(id, true);
              if (!order) return refuse({ _form: "订单不存在" }, 404);
              return ok(await apply(tx, order, { action: "expire", actor: "system", actorId: null, reason: null }));
            });
            if (res.ok) run.closed++;
            else {
              run.skipped++;
              if (res.status !== 409) deps.log?.warn({ orderId: id, errors: res.errors }, "an unaccepted order was not closed");
            }
          } catch (err) {
            run.failed++;
            deps.log?.error({ orderId: id, err: String(err) }, "closing an unaccepted order failed");
          }
        }
        if (ids.length < batch) return run;
        after = ids[ids.length - 1]!;
      }
    },
  };
}
