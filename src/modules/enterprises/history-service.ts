import type { Db } from "../../ports/db.ts";
import type { EnterpriseHistoryRepositoryFactory, HistoryEnterprise } from "./history-ports.ts";

export type { HistoryEnterprise };

/** Demo data only (src/demo.ts): enterprises certified in the past, for the dashboard's year of history. */
export function enterpriseHistoryService(deps: { db: Db; historyRepo: EnterpriseHistoryRepositoryFactory }) {
  return {
    async certify(rows: HistoryEnterprise[]): Promise<void> {
      await deps.db.transaction((tx) => deps.historyRepo(tx).certify(rows));
    },
  };
}
export type EnterpriseHistoryService = ReturnType<typeof enterpriseHistoryService>;
