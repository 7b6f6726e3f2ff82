import { camelRow, pgArray } from "../../lib/rows.ts";
import type { Db } from "../../ports/db.ts";
import type {
  PayoutBatchRow,
  PayoutLineRow,
  PublicityRow,
  Settlement,
  SettlementEvent,
  SettlementFile,
  SettlementOrder,
  SettlementPatch,
  SettlementRepository,
  SettlementRow,
} from "./ports.ts";

const COLUMNS = `s.id, s.number, s.provider_id, s.status, s.revision, s.amount_fen::float8 as amount_fen, s.general_fen::float8 as general_fen,
  s.contract_fen::float8 as contract_fen, s.invoice_amount_fen::float8 as invoice_amount_fen, s.invoice_file_id, s.acceptance_file_id,
  s.service_year, s.payee_name, s.payee_bank, s.payee_last4, s.payee_fingerprint, s.publicity_until, s.paused_remaining_ms::float8 as paused_remaining_ms,
  s.decided_by, s.decided_at, s.reason, s.spot_check_note, s.payout_no, s.payout_attempts, s.payout_failure, s.batch_id, s.paid_at,
  s.submitted_at, s.updated_at, s.version`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const toSettlement = (r: Record<string, unknown>) => camelRow<Settlement>(r);
const PATCH_COLUMNS: Record<keyof SettlementPatch, string> = {
  revision: "revision",
  invoiceAmountFen: "invoice_amount_fen",
  invoiceFileId: "invoice_file_id",
  acceptanceFileId: "acceptance_file_id",
  payeeName: "payee_name",
  payeeBank: "payee_bank",
  payeeLast4: "payee_last4",
  payeeFingerprint: "payee_fingerprint",
  publicityUntil: "publicity_until",
  pausedRemainingMs: "paused_remaining_ms",
  decidedBy: "decided_by",
  decidedAt: "decided_at",
  reason: "reason",
  spotCheckNote: "spot_check_note",
  payoutNo: "payout_no",
  payoutAttempts: "payout_attempts",
  payoutFailure: "payout_failure",
  batchId: "batch_id",
  paidAt: "paid_at",
};

