import type { Db } from "../../ports/db.ts";
import type { HistoryOrder, OrderHistoryRepositoryFactory } from "./history-ports.ts";

export type { HistoryOrder };

/** Demo data only (src/demo.ts): past orders with their timeline and money lines, for the dashboard's year of history. */
export function orderHistoryService(deps: { db: Db; historyRepo: OrderHistoryRepositoryFactory }) {
  return {
    async insert(rows: HistoryOrder[]): Promise<void> {
      await deps.db.transaction((tx) => deps.historyRepo(tx).insert(rows));
    },
  };
}
export type OrderHistoryService = ReturnType<typeof orderHistoryService>;
