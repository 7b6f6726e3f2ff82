import type { Db } from "../../ports/db.ts";

/** One enterprise of the demo's history, as certified back then. */
export type HistoryEnterprise = { enterpriseId: string; creditCode: string; sizeClass: string; cityCode: string; certifiedAt: string };

/** The demo's history (src/demo.ts `historyDemo`): enterprises certified in the past, set-based. */
export interface EnterpriseHistoryRepository {
  /** Marks uncertified enterprises certified back then, with their 企业划型 and city (no application behind them: demo data only). */
  certify(rows: HistoryEnterprise[]): Promise<void>;
}
export type EnterpriseHistoryRepositoryFactory = (db: Db) => EnterpriseHistoryRepository;
