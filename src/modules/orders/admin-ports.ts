import type { Db } from "../../ports/db.ts";
import type { OrderStatus } from "./domain.ts";
import type { OrderSummary } from "./ports.ts";

/** The admin's 订单管理 filters as the repository applies them (each one optional, all of them combined). */
export type AdminOrderFilter = {
  /** A whole order number (exact match) or the start of one (prefix): upper-case letters and digits. */
  number?: { exact: string } | { prefix: string };
  status?: OrderStatus;
  /** The voucher programme of the order's voucher account. */
  programmeId?: string;
  /** A part of the provider's name / the ordering enterprise's name (case-insensitive, no wildcards). */
  providerName?: string;
  enterpriseName?: string;
  /** The ordering enterprise's city (region code). */
  cityCode?: string;
  /** Submitted at or after `from` and before `to`. */
  from?: Date;
  to?: Date;
};

/** A row of the admin's list: both parties by their current names, and the enterprise's city. */
export type AdminOrderRow = OrderSummary & { cityCode: string | null };

/** The list of the admin's 订单管理; the order itself, its events, money lines and contract versions come from the module's OrderRepository. */
export interface OrderAdminRepository {
  /** One page of every order matching the filter (newest first) and how many match. Limit and offset are bound as parameters. */
  search(f: AdminOrderFilter, limit: number, offset: number): Promise<{ rows: AdminOrderRow[]; total: number }>;
  /** How many orders match (an export's total). */
  count(f: AdminOrderFilter): Promise<number>;
  /**
   * The next `limit` orders matching the filter in the list's order (newest first) after the row the
   * cursor names (`cursorAt`, the creation time as exact database text, and the id), for exports.
   */
  batch(f: AdminOrderFilter, after: { at: string; id: string } | undefined, limit: number): Promise<(AdminOrderRow & { cursorAt: string })[]>;
}
export type OrderAdminRepositoryFactory = (db: Db) => OrderAdminRepository;
