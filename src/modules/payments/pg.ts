import { camelRow } from "../../lib/rows.ts";
import type { Db } from "../../ports/db.ts";
import type { NewPayment, NewRefund, PaymentRepository, PaymentRow, RefundRepository, RefundRow } from "./ports.ts";

const COLUMNS = `id, order_id, kind, payment_no, provider, amount_fen::int as amount_fen, status, gateway_payment_id, failure_reason,
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
           payee_last4, expires_at, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) returning ${COLUMNS}`,
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
    processingBefore: (cutoff, limit) =>
      many(
        `select ${REFUND_COLUMNS} from refunds where status = 'processing' and created_at < $1 order by (accepted_at is not null), created_at, id limit $2`,
        [cutoff, limit],
      ),
  };
}
