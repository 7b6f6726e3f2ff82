import { camelRow, pgArray } from "../../lib/rows.ts";
import type { Db } from "../../ports/db.ts";
import type {
  LedgerRepository,
  LedgerRow,
  NewPayment,
  NewReconciliation,
  NewRefund,
  PaymentRepository,
  PaymentRow,
  Reconciliation,
  ReconciliationRepository,
  RefundRepository,
  RefundRow,
} from "./ports.ts";

const COLUMNS = `id, order_id, order_number, kind, payment_no, provider, amount_fen::int as amount_fen, status, gateway_payment_id, failure_reason,
  payer_name, payer_bank, payer_last4, payee_name, payee_bank, payee_last4, expires_at, created_at, paid_at, ended_at`;
const lock = (f: boolean) => (f ? " for update" : "");

export function pgPayments(db: Db): PaymentRepository {
  const one = async (sql: string, params: unknown[]) => {
    const [r] = await db.query(sql, params);
    return r ? camelRow<PaymentRow>(r) : undefined;
  };
  return {
    async insert(p: NewPayment) {
      const row = await one(
        `insert into payments (order_id, kind, payment_no, provider, amount_fen, payer_name, payer_bank, payer_last4, payee_name, payee_bank,
           payee_last4, expires_at, created_at, order_number)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) returning ${COLUMNS}`,
        [
          p.orderId,
          p.kind,
          p.paymentNo,
          p.provider,
          p.amountFen,
          p.payerName,
          p.payerBank,
          p.payerLast4,
          p.payeeName,
          p.payeeBank,
          p.payeeLast4,
          p.expiresAt,
          p.createdAt,
          p.orderNumber,
        ],
      );
      return row!;
    },
    byNo: (no, forUpdate = false) => one(`select ${COLUMNS} from payments where payment_no = $1${lock(forUpdate)}`, [no]),
    live: (orderId, kind, forUpdate = false) =>
      one(`select ${COLUMNS} from payments where order_id = $1 and kind = $2 and status in ('pending', 'succeeded')${lock(forUpdate)}`, [orderId, kind]),
    async ofOrder(orderId) {
      const rows = await db.query(`select ${COLUMNS} from payments where order_id = $1 order by created_at, id`, [orderId]);
      return rows.map((r) => camelRow<PaymentRow>(r));
    },
    async attempts(orderId, kind) {
      const [r] = await db.query<{ n: number }>("select count(*)::int as n from payments where order_id = $1 and kind = $2", [orderId, kind]);
      return r!.n;
    },
    async succeed(no, gatewayPaymentId, paidAt) {
      const rows = await db.query(
        "update payments set status = 'succeeded', gateway_payment_id = $2, paid_at = $3, ended_at = $3 where payment_no = $1 and status = 'pending' returning id",
        [no, gatewayPaymentId, paidAt],
      );
      return rows.length === 1;
    },
    async end(no, status, at, reason) {
      const rows = await db.query(
        "update payments set status = $2, ended_at = $3, failure_reason = $4 where payment_no = $1 and status = 'pending' returning id",
        [no, status, at, reason?.slice(0, 200) ?? null],
      );
      return rows.length === 1;
    },
    async pendingBefore(cutoff, limit) {
      const rows = await db.query(`select ${COLUMNS} from payments where status = 'pending' and created_at < $1 order by created_at, id limit $2`, [
        cutoff,
        limit,
      ]);
      return rows.map((r) => camelRow<PaymentRow>(r));
    },
    async endedBetween(from, to) {
      const rows = await db.query(
        `select ${COLUMNS} from payments
         where (status = 'succeeded' and paid_at >= $1 and paid_at < $2) or (status in ('failed', 'closed') and ended_at >= $1 and ended_at < $2)
         order by ended_at, id`,
        [from, to],
      );
      return rows.map((r) => camelRow<PaymentRow>(r));
    },
    async byIds(ids) {
      if (!ids.length) return [];
      const rows = await db.query(`select ${COLUMNS} from payments where id = any($1::uuid[])`, [pgArray(ids)]);
      return rows.map((r) => camelRow<PaymentRow>(r));
    },
    async byNos(nos) {
      if (!nos.length) return [];
      const rows = await db.query(`select ${COLUMNS} from payments where payment_no = any($1::text[]) order by created_at, id`, [pgArray(nos)]);
      return rows.map((r) => camelRow<PaymentRow>(r));
    },
  };
}

