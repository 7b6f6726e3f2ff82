import { camelRow } from "../../lib/rows.ts";
import type { Db } from "../../ports/db.ts";
import type { OrderTermination } from "./termination-domain.ts";
import type { TerminationRepository } from "./termination-ports.ts";

/** The columns of a 协商终止 row (the order's page reads them in OrderRepository.view too). */
export const TERMINATION_COLUMNS = `id, order_id, proposed_by, proposer_id, reason, paid_fen::float8 as paid_fen, refund_fen::float8 as refund_fen, status,
  responder_id, response, created_at, ended_at`;
/** A row of TERMINATION_COLUMNS as a 协商终止 proposal. */
export const toTermination = (r: Record<string, unknown>): OrderTermination => {
  const t = camelRow<OrderTermination>(r);
  return { ...t, paidFen: Number(t.paidFen), refundFen: Number(t.refundFen) };
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function pgTerminations(db: Db): TerminationRepository {
  return {
    async insert(t, decided) {
      const [r] = await db.query(
        `insert into order_terminations (order_id, proposed_by, proposer_id, reason, paid_fen, refund_fen, status, created_at, ended_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning ${TERMINATION_COLUMNS}`,
        [t.orderId, t.proposedBy, t.proposerId, t.reason, t.paidFen, t.refundFen, decided ? "decided" : "proposed", t.createdAt, decided?.at ?? null],
      );
      return toTermination(r!);
    },
    async open(orderId, forUpdate = false) {
      if (!UUID.test(orderId)) return undefined;
      const [r] = await db.query(
        `select ${TERMINATION_COLUMNS} from order_terminations where order_id = $1 and status = 'proposed'${forUpdate ? " for update" : ""}`,
        [orderId],
      );
      return r ? toTermination(r) : undefined;
    },
    async ofOrder(orderId) {
      if (!UUID.test(orderId)) return [];
      const rows = await db.query(`select ${TERMINATION_COLUMNS} from order_terminations where order_id = $1 order by created_at, id`, [orderId]);
      return rows.map(toTermination);
    },
    async end(id, status, by) {
      const rows = await db.query(
        "update order_terminations set status = $2, responder_id = $3, response = $4, ended_at = $5 where id = $1 and status = 'proposed' returning id",
        [id, status, by.responderId, by.response, by.at],
      );
      return rows.length === 1;
    },
  };
}
