import type { Db } from "../../ports/db.ts";
import { camelRow, pgArray } from "../../lib/rows.ts";
import type { ContractContent, OrderStatus, StoredContractVersion } from "./domain.ts";
import type {
  EventInput,
  MoneyLine,
  NewOrder,
  Order,
  OrderDelivery,
  OrderEvent,
  OrderParty,
  OrderRepository,
  OrderReview,
  OrderSummary,
  OrderView,
  PublicReview,
} from "./ports.ts";
import { TERMINATION_COLUMNS, toTermination } from "./termination-pg.ts";

const ORDER_COLUMNS = `id, number, enterprise_id, provider_id, product_id, status, quantity, unit_price_fen, order_fen, contract_fen,
  deduction_fen, self_pay_fen, deposit_fen, voucher_account_id, snapshot, submission_key, version, created_at, updated_at`;
const SUMMARY_COLUMNS = `id, number, enterprise_id, provider_id, product_id, status, quantity, contract_fen, deduction_fen, self_pay_fen,
  created_at, updated_at, snapshot->>'title' as title, snapshot->'provider'->>'name' as provider_name,
  (select d.name from enterprise_directory d where d.id = orders.enterprise_id) as enterprise_name`;
const EVENT_COLUMNS = "id, order_id, at, actor_type, actor_id, action, from_status, to_status, reason, request_id";
const VERSION_COLUMNS = "version, status, content, return_reason, submitted_at, decided_at, sha256, created_at, updated_at";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** jsonb comes back parsed on postgres.js and PGlite alike; a text value (older drivers) is parsed here. */
const toOrder = (r: Record<string, unknown>): Order => {
  const o = camelRow<Order>(r);
  return typeof o.snapshot === "string" ? { ...o, snapshot: JSON.parse(o.snapshot) } : o;
};
const toVersion = (r: Record<string, unknown>): StoredContractVersion => {
  const v = camelRow<StoredContractVersion>(r);
  return typeof v.content === "string" ? { ...v, content: JSON.parse(v.content) } : v;
};
const toEvent = (r: Record<string, unknown>): OrderEvent => ({ ...camelRow<OrderEvent>(r), id: Number(r.id) });
const MONEY_LINE_COLUMNS = "id, order_id, kind, amount_fen, ref, at";
const toMoneyLine = (r: Record<string, unknown>): MoneyLine => ({ ...camelRow<MoneyLine>(r), id: Number(r.id) });
const REVIEW_COLUMNS =
  "order_id, product_id, provider_id, enterprise_id, quality, timeliness, attitude, comment, created_at, reply, replied_at, hidden_at, hidden_reason";
/** 服务成果 with its files in their order (text ids, the same on both drivers); the caller adds the where clause on `d`. */
const DELIVERY_SELECT = `select d.order_id, d.summary, d.created_by, d.created_at,
    (select array_agg(f.file_id::text order by f.position) from order_delivery_files f where f.order_id = d.order_id) as file_ids
  from order_deliveries d`;
const toDelivery = (r: Record<string, unknown>): OrderDelivery => ({
  orderId: r.order_id as string,
  summary: r.summary as string,
  fileIds: (r.file_ids as string[] | null) ?? [],
  createdBy: r.created_by as string,
  createdAt: r.created_at as Date,
});
/** A json value as the drivers return it: parsed already (postgres.js, PGlite), or text (parsed here). */
const fromJson = (v: unknown): unknown => (typeof v === "string" ? JSON.parse(v) : v);
/** A row built by row_to_json / json_agg with its timestamps (ISO text there) as the Dates a plain read gives. */
const withDates = (r: Record<string, unknown>, keys: string[]): Record<string, unknown> => {
  const out = { ...r };
  for (const k of keys) if (typeof out[k] === "string") out[k] = new Date(out[k] as string);
  return out;
};

