import type { Db } from "../../ports/db.ts";
import type { HistoryAccount, HistoryEntry, VoucherHistoryRepositoryFactory } from "./history-ports.ts";

export type { HistoryAccount, HistoryEntry };

/** Demo data only (src/demo.ts): past voucher accounts and their ledger, for the dashboard's year of history. */
export function voucherHistoryService(deps: { db: Db; historyRepo: VoucherHistoryRepositoryFactory }) {
  return {
    async openAccounts(rows: HistoryAccount[]): Promise<string[]> {
      return deps.db.transaction((tx) => deps.historyRepo(tx).openAccounts(rows));
    },
    async append(rows: HistoryEntry[]): Promise<void> {
      await deps.db.transaction((tx) => deps.historyRepo(tx).append(rows));
    },
  };
}
export type VoucherHistoryService = ReturnType<typeof voucherHistoryService>;
