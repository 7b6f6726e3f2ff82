import type { Db } from "../../ports/db.ts";
import type { SettlementActor, SettlementAction, SettlementStatus } from "./domain.ts";

/**
 * A 兑付 application of the demo's history (src/demo-history.ts), written with its times: its orders
 * (history orders, 已完成 with the voucher consumed), its timeline, and for 已拨付 the batch it was paid in.
 */
export type HistorySettlement = {
  providerId: string;
  status: SettlementStatus;
  amountFen: number;
  generalFen: number;
  contractFen: number;
  serviceYear: number;
  submittedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  publicityUntil: string | null;
  pausedRemainingMs: number | null;
  reason: string | null;
  spotCheckNote: string | null;
  /** The key of its payout batch (已拨付 only), and when it was paid. */
  batch: string | null;
  paidAt: string | null;
  orders: {
    orderId: string;
    enterpriseId: string;
    voucherAccountId: string;
    programmeId: string;
    programmeName: string;
    programmeKind: "general" | "special";
    voucherFen: number;
    contractFen: number;
  }[];
  /** After 申请兑付 (written first, at submittedAt): the transitions, in order. */
  events: {
    at: string;
    actorType: SettlementActor;
    actorId: string | null;
    action: SettlementAction;
    from: SettlementStatus;
    to: SettlementStatus;
    reason?: string;
  }[];
};
export type HistoryBatch = { key: string; createdBy: string; at: string };
/** What the history service adds: the payee snapshot and the two stored documents. */
export type HistorySettlementRow = HistorySettlement & {
  payee: { name: string; bank: string; last4: string; fingerprint: string } | null;
  invoiceFileId: string;
  acceptanceFileId: string;
};

export interface SettlementHistoryRepository {
  insert(rows: HistorySettlementRow[], batches: HistoryBatch[]): Promise<void>;
}
export type SettlementHistoryRepositoryFactory = (db: Db) => SettlementHistoryRepository;
