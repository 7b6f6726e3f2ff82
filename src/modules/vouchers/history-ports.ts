import type { Db } from "../../ports/db.ts";
import type { LedgerKind } from "./domain.ts";

/** A voucher account of the demo's history: granted back then (an approved allocation behind it). */
export type HistoryAccount = { enterpriseId: string; programmeId: string; grantedFen: number; grantedAt: string };
/** A ledger entry of the demo's history, written with its time. */
export type HistoryEntry = { accountId: string; kind: Exclude<LedgerKind, "grant">; amountFen: number; orderId: string | null; ref: string; at: string };

/**
 * The demo's history (src/demo.ts `historyDemo`): past accounts and ledger entries, set-based, with
 * the running totals kept equal to the entries (the ledger checks hold).
 */
export interface VoucherHistoryRepository {
  /** Opens the accounts (application, account, grant entry) and answers their ids in the same order. */
  openAccounts(rows: HistoryAccount[]): Promise<string[]>;
  /** Appends the entries and moves each account's totals by them. */
  append(rows: HistoryEntry[]): Promise<void>;
}
export type VoucherHistoryRepositoryFactory = (db: Db) => VoucherHistoryRepository;