const REFUND_COLUMNS = `id, payment_id, order_id, refund_no, amount_fen::float8 as amount_fen, reason, cause, status, accepted_at, failure_reason,
  created_at, ended_at`;

export function pgRefunds(db: Db): RefundRepository {
  const many = async (sql: string, params: unknown[]) => (await db.query(sql, params)).map((r) => camelRow<RefundRow>(r));
  return {
    async insert(r: NewRefund) {
      const [row] = await many(
        `insert into refunds (payment_id, order_id, refund_no, amount_fen, reason, cause, created_at) values ($1, $2, $3, $4, $5, $6, $7)
         returning ${REFUND_COLUMNS}`,
        [r.paymentId, r.orderId, r.refundNo, r.amountFen, r.reason.slice(0, 200), r.cause, r.createdAt],
      );
      return row!;
    },
    async byNo(no, forUpdate = false) {
      const [row] = await many(`select ${REFUND_COLUMNS} from refunds where refund_no = $1${lock(forUpdate)}`, [no]);
      return row;
    },
    ofOrder: (orderId) => many(`select ${REFUND_COLUMNS} from refunds where order_id = $1 order by created_at, id`, [orderId]),
    async ofPayment(paymentId) {
      const [r] = await db.query<{ active: number; n: number }>(
        "select coalesce(sum(amount_fen) filter (where status <> 'failed'), 0)::float8 as active, count(*)::int as n from refunds where payment_id = $1",
        [paymentId],
      );
      return { activeFen: Number(r!.active), count: Number(r!.n) };
    },
    async accepted(no, at) {
      await db.query("update refunds set accepted_at = $2 where refund_no = $1 and accepted_at is null", [no, at]);
    },
    async end(no, status, at, reason) {
      const rows = await db.query(
        "update refunds set status = $2, ended_at = $3, failure_reason = $4 where refund_no = $1 and status = 'processing' returning id",
        [no, status, at, reason?.slice(0, 200) ?? null],
      );
      return rows.length === 1;
    },
    succeededBetween: (from, to) =>
      many(`select ${REFUND_COLUMNS} from refunds where status = 'succeeded' and ended_at >= $1 and ended_at < $2 order by ended_at, id`, [from, to]),
    byNos: async (nos) =>
      nos.length ? many(`select ${REFUND_COLUMNS} from refunds where refund_no = any($1::text[]) order by created_at, id`, [pgArray(nos)]) : [],
    processingBefore: (cutoff, limit) =>
      many(
        `select ${REFUND_COLUMNS} from refunds where status = 'processing' and created_at < $1 order by (accepted_at is not null), created_at, id limit $2`,
        [cutoff, limit],
      ),
  };
}