export function pgSettlements(db: Db): SettlementRepository {
  const event = (settlementId: string, at: Date, e: Omit<SettlementEvent, "id" | "settlementId" | "at">) =>
    db.query(
      `insert into settlement_events (settlement_id, at, actor_type, actor_id, action, from_status, to_status, reason)
       values ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [settlementId, at, e.actorType, e.actorId, e.action, e.fromStatus, e.toStatus, e.reason],
    );
  return {
    async nextSequence() {
      const [r] = await db.query<{ n: string }>("select nextval('settlement_number_seq')::text as n");
      return Number(r!.n);
    },
    async insert(s, orders, e) {
      const [row] = await db.query(
        `insert into settlements (number, provider_id, amount_fen, general_fen, contract_fen, invoice_amount_fen, invoice_file_id,
           acceptance_file_id, service_year, submitted_at, updated_at, order_count)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11) returning id`,
        [
          s.number,
          s.providerId,
          s.amountFen,
          s.generalFen,
          s.contractFen,
          s.invoiceAmountFen,
          s.invoiceFileId,
          s.acceptanceFileId,
          s.serviceYear,
          s.at,
          orders.length,
        ],
      );
      const id = String(row!.id);
      for (const o of orders) {
        await db.query(
          `insert into settlement_orders (settlement_id, order_id, order_number, enterprise_id, voucher_account_id, programme_id, programme_name,
             programme_kind, voucher_fen, contract_fen)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
          [id, o.orderId, o.orderNumber, o.enterpriseId, o.voucherAccountId, o.programmeId, o.programmeName, o.programmeKind, o.voucherFen, o.contractFen],
        );
      }
      await db.query(
        "insert into settlement_files (settlement_id, file_id, kind, revision, created_at) values ($1, $2, 'invoice', 1, $4), ($1, $3, 'acceptance', 1, $4)",
        [id, s.invoiceFileId, s.acceptanceFileId, s.at],
      );
      await event(id, s.at, e);
      return (await this.byId(id))!;
    },
    async byId(id, forUpdate = false) {
      if (!UUID.test(id)) return undefined;
      const [r] = await db.query(`select ${COLUMNS} from settlements s where s.id = $1${forUpdate ? " for update" : ""}`, [id]);
      return r ? toSettlement(r) : undefined;
    },
    async byPayoutNo(no, forUpdate = false) {
      const [r] = await db.query(`select ${COLUMNS} from settlements s where s.payout_no = $1${forUpdate ? " for update" : ""}`, [no]);
      return r ? toSettlement(r) : undefined;
    },
    async transition(id, expectedVersion, to, at, e, patch = {}) {
      const sets = ["status = $3", "updated_at = $4", "version = version + 1"];
      const params: unknown[] = [id, expectedVersion, to, at];
      for (const [k, v] of Object.entries(patch)) {
        params.push(v);
        sets.push(`${PATCH_COLUMNS[k as keyof SettlementPatch]} = $${params.length}`);
      }
      const rows = await db.query(`update settlements set ${sets.join(", ")} where id = $1 and version = $2 returning id`, params);
      if (rows.length !== 1) return undefined;
      const current = (await this.byId(id))!;
      await event(id, at, { ...e, toStatus: to });
      return current;
    },
    async orders(settlementId) {
      const rows = await db.query(
        `select settlement_id, order_id, order_number, enterprise_id, voucher_account_id, programme_id, programme_name, programme_kind,
           voucher_fen::float8 as voucher_fen, contract_fen::float8 as contract_fen, live
         from settlement_orders where settlement_id = $1 order by order_number`,
        [settlementId],
      );
      return rows.map((r) => camelRow<SettlementOrder>(r));
    },
    async release(settlementId) {
      await db.query("update settlement_orders set live = false where settlement_id = $1", [settlementId]);
    },
    async ofOrder(orderId) {
      if (!UUID.test(orderId)) return undefined;
      const [r] = await db.query<{ id: string; number: string; status: Settlement["status"] }>(
        "select s.id, s.number, s.status from settlement_orders o join settlements s on s.id = o.settlement_id where o.order_id = $1 and o.live",
        [orderId],
      );
      return r;
    },
    async heldOrders(orderIds) {
      if (!orderIds.length) return [];
      const rows = await db.query<{ order_id: string }>("select order_id from settlement_orders where live and order_id = any($1::uuid[])", [
        pgArray(orderIds),
      ]);
      return rows.map((r) => r.order_id);
    },
    async addFile(settlementId, fileId, kind, revision, at) {
      await db.query("insert into settlement_files (settlement_id, file_id, kind, revision, created_at) values ($1, $2, $3, $4, $5)", [
        settlementId,
        fileId,
        kind,
        revision,
        at,
      ]);
    },
    async files(settlementId) {
      const rows = await db.query(
        "select file_id, kind, revision, created_at from settlement_files where settlement_id = $1 order by created_at, case kind when 'invoice' then 0 when 'acceptance' then 1 else 2 end, file_id",
        [settlementId],
      );
      return rows.map((r) => camelRow<SettlementFile>(r));
    },
    async events(settlementId) {
      const rows = await db.query(
        "select id, settlement_id, at, actor_type, actor_id, action, from_status, to_status, reason from settlement_events where settlement_id = $1 order by id",
        [settlementId],
      );
      return rows.map((r) => ({ ...camelRow<SettlementEvent>(r), id: Number(r.id) }));
    },
    async list(f, limit, offset) {
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (sql: string, v: unknown) => {
        params.push(v);
        where.push(sql.replaceAll("?", `$${params.length}`));
      };
      if (f.status) add("s.status = ?", f.status);
      if (f.providerId) add("s.provider_id = ?", f.providerId);
      if (f.providerName) add("v.name ilike ?", `%${f.providerName.replace(/[\\%_]/g, (m) => `\\${m}`)}%`);
      if (f.number) add("s.number like ?", `${f.number.replace(/[\\%_]/g, (m) => `\\${m}`)}%`);
      const w = where.length ? `where ${where.join(" and ")}` : "";
      // The provider's name is joined only when the filter needs it (the count is the page's other cost).
      const [count] = await db.query<{ n: number }>(
        `select count(*)::int as n from settlements s ${f.providerName ? "left join provider_directory v on v.id = s.provider_id" : ""} ${w}`,
        params,
      );
      const rows = await db.query(
        `select ${COLUMNS}, coalesce(v.name, '') as provider_name, s.order_count
         from settlements s left join provider_directory v on v.id = s.provider_id ${w}
         order by s.submitted_at desc, s.id desc limit $${params.length + 1} offset $${params.length + 2}`,
        [...params, limit, offset],
      );
      return { rows: rows.map((r) => camelRow<SettlementRow>(r)), total: count!.n };
    },
    async lockYear(providerId, year) {
      await db.query("insert into settlement_year_totals (provider_id, service_year) values ($1, $2) on conflict do nothing", [providerId, year]);
      const [r] = await db.query<{ n: number }>(
        "select approved_fen::float8 as n from settlement_year_totals where provider_id = $1 and service_year = $2 for update",
        [providerId, year],
      );
      return Number(r!.n);
    },
    async addYear(providerId, year, deltaFen) {
      await db.query("update settlement_year_totals set approved_fen = approved_fen + $3 where provider_id = $1 and service_year = $2", [
        providerId,
        year,
        deltaFen,
      ]);
    },
    async publicityEnded(at, limit) {
      const rows = await db.query<{ id: string }>(
        "select id from settlements where status = 'publicising' and publicity_until <= $1 order by publicity_until, id limit $2",
        [at, limit],
      );
      return rows.map((r) => r.id);
    },
    async payingBefore(cutoff, limit) {
      const rows = await db.query(`select ${COLUMNS} from settlements s where s.status = 'paying' and s.updated_at < $1 order by s.updated_at limit $2`, [
        cutoff,
        limit,
      ]);
      return rows.map(toSettlement);
    },
    async batchPaid(batchId) {
      await db.query("update payout_batches set paid_count = paid_count + 1 where id = $1", [batchId]);
    },
    async insertBatch(b) {
      const [r] = await db.query<{ id: string; number: string }>(
        "insert into payout_batches (number, created_by, created_at, settlement_count, total_fen) values ($1, $2, $3, $4, $5) returning id, number",
        [b.number, b.createdBy, b.at, b.count, b.totalFen],
      );
      return r!;
    },
    async batches(limit, offset) {
      const [count] = await db.query<{ n: number }>("select count(*)::int as n from payout_batches");
      // The page of batches first, then the statuses of each one's applications (by the batch index).
      const rows = await db.query(
        `select b.id, b.number, b.created_at, b.settlement_count, b.total_fen::float8 as total_fen, b.paid_count as paid,
                (select count(*)::int from settlements s where s.batch_id = b.id and s.status = 'paying') as paying
           from (select * from payout_batches order by created_at desc, number desc limit $1 offset $2) b
          order by b.created_at desc, b.number desc`,
        [limit, offset],
      );
      return {
        total: count!.n,
        rows: rows.map((r) => {
          const b = camelRow<Omit<PayoutBatchRow, "other">>(r);
          return { ...b, other: b.settlementCount - b.paid - b.paying };
        }),
      };
    },
    async payoutLines(batchNumber, limit, offset) {
      const where = batchNumber ? "where b.number = $3" : "";
      const params: unknown[] = [limit, offset, ...(batchNumber ? [batchNumber] : [])];
      const [count] = await db.query<{ n: number }>(
        `select count(*)::int as n from settlements s join payout_batches b on b.id = s.batch_id ${batchNumber ? "where b.number = $1" : ""}`,
        batchNumber ? [batchNumber] : [],
      );
      const rows = await db.query(
        `select b.number as batch_number, b.created_at as batch_at, s.number, coalesce(v.name, '') as provider_name, s.amount_fen::float8 as amount_fen,
                s.payee_name, s.payee_bank, s.payee_last4, s.payout_no, s.status, s.paid_at, s.payout_failure
           from settlements s join payout_batches b on b.id = s.batch_id left join provider_directory v on v.id = s.provider_id
           ${where} order by b.created_at desc, b.number desc, s.number limit $1 offset $2`,
        params,
      );
      return { total: count!.n, rows: rows.map((r) => camelRow<PayoutLineRow>(r)) };
    },
    async publicity(limit, offset) {
      // Each public application holds at least one live order, so the page's rows come from the first
      // (offset + limit) applications in the page's order, read by settlements_public_idx.
      const [count] = await db.query<{ n: number }>(
        `select coalesce(sum(order_count), 0)::int as n from settlements where status in ('publicising', 'awaiting_payout', 'paying', 'paid')`,
      );
      const rows = await db.query(
        `select s.number, coalesce(v.name, '') as provider_name, coalesce(d.name, '') as enterprise_name, o.programme_name,
           o.voucher_fen::float8 as voucher_fen, o.order_number, s.status, s.publicity_until, s.decided_at
         from (select id, number, provider_id, status, publicity_until, decided_at from settlements
                where status in ('publicising', 'awaiting_payout', 'paying', 'paid')
                order by decided_at desc nulls last, number desc limit $1::int + $2::int) s
         join settlement_orders o on o.settlement_id = s.id and o.live
         left join provider_directory v on v.id = s.provider_id left join enterprise_directory d on d.id = o.enterprise_id
         order by s.decided_at desc nulls last, s.number desc, o.order_number limit $1 offset $2`,
        [limit, offset],
      );
      return { rows: rows.map((r) => camelRow<PublicityRow>(r)), total: count!.n };
    },
  };
}
