import type { Db } from "../../ports/db.ts";
import type { Totals } from "./domain.ts";

/** One figure row: a key of a dimension (for `programme` the programme id) and its totals. */
export type DimRow = Totals & { dim: "programme" | "month" | "city" | "size" | "category"; key: string };

export type ProviderRow = { providerId: string; name: string | null; settledFen: number; consumedFen: number };

export type UsageRow = {
  accountId: string;
  programmeId: string;
  enterpriseId: string;
  enterpriseName: string | null;
  cityCode: string | null;
  grantedFen: number;
  consumedFen: number;
  usageBp: number;
};

export type Freshness = {
  /** The last fold (the rollups brought up to date); null before the first. */
  foldedAt: Date | null;
  rebuiltAt: Date | null;
  /** Ledger entries and order status changes written since, counted live from the deltas. */
  pendingEntries: number;
  pendingOrderChanges: number;
};

export type FoldResult = { entries: number; orderChanges: number };

/** A named statement of the dashboard with its parameters, for EXPLAIN (the benchmark and the plan budget test). */
export type NamedQuery = { name: string; sql: string; params: unknown[] };

/**
 * The dashboard's repository. Every read takes the programme ids it covers (never empty: the use
 * case resolves "all" into the list of programmes) and answers rollup + not yet folded deltas.
 */
export interface DashboardRepository {
  /** Totals by programme, month, city, 企业划型 and service category. */
  figures(programmeIds: string[]): Promise<DimRow[]>;
  /** Orders by status (programme keys: ids, and '' for orders without a voucher). */
  orderCounts(programmeKeys: string[]): Promise<{ status: string; n: number }[]>;
  /** The providers with the largest settled amount (then consumed), at most `limit`. */
  topProviders(programmeIds: string[], limit: number): Promise<ProviderRow[]>;
  /** How many voucher accounts fall in each usage bucket (see domain `usageBucket`). */
  usageBuckets(programmeIds: string[]): Promise<{ bucket: number; n: number }[]>;
  /** Voucher accounts by usage rate, lowest first (then by account id), one page. */
  usagePage(programmeIds: string[], limit: number, offset: number): Promise<UsageRow[]>;
  freshness(): Promise<Freshness>;
  /** Moves up to `batch` deltas of each kind into the rollups, in one transaction of the caller's db. */
  foldBatch(batch: number): Promise<FoldResult>;
  /** Recomputes every rollup from the ledger and the orders (blocks their writes until done). */
  rebuild(): Promise<void>;
  /** The statements of one page view, for EXPLAIN. */
  pageQueries(programmeIds: string[], programmeKeys: string[]): NamedQuery[];
  /** EXPLAIN (FORMAT JSON) of one statement, with ANALYZE and BUFFERS when asked (it runs the statement). */
  explain(q: NamedQuery, analyze?: boolean): Promise<unknown>;
}
export type DashboardRepositoryFactory = (db: Db) => DashboardRepository;