/** `like` pattern of a prefix: its own %, _ and \\ taken literally. */
const likePrefix = (s: string) => `${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** 支付管理: payments and refunds in one list (a refund with its payment's order, kind and accounts). */
export function pgPaymentLedger(db: Db): LedgerRepository {
  return {
    async search(f, limit, offset) {
      const params: unknown[] = [];
      const bind = (v: unknown) => {
        params.push(v);
        return `$${params.length}`;
      };
      const common: string[] = [];
      if (f.number)
        common.push("exact" in f.number ? `p.order_number = ${bind(f.number.exact)}` : `p.order_number like ${bind(likePrefix(f.number.prefix))}`);
      if (f.kind) common.push(`p.kind = ${bind(f.kind)}`);
      const pay = [...common];
      const ref = [...common];
      if (f.from) {
        const b = bind(f.from);
        pay.push(`p.created_at >= ${b}`);
        ref.push(`r.created_at >= ${b}`);
      }
      if (f.to) {
        const b = bind(f.to);
        pay.push(`p.created_at < ${b}`);
        ref.push(`r.created_at < ${b}`);
      }
      let withPayments = f.type !== "refund";
      let withRefunds = f.type !== "payment";
      if (f.status) {
        if (f.status.type === "payment") {
          withRefunds = false;
          pay.push(`p.status = ${bind(f.status.status)}`);
        } else {
          withPayments = false;
          ref.push(`r.status = ${bind(f.status.status)}`);
        }
      }
      if (!withPayments && !withRefunds) return { rows: [], total: 0, totals: [] };
      const where = (w: string[]) => (w.length ? `where ${w.join(" and ")}` : "");
      const parts: string[] = [];
      if (withPayments) {
        parts.push(`select 'payment' as type, p.id, p.order_id, p.order_number, p.kind, p.payment_no as no, p.payment_no, p.amount_fen, p.status,
            p.gateway_payment_id, p.payer_name, p.payer_bank, p.payer_last4, p.payee_name, p.payee_bank, p.payee_last4, p.created_at, p.ended_at
          from payments p ${where(pay)}`);
      }
      if (withRefunds) {
        parts.push(`select 'refund' as type, r.id, r.order_id, p.order_number, p.kind, r.refund_no as no, p.payment_no, r.amount_fen, r.status,
            p.gateway_payment_id, p.payer_name, p.payer_bank, p.payer_last4, p.payee_name, p.payee_bank, p.payee_last4, r.created_at, r.ended_at
          from refunds r join payments p on p.id = r.payment_id ${where(ref)}`);
      }
      const ledger = `with ledger as (${parts.join(" union all ")})`;
      const totals = await db.query<{ type: LedgerRow["type"]; status: string; n: number; fen: number }>(
        `${ledger} select type, status, count(*)::int as n, coalesce(sum(amount_fen), 0)::float8 as fen from ledger group by type, status order by type, status`,
        params,
      );
      const rows = await db.query(
        `${ledger} select type, id, order_id, order_number, kind, no, payment_no, amount_fen::float8 as amount_fen, status, gateway_payment_id,
           payer_name, payer_bank, payer_last4, payee_name, payee_bank, payee_last4, created_at, ended_at
         from ledger order by created_at desc, id desc limit ${bind(limit)} offset ${bind(offset)}`,
        params,
      );
      return {
        rows: rows.map((r) => camelRow<LedgerRow>(r)),
        total: totals.reduce((n, t) => n + Number(t.n), 0),
        totals: totals.map((t) => ({ type: t.type, status: t.status, count: Number(t.n), amountFen: Number(t.fen) })),
      };
    },
  };
}

const RECONCILIATION_COLUMNS = `id, day::text as day, status, ran_at, ran_by, ran_by_name, payment_count, payment_fen::float8 as payment_fen, refund_count,
  refund_fen::float8 as refund_fen, queried, line_count, notice_count, difference_count, note_count, differences`;

/** 对账's results, one row per day. */
export function pgReconciliations(db: Db): ReconciliationRepository {
  const row = (r: Record<string, unknown>): Reconciliation => {
    const x = camelRow<Reconciliation>(r);
    const differences = typeof x.differences === "string" ? JSON.parse(x.differences) : x.differences;
    return { ...x, paymentFen: Number(x.paymentFen), refundFen: Number(x.refundFen), differences };
  };
  return {
    async save(r: NewReconciliation) {
      const [saved] = await db.query(
        `insert into payment_reconciliations (day, status, ran_at, ran_by, ran_by_name, payment_count, payment_fen, refund_count, refund_fen, queried,
           line_count, notice_count, difference_count, note_count, differences)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::text::jsonb)
         on conflict (day) do update set status = excluded.status, ran_at = excluded.ran_at, ran_by = excluded.ran_by, ran_by_name = excluded.ran_by_name,
           payment_count = excluded.payment_count, payment_fen = excluded.payment_fen, refund_count = excluded.refund_count,
           refund_fen = excluded.refund_fen, queried = excluded.queried, line_count = excluded.line_count, notice_count = excluded.notice_count,
           difference_count = excluded.difference_count, note_count = excluded.note_count, differences = excluded.differences
         returning ${RECONCILIATION_COLUMNS}`,
        [
          r.day,
          r.status,
          r.ranAt,
          r.ranBy,
          r.ranByName?.slice(0, 100) ?? null,
          r.paymentCount,
          r.paymentFen,
          r.refundCount,
          r.refundFen,
          r.queried,
          r.lineCount,
          r.noticeCount,
          r.differenceCount,
          r.noteCount,
          JSON.stringify(r.differences),
        ],
      );
      return row(saved!);
    },
    async byDay(day) {
      const [r] = await db.query(`select ${RECONCILIATION_COLUMNS} from payment_reconciliations where day = $1::date`, [day]);
      return r ? row(r) : undefined;
    },
    async latest(limit, offset) {
      const [n] = await db.query<{ n: number }>("select count(*)::int as n from payment_reconciliations");
      const rows = await db.query(`select ${RECONCILIATION_COLUMNS} from payment_reconciliations order by day desc limit $1 offset $2`, [limit, offset]);
      return { rows: rows.map(row), total: Number(n!.n) };
    },
  };
}
