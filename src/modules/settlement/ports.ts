import type { Db } from "../../ports/db.ts";
import type { SettlementActor, SettlementStatus } from "./domain.ts";

export type Settlement = {
  id: string;
  number: string;
  providerId: string;
  status: SettlementStatus;
  revision: number;
  amountFen: number;
  generalFen: number;
  contractFen: number;
  invoiceAmountFen: number;
  invoiceFileId: string;
  acceptanceFileId: string;
  serviceYear: number;
  payeeName: string | null;
  payeeBank: string | null;
  payeeLast4: string | null;
  payeeFingerprint: string | null;
  publicityUntil: Date | null;
  pausedRemainingMs: number | null;
  decidedBy: string | null;
  decidedAt: Date | null;
  reason: string | null;
  spotCheckNote: string | null;
  payoutNo: string | null;
  payoutAttempts: number;
  payoutFailure: string | null;
  batchId: string | null;
  paidAt: Date | null;
  submittedAt: Date;
  updatedAt: Date;
  version: number;
};

export type SettlementOrder = {
  settlementId: string;
  orderId: string;
  orderNumber: string;
  enterpriseId: string;
  voucherAccountId: string;
  programmeId: string;
  programmeName: string;
  programmeKind: "general" | "special";
  voucherFen: number;
  contractFen: number;
  live: boolean;
};

export type SettlementEvent = {
  id: number;
  settlementId: string;
  at: Date;
  actorType: SettlementActor;
  actorId: string | null;
  action: string;
  fromStatus: SettlementStatus | null;
  toStatus: SettlementStatus;
  reason: string | null;
};

export type SettlementFile = { fileId: string; kind: "invoice" | "acceptance" | "evidence"; revision: number; createdAt: Date };

export type NewSettlement = Pick<
  Settlement,
  "number" | "providerId" | "amountFen" | "generalFen" | "contractFen" | "invoiceAmountFen" | "invoiceFileId" | "acceptanceFileId" | "serviceYear"
> & { at: Date };

/** What a status change may set beside the status. */
export type SettlementPatch = Partial<
  Pick<
    Settlement,
    | "revision"
    | "invoiceAmountFen"
    | "invoiceFileId"
    | "acceptanceFileId"
    | "payeeName"
    | "payeeBank"
    | "payeeLast4"
    | "payeeFingerprint"
    | "publicityUntil"
    | "pausedRemainingMs"
    | "decidedBy"
    | "decidedAt"
    | "reason"
    | "spotCheckNote"
    | "payoutNo"
    | "payoutAttempts"
    | "payoutFailure"
    | "batchId"
    | "paidAt"
  >
>;

export type SettlementFilter = { status?: SettlementStatus; providerId?: string; providerName?: string; number?: string };
export type SettlementRow = Settlement & { providerName: string; orderCount: number };
/** A payout batch (拨付批次) with how its applications stand now. */
export type PayoutBatchRow = {
  id: string;
  number: string;
  createdAt: Date;
  settlementCount: number;
  totalFen: number;
  paid: number;
  paying: number;
  /** Applications sent in it that are back to 待拨付 (refused by the bank) or were paid in a later batch. */
  other: number;
};
/** One application of a payout batch (拨付明细). */
export type PayoutLineRow = {
  batchNumber: string;
  batchAt: Date;
  number: string;
  providerName: string;
  amountFen: number;
  payeeName: string | null;
  payeeBank: string | null;
  payeeLast4: string | null;
  payoutNo: string | null;
  status: SettlementStatus;
  paidAt: Date | null;
  payoutFailure: string | null;
};
export type PublicityRow = {
  number: string;
  providerName: string;
  enterpriseName: string;
  programmeName: string;
  voucherFen: number;
  orderNumber: string;
  status: SettlementStatus;
  publicityUntil: Date | null;
  decidedAt: Date | null;
};

export interface SettlementRepository {
  nextSequence(): Promise<number>;
  insert(
    s: NewSettlement,
    orders: Omit<SettlementOrder, "settlementId" | "live">[],
    event: Omit<SettlementEvent, "id" | "settlementId" | "at">,
  ): Promise<Settlement>;
  byId(id: string, forUpdate?: boolean): Promise<Settlement | undefined>;
  byPayoutNo(payoutNo: string, forUpdate?: boolean): Promise<Settlement | undefined>;
  /** Applies a status change on the row locked by byId(id, true): false when its version moved on. */
  transition(
    id: string,
    expectedVersion: number,
    to: SettlementStatus,
    at: Date,
    event: Omit<SettlementEvent, "id" | "settlementId" | "at" | "toStatus">,
    patch?: SettlementPatch,
  ): Promise<Settlement | undefined>;
  orders(settlementId: string): Promise<SettlementOrder[]>;
  /** Frees the orders of a withdrawn application. */
  release(settlementId: string): Promise<void>;
  /** The live application holding an order, if any (its number and status). */
  ofOrder(orderId: string): Promise<{ id: string; number: string; status: SettlementStatus } | undefined>;
  /** Which of these orders are held by a live application. */
  heldOrders(orderIds: string[]): Promise<string[]>;
  addFile(settlementId: string, fileId: string, kind: SettlementFile["kind"], revision: number, at: Date): Promise<void>;
  files(settlementId: string): Promise<SettlementFile[]>;
  events(settlementId: string): Promise<SettlementEvent[]>;
  list(f: SettlementFilter, limit: number, offset: number): Promise<{ rows: SettlementRow[]; total: number }>;
  /** Locks (creating it if needed) a provider's year total of approved 通用券 and returns it. */
  lockYear(providerId: string, year: number): Promise<number>;
  addYear(providerId: string, year: number, deltaFen: number): Promise<void>;
  /** Applications in 公示中 whose publicity ended before `at`. */
  publicityEnded(at: Date, limit: number): Promise<string[]>;
  /** Applications in 拨付中 since before `cutoff` (the payout reconciler). */
  payingBefore(cutoff: Date, limit: number): Promise<Settlement[]>;
  insertBatch(b: { number: string; createdBy: string; at: Date; count: number; totalFen: number }): Promise<{ id: string; number: string }>;
  /** One more application of the batch arrived (in the payout confirmation's transaction). */
  batchPaid(batchId: string): Promise<void>;
  /** 拨付批次, newest first. */
  batches(limit: number, offset: number): Promise<{ rows: PayoutBatchRow[]; total: number }>;
  /** 拨付明细: the applications paid in batches (one batch by its number, or all), newest batch first. */
  payoutLines(batchNumber: string | undefined, limit: number, offset: number): Promise<{ rows: PayoutLineRow[]; total: number }>;
  /** The public 兑付公示: one row per order of applications in 公示中 (and those paid in the last `paidDays` days). */
  publicity(limit: number, offset: number): Promise<{ rows: PublicityRow[]; total: number }>;
}
export type SettlementRepositoryFactory = (db: Db) => SettlementRepository;
