import type { Db } from "../../ports/db.ts";
import type { SizeClass } from "../enterprises/domain.ts";
import type { LedgerKind, Programme, QuotaApplicationStatus } from "./domain.ts";

export type ProgrammeInput = Omit<Programme, "id">;

export interface ProgrammeRepository {
  list(filter?: { status?: Programme["status"][] }): Promise<Programme[]>;
  byId(id: string): Promise<Programme | undefined>;
  /** These programmes in one statement (unknown ids left out). */
  byIds(ids: readonly string[]): Promise<Programme[]>;
  /** The programme of one voucher account, when that account belongs to `enterpriseId`: one statement. */
  ofAccount(voucherAccountId: string, enterpriseId: string): Promise<Programme | undefined>;
  insert(p: ProgrammeInput): Promise<Programme>;
  update(id: string, p: ProgrammeInput): Promise<void>;
}

export type QuotaApplication = {
  id: string;
  programmeId: string;
  enterpriseId: string;
  source: "self" | "allocation";
  requestedFen: number;
  approvedFen: number | null;
  documentFileIds: string[];
  status: QuotaApplicationStatus;
  submittedAt: Date;
  decidedAt: Date | null;
  decidedBy: string | null;
  decisionReason: string | null;
};

export type QuotaQueueFilter = { status?: QuotaApplicationStatus; programmeId?: string; source?: "self" | "allocation"; keyword?: string };
export type QuotaQueueRow = QuotaApplication & { programmeName: string; enterpriseName: string; sizeClass: SizeClass | null; cityCode: string | null };

export interface QuotaRepository {
  insert(a: { programmeId: string; enterpriseId: string; requestedFen: number; documentFileIds: string[] }): Promise<QuotaApplication>;
  byId(id: string, forUpdate?: boolean): Promise<QuotaApplication | undefined>;
  /** The enterprise's latest application per programme. */
  latestByEnterprise(enterpriseId: string): Promise<QuotaApplication[]>;
  decide(id: string, v: { status: "approved" | "rejected"; approvedFen: number | null; adminId: string; reason: string | null; at: Date }): Promise<void>;
  queue(f: QuotaQueueFilter, limit: number, offset: number): Promise<{ rows: QuotaQueueRow[]; total: number }>;
  /** Set-based annual allocation: one pending application for each eligible enterprise without any application yet. */
  /** Inside a transaction: waits until no other instance allocates this programme (released at commit). */
  lockAllocation(programmeId: string): Promise<void>;
  allocate(programmeId: string, runId: string): Promise<{ eligible: number; created: number }>;
  startRun(programmeId: string, adminId: string): Promise<string>;
  finishRun(runId: string, v: { eligible: number; created: number; status: "done" | "failed" }): Promise<void>;
  runs(programmeId: string): Promise<AllocationRun[]>;
}

export type AllocationRun = {
  id: string;
  startedAt: Date;
  finishedAt: Date | null;
  eligibleCount: number | null;
  createdCount: number | null;
  skippedCount: number | null;
  status: "running" | "done" | "failed";
};

export type VoucherAccount = {
  id: string;
  programmeId: string;
  enterpriseId: string;
  applicationId: string;
  grantedFen: number;
  reservedFen: number;
  consumedFen: number;
  expiredFen: number;
  /** The part of consumedFen already paid out to providers (兑付). */
  settledFen: number;
  /** What 额度收回 took back to the programme (docs/monitoring.md). */
  recalledFen: number;
  createdAt: Date;
};

/** One ledger entry; `ref` names a movement of an order's reservation (empty for the submission's reserve and the final release). */
export type LedgerEntry = { id: number; accountId: string; kind: LedgerKind; amountFen: number; orderId: string | null; ref: string; createdAt: Date };

export interface LedgerRepository {
  openAccount(a: { programmeId: string; enterpriseId: string; applicationId: string; grantFen: number }): Promise<VoucherAccount>;
  account(id: string, forUpdate?: boolean): Promise<VoucherAccount | undefined>;
  accountsOf(enterpriseId: string): Promise<VoucherAccount[]>;
  /** Voucher accounts opened and the total granted on them. */
  grantedTotals(): Promise<{ accounts: number; enterprises: number; grantedFen: number }>;
  /** The entry of this kind, order and ref (default the empty ref). */
  entry(accountId: string, kind: LedgerKind, orderId: string, ref?: string): Promise<LedgerEntry | undefined>;
  /** The sums per kind of one order's entries on an account, over every ref. */
  orderSums(accountId: string, orderId: string): Promise<Record<LedgerKind, number>>;
  /** Appends an entry and moves the running totals in the same statement batch. */
  append(accountId: string, kind: LedgerKind, amountFen: number, orderId: string | null, ref?: string): Promise<LedgerEntry>;
  entries(accountId: string, limit: number): Promise<LedgerEntry[]>;
  /** The latest `limit` entries of each of these accounts (newest first within an account), in one statement. */
  latestEntries(accountIds: readonly string[], limit: number): Promise<Map<string, LedgerEntry[]>>;
  /** Accounts with something left whose programme's validity ended before `today` (YYYY-MM-DD, Asia/Shanghai). */
  dueForExpiry(today: string): Promise<string[]>;
  /** Sums of the ledger per kind, to check the running totals. */
  sums(accountId: string): Promise<Record<LedgerKind, number>>;
  /** The first entry of an account-level kind (no order: `recall`, `expire`, `grant`). */
  accountEntry(accountId: string, kind: LedgerKind): Promise<LedgerEntry | undefined>;
  /** When the account's quota application was approved (核定), or undefined. */
  approvedAt(accountId: string): Promise<Date | undefined>;
  /**
   * 额度收回 candidates: ids (ascending, after `after`, at most `limit`) of accounts approved before
   * `approvedBefore` whose programme is still valid on `today` (YYYY-MM-DD), with nothing reserved or
   * consumed and something available.
   */
  recallCandidates(approvedBefore: Date, today: string, after: string | null, limit: number): Promise<string[]>;
  /**
   * 使用率提醒 candidates: accounts (ascending id, after `after`, at most `limit`) whose programme's
   * validity ends between `from` and `to` (inclusive, YYYY-MM-DD), with consumed below `belowBp` of
   * granted (basis points) and something still available.
   */
  usageCandidates(from: string, to: string, belowBp: number, after: string | null, limit: number): Promise<UsageCandidate[]>;
}

/** An account the low-usage reminder may concern. */
export type UsageCandidate = {
  accountId: string;
  enterpriseId: string;
  programmeName: string;
  validTo: string;
  grantedFen: number;
  consumedFen: number;
};

export type ProgrammeRepositoryFactory = (db: Db) => ProgrammeRepository;
export type QuotaRepositoryFactory = (db: Db) => QuotaRepository;
export type LedgerRepositoryFactory = (db: Db) => LedgerRepository;