/** The where clause and parameters of one party's orders. */
function partyWhere(party: OrderParty): { sql: string; params: unknown[] } {
  return "enterpriseId" in party ? { sql: "enterprise_id = $1", params: [party.enterpriseId] } : { sql: "provider_id = $1", params: [party.providerId] };
}

/** A party's orders, in these statuses when given. */
function statusWhere(party: OrderParty, statuses: readonly OrderStatus[] | null): { sql: string; params: unknown[] } {
  const w = partyWhere(party);
  if (!statuses) return w;
  return { sql: `${w.sql} and status = any($${w.params.length + 1}::text[])`, params: [...w.params, pgArray(statuses)] };
}

export function pgOrders(db: Db): OrderRepository {
  async function insertEvent(orderId: string, at: Date, e: EventInput): Promise<void> {
    await db.query(
      `insert into order_events (order_id, at, actor_type, actor_id, action, from_status, to_status, reason, request_id)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [orderId, at, e.actorType, e.actorId, e.action, e.fromStatus, e.toStatus, e.reason, e.requestId],
    );
  }

  const repo: OrderRepository = {
    async nextSequence(): Promise<number> {
      const [r] = await db.query<{ n: number }>("select nextval('order_number_seq') as n");
      return Number(r!.n);
    },

    async insert(o: NewOrder, event: EventInput): Promise<Order> {
      const [r] = await db.query(
        `insert into orders (number, enterprise_id, provider_id, product_id, status, quantity, unit_price_fen, order_fen, contract_fen,
           deduction_fen, self_pay_fen, deposit_fen, voucher_account_id, snapshot, submission_key, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::text::jsonb, $15, $16, $16)
         returning ${ORDER_COLUMNS}`,
        [
          o.number,
          o.enterpriseId,
          o.providerId,
          o.productId,
          o.status,
          o.quantity,
          o.unitPriceFen,
          o.orderFen,
          o.contractFen,
          o.deductionFen,
          o.selfPayFen,
          o.depositFen,
          o.voucherAccountId,
          JSON.stringify(o.snapshot),
          o.submissionKey,
          o.at,
        ],
      );
      const order = toOrder(r!);
      await insertEvent(order.id, o.at, event);
      return order;
    },

    async byId(id: string, forUpdate = false): Promise<Order | undefined> {
      if (!UUID.test(id)) return undefined;
      const [r] = await db.query(`select ${ORDER_COLUMNS} from orders where id = $1${forUpdate ? " for update" : ""}`, [id]);
      return r && toOrder(r);
    },

    async view(id: string): Promise<OrderView | undefined> {
      if (!UUID.test(id)) return undefined;
      // Each part is the single read's own SQL as a JSON value (rows come back in the same order).
      const [r] = await db.query(
        `select ${ORDER_COLUMNS},
                (select d.name from enterprise_directory d where d.id = orders.enterprise_id) as enterprise_name,
                (select coalesce(json_agg(e order by e.id), '[]'::json)
                   from (select ${EVENT_COLUMNS} from order_events where order_id = orders.id) e) as view_events,
                (select coalesce(json_agg(m order by m.id), '[]'::json)
                   from (select ${MONEY_LINE_COLUMNS} from order_money_lines where order_id = orders.id) m) as view_money_lines,
                (select row_to_json(d) from (${DELIVERY_SELECT} where d.order_id = orders.id) d) as view_delivery,
                (select row_to_json(v) from (select ${REVIEW_COLUMNS} from order_reviews where order_id = orders.id) v) as view_review,
                (select coalesce(json_agg(t order by t.created_at, t.id), '[]'::json)
                   from (select ${TERMINATION_COLUMNS} from order_terminations where order_id = orders.id) t) as view_terminations
           from orders where id = $1`,
        [id],
      );
      if (!r) return undefined;
      const { enterprise_name, view_events, view_money_lines, view_delivery, view_review, view_terminations, ...order } = r;
      const rows = (v: unknown) => (fromJson(v) ?? []) as Record<string, unknown>[];
      const delivery = fromJson(view_delivery) as Record<string, unknown> | null;
      const review = fromJson(view_review) as Record<string, unknown> | null;
      return {
        order: toOrder(order),
        enterpriseName: (enterprise_name as string | null) ?? "",
        events: rows(view_events).map((e) => toEvent(withDates(e, ["at"]))),
        moneyLines: rows(view_money_lines).map((m) => toMoneyLine(withDates(m, ["at"]))),
        delivery: delivery ? toDelivery(withDates(delivery, ["created_at"])) : undefined,
        review: review ? camelRow<OrderReview>(withDates(review, ["created_at", "replied_at", "hidden_at"])) : undefined,
        terminations: rows(view_terminations).map((t) => toTermination(withDates(t, ["created_at", "ended_at"]))),
      };
    },

    async bySubmissionKey(enterpriseId: string, key: string): Promise<Order | undefined> {
      const [r] = await db.query(`select ${ORDER_COLUMNS} from orders where enterprise_id = $1 and submission_key = $2`, [enterpriseId, key]);
      return r && toOrder(r);
    },

    async countForProduct(enterpriseId: string, productId: string): Promise<number> {
      if (!UUID.test(productId)) return 0;
      const [r] = await db.query<{ n: number }>("select count(*)::int as n from orders where enterprise_id = $1 and product_id = $2", [
        enterpriseId,
        productId,
      ]);
      return r!.n;
    },

    async transition(id, expectedVersion, to, at, event, patch = {}): Promise<Order | undefined> {
      const [r] = await db.query(
        `update orders set status = $3, version = version + 1, updated_at = $4,
           contract_fen = coalesce($5, contract_fen), deduction_fen = coalesce($6, deduction_fen),
           self_pay_fen = coalesce($7, self_pay_fen), deposit_fen = coalesce($8, deposit_fen)
         where id = $1 and version = $2
         returning ${ORDER_COLUMNS}`,
        [id, expectedVersion, to, at, patch.contractFen ?? null, patch.deductionFen ?? null, patch.selfPayFen ?? null, patch.depositFen ?? null],
      );
      if (!r) return undefined;
      await insertEvent(id, at, event);
      return toOrder(r);
    },

    async events(orderId: string): Promise<OrderEvent[]> {
      if (!UUID.test(orderId)) return [];
      return (await db.query(`select ${EVENT_COLUMNS} from order_events where order_id = $1 order by id`, [orderId])).map(toEvent);
    },

    async addMoneyLine(orderId, kind, amountFen, ref, at): Promise<MoneyLine> {
      const [r] = await db.query(
        "insert into order_money_lines (order_id, kind, amount_fen, ref, at) values ($1, $2, $3, $4, $5) returning id, order_id, kind, amount_fen, ref, at",
        [orderId, kind, amountFen, ref, at],
      );
      return { ...camelRow<MoneyLine>(r!), id: Number(r!.id) };
    },

    async addDelivery(orderId, d) {
      await db.query("insert into order_deliveries (order_id, summary, created_by, created_at) values ($1, $2, $3, $4)", [orderId, d.summary, d.by, d.at]);
      for (const [i, fileId] of d.fileIds.entries()) {
        await db.query("insert into order_delivery_files (order_id, file_id, position) values ($1, $2, $3)", [orderId, fileId, i + 1]);
      }
    },

    async delivery(orderId) {
      if (!UUID.test(orderId)) return undefined;
      const [r] = await db.query(`${DELIVERY_SELECT} where d.order_id = $1`, [orderId]);
      return r ? toDelivery(r) : undefined;
    },

    async addReview(r) {
      await db.query(
        `insert into order_reviews (order_id, product_id, provider_id, enterprise_id, quality, timeliness, attitude, comment, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [r.orderId, r.productId, r.providerId, r.enterpriseId, r.quality, r.timeliness, r.attitude, r.comment, r.createdAt],
      );
    },

    async review(orderId) {
      if (!UUID.test(orderId)) return undefined;
      const [r] = await db.query(`select ${REVIEW_COLUMNS} from order_reviews where order_id = $1`, [orderId]);
      return r ? camelRow<OrderReview>(r) : undefined;
    },

    async replyToReview(orderId, reply, by, at) {
      const rows = await db.query(
        "update order_reviews set reply = $2, replied_by = $3, replied_at = $4 where order_id = $1 and reply is null returning order_id",
        [orderId, reply, by, at],
      );
      return rows.length === 1;
    },

    async hideReview(orderId, reason, by, at) {
      const rows = await db.query(
        "update order_reviews set hidden_reason = $2, hidden_by = $3, hidden_at = $4 where order_id = $1 and hidden_at is null returning order_id",
        [orderId, reason, by, at],
      );
      return rows.length === 1;
    },

    async ratings(scope, latest) {
      const [column, id] = "productId" in scope ? ["product_id", scope.productId] : ["provider_id", scope.providerId];
      if (!UUID.test(id)) return { count: 0, quality: 0, timeliness: 0, attitude: 0, overall: 0, latest: [] };
      // The overall average is rounded as the products module rounds the listing's rating_tenths (0028).
      const [agg] = await db.query<{ n: number; q: string | null; t: string | null; a: string | null; o: string | null }>(
        `select count(*)::int as n, round(avg(quality), 1)::text as q, round(avg(timeliness), 1)::text as t, round(avg(attitude), 1)::text as a,
                round(sum(quality + timeliness + attitude) * 10.0 / nullif(3 * count(*), 0))::text as o
           from order_reviews where ${column} = $1`,
        [id],
      );
      const rows = await db.query(
        `select r.order_id, r.product_id, o.snapshot->>'title' as title, r.quality, r.timeliness, r.attitude,
                case when r.hidden_at is null then r.comment else '' end as comment,
                case when r.hidden_at is null then r.reply end as reply,
                r.hidden_at is not null as hidden, r.created_at
           from order_reviews r join orders o on o.id = r.order_id
          where r.${column} = $1 order by r.created_at desc, r.order_id limit $2`,
        [id, latest],
      );
      return {
        count: agg!.n,
        quality: Number(agg!.q ?? 0),
        timeliness: Number(agg!.t ?? 0),
        attitude: Number(agg!.a ?? 0),
        overall: Number(agg!.o ?? 0) / 10,
        latest: rows.map((r) => camelRow<PublicReview>(r)),
      };
    },

    async channelLines(q) {
      const rows = await db.query(
        `select id, order_id, kind, amount_fen, ref, at from order_money_lines
         where kind in ('deposit_paid', 'balance_paid', 'refund') and (ref = any($1::text[]) or (at >= $2 and at < $3)) order by id`,
        [pgArray(q.refs), q.from ?? null, q.to ?? null],
      );
      return rows.map((r) => ({ ...camelRow<MoneyLine>(r), id: Number(r.id), amountFen: Number(r.amount_fen) }));
    },

    async moneyLines(orderId: string): Promise<MoneyLine[]> {
      if (!UUID.test(orderId)) return [];
      const rows = await db.query(`select ${MONEY_LINE_COLUMNS} from order_money_lines where order_id = $1 order by id`, [orderId]);
      return rows.map(toMoneyLine);
    },

    async list(party, statuses, limit, offset): Promise<{ rows: OrderSummary[]; total: number }> {
      const w = statusWhere(party, statuses);
      const [rows, [c]] = await Promise.all([
        repo.listRows(party, statuses, limit, offset),
        db.query<{ n: number }>(`select count(*)::int as n from orders where ${w.sql}`, w.params),
      ]);
      return { rows, total: c!.n };
    },

    async listRows(party, statuses, limit, offset): Promise<OrderSummary[]> {
      const w = statusWhere(party, statuses);
      const rows = await db.query(
        `select ${SUMMARY_COLUMNS} from orders where ${w.sql} order by created_at desc, id desc limit $${w.params.length + 1} offset $${w.params.length + 2}`,
        [...w.params, limit, offset],
      );
      return rows.map((r) => camelRow<OrderSummary>(r));
    },

    async countByStatus(party): Promise<Partial<Record<OrderStatus, number>>> {
      const w = partyWhere(party);
      const rows = await db.query<{ status: OrderStatus; n: number }>(
        `select status, count(*)::int as n from orders where ${w.sql} group by status`,
        w.params,
      );
      return Object.fromEntries(rows.map((r) => [r.status, r.n]));
    },

    async contractVersions(orderId: string): Promise<StoredContractVersion[]> {
      if (!UUID.test(orderId)) return [];
      const rows = await db.query(`select ${VERSION_COLUMNS} from contract_versions where order_id = $1 order by version`, [orderId]);
      return rows.map(toVersion);
    },

    async createVersion(orderId: string, version: number, content: ContractContent, at: Date): Promise<void> {
      if (version === 1) await db.query("insert into contracts (order_id, created_at, updated_at) values ($1, $2, $2)", [orderId, at]);
      else await db.query("update contracts set updated_at = $2 where order_id = $1", [orderId, at]);
      await db.query(
        "insert into contract_versions (order_id, version, content, status, created_at, updated_at) values ($1, $2, $3::text::jsonb, 'draft', $4, $4)",
        [orderId, version, JSON.stringify(content), at],
      );
    },

    async updateDraft(orderId: string, version: number, content: ContractContent, at: Date): Promise<boolean> {
      const rows = await db.query(
        `update contract_versions set content = $3::text::jsonb, updated_at = $4
         where order_id = $1 and version = $2 and status = 'draft' returning version`,
        [orderId, version, JSON.stringify(content), at],
      );
      return rows.length === 1;
    },

    async setVersionStatus(orderId, version, from, to, at, extra = {}): Promise<boolean> {
      const rows = await db.query(
        `update contract_versions set status = $4, updated_at = $5,
           submitted_at = case when $4 = 'submitted' then $5 else submitted_at end,
           decided_at = case when $4 in ('returned', 'agreed') then $5 else decided_at end,
           return_reason = coalesce($6, return_reason), sha256 = coalesce($7, sha256)
         where order_id = $1 and version = $2 and status = $3 returning version`,
        [orderId, version, from, to, at, extra.returnReason ?? null, extra.sha256 ?? null],
      );
      return rows.length === 1;
    },

    async inStatusSince(status, before, afterId, limit) {
      // On the status index; keyset on (updated_at, id), the cursor's values read back from its row.
      const after = afterId && UUID.test(afterId) ? afterId : null;
      const rows = await db.query<{ id: string; number: string; enterprise_id: string; provider_id: string; updated_at: Date }>(
        `select id, number, enterprise_id, provider_id, updated_at from orders
         where status = $1 and updated_at < $2
           and ($3::uuid is null or (updated_at, id) > (select o.updated_at, o.id from orders o where o.id = $3::uuid))
         order by updated_at, id
         limit $4`,
        [status, before, after, limit],
      );
      return rows.map((r) => ({ id: r.id, number: r.number, enterpriseId: r.enterprise_id, providerId: r.provider_id, since: new Date(r.updated_at) }));
    },

    async unacceptedBefore(cutoff: Date, afterId: string | null, limit: number): Promise<string[]> {
      // On the (status, created_at) index. The cursor's created_at is read back from its row, so the
      // page boundary is exact whatever the precision of the timestamps.
      const after = afterId && UUID.test(afterId) ? afterId : null;
      const rows = await db.query<{ id: string }>(
        `select id from orders
         where status = 'pending_acceptance' and created_at < $1
           and ($2::uuid is null or (created_at, id) > (select o.created_at, o.id from orders o where o.id = $2::uuid))
         order by created_at, id
         limit $3`,
        [cutoff, after, limit],
      );
      return rows.map((r) => r.id);
    },
  };
  return repo;
}
