import type { Db } from "../../ports/db.ts";
import type { SettlementHistoryRepository } from "./history-ports.ts";

/**
 * The demo's history of 兑付: applications numbered from the sequence in the order they were
 * submitted (after the payout batches, in their order), their orders, documents, timelines, payout
 * batches and the providers' yearly approved totals. Set-based: one statement per table, the rows
 * as JSON; ids are made here so that the rows of the other tables can name them.
 */
export function pgSettlementHistory(db: Db): SettlementHistoryRepository {
  return {
    async insert(rows, batches) {
      if (!rows.length) return;
      const json = (x: unknown) => JSON.stringify(x);
      const batchIds = new Map<string, string>();
      const batchRows = batches.flatMap((b) => {
        const members = rows.filter((r) => r.batch === b.key);
        if (!members.length) return [];
        const id = crypto.randomUUID();
        batchIds.set(b.key, id);
        return [{ id, by: b.createdBy, at: b.at, n: members.length, t: members.reduce((n, r) => n + r.amountFen, 0) }];
      });
      // The sequence's numbers follow the ORDER BY: volatile expressions of the select list are computed after the sort.
      if (batchRows.length) {
        await db.query(
          `insert into payout_batches (id, number, created_by, created_at, settlement_count, total_fen, paid_count)
           select x.id, 'PC' || to_char(x.at at time zone 'Asia/Shanghai', 'YYYYMMDD') || lpad(nextval('settlement_number_seq')::text, 6, '0'),
                  x.by, x.at, x.n, x.t, x.n
             from jsonb_to_recordset($1::text::jsonb) as x(i int, id uuid, by uuid, at timestamptz, n int, t bigint)
            order by x.i`,
          [json(batchRows.map((b, i) => ({ i, ...b })))],
        );
      }
      const sorted = [...rows].sort((a, b) => a.submittedAt.localeCompare(b.submittedAt)).map((r) => ({ r, id: crypto.randomUUID() }));
      await db.query(
        `with x as materialized (
           select x.*, 'DF' || to_char(x.submitted_at at time zone 'Asia/Shanghai', 'YYYYMMDD') || lpad(nextval('settlement_number_seq')::text, 6, '0') as number
             from jsonb_to_recordset($1::text::jsonb) as x(i int, id uuid, provider_id uuid, status text, amount_fen bigint, general_fen bigint,
                    contract_fen bigint, invoice_file_id uuid, acceptance_file_id uuid, service_year int, payee_name text, payee_bank text,
                    payee_last4 text, payee_fingerprint text, publicity_until timestamptz, paused_remaining_ms bigint, decided_by uuid,
                    decided_at timestamptz, reason text, spot_check_note text, batch_id uuid, paid_at timestamptz, submitted_at timestamptz,
                    updated_at timestamptz, version int, order_count int)
            order by x.i
         )
         insert into settlements (id, number, provider_id, status, amount_fen, general_fen, contract_fen, invoice_amount_fen, invoice_file_id,
           acceptance_file_id, service_year, payee_name, payee_bank, payee_last4, payee_fingerprint, publicity_until, paused_remaining_ms,
           decided_by, decided_at, reason, spot_check_note, batch_id, paid_at, payout_attempts, payout_no, submitted_at, updated_at, version, order_count)
         select id, number, provider_id, status, amount_fen, general_fen, contract_fen, contract_fen, invoice_file_id,
                acceptance_file_id, service_year, payee_name, payee_bank, payee_last4, payee_fingerprint, publicity_until, paused_remaining_ms,
                decided_by, decided_at, reason, spot_check_note, batch_id, paid_at,
                case when status = 'paid' then 1 else 0 end, case when status = 'paid' then 'S' || substr(number, 3) || 'P1' end,
                submitted_at, updated_at, version, order_count
           from x order by i`,
        [
          json(
            sorted.map(({ r, id }, i) => ({
              i,
              id,
              provider_id: r.providerId,
              status: r.status,
              amount_fen: r.amountFen,
              general_fen: r.generalFen,
              contract_fen: r.contractFen,
              invoice_file_id: r.invoiceFileId,
              acceptance_file_id: r.acceptanceFileId,
              service_year: r.serviceYear,
              payee_name: r.payee?.name ?? null,
              payee_bank: r.payee?.bank ?? null,
              payee_last4: r.payee?.last4 ?? null,
              payee_fingerprint: r.payee?.fingerprint ?? null,
              publicity_until: r.publicityUntil,
              paused_remaining_ms: r.pausedRemainingMs,
              decided_by: r.decidedBy,
              decided_at: r.decidedAt,
              reason: r.reason,
              spot_check_note: r.spotCheckNote,
              batch_id: r.batch ? batchIds.get(r.batch)! : null,
              paid_at: r.paidAt,
              submitted_at: r.submittedAt,
              updated_at: r.events.at(-1)?.at ?? r.submittedAt,
              version: 1 + r.events.length,
              order_count: r.orders.length,
            })),
          ),
        ],
      );
      await db.query(
        `insert into settlement_orders (settlement_id, order_id, order_number, enterprise_id, voucher_account_id, programme_id, programme_name,
           programme_kind, voucher_fen, contract_fen)
         select x.s, o.id, o.number, x.e, x.a, x.p, x.pn, x.pk, x.v, x.c
           from jsonb_to_recordset($1::text::jsonb) as x(i int, s uuid, o uuid, e uuid, a uuid, p uuid, pn text, pk text, v bigint, c bigint)
           join order_directory o on o.id = x.o
          order by x.i`,
        [
          json(
            sorted
              .flatMap(({ r, id }) =>
                r.orders.map((o) => ({
                  s: id,
                  o: o.orderId,
                  e: o.enterpriseId,
                  a: o.voucherAccountId,
                  p: o.programmeId,
                  pn: o.programmeName,
                  pk: o.programmeKind,
                  v: o.voucherFen,
                  c: o.contractFen,
                })),
              )
              .map((x, i) => ({ i, ...x })),
          ),
        ],
      );
      await db.query(
        `insert into settlement_files (settlement_id, file_id, kind, revision, created_at)
         select x.s, x.f, x.k, 1, x.t from jsonb_to_recordset($1::text::jsonb) as x(i int, s uuid, f uuid, k text, t timestamptz) order by x.i`,
        [
          json(
            sorted
              .flatMap(({ r, id }) => [
                { s: id, f: r.invoiceFileId, k: "invoice", t: r.submittedAt },
                { s: id, f: r.acceptanceFileId, k: "acceptance", t: r.submittedAt },
              ])
              .map((x, i) => ({ i, ...x })),
          ),
        ],
      );
      // 申请兑付 first (at submittedAt), then the transitions: in the applications' order.
      await db.query(
        `insert into settlement_events (settlement_id, at, actor_type, actor_id, action, from_status, to_status, reason)
         select x.s, x.t, x.a, x.u, x.ac, x.f, x.st, x.r
           from jsonb_to_recordset($1::text::jsonb) as x(i int, s uuid, t timestamptz, a text, u text, ac text, f text, st text, r text)
          order by x.i`,
        [
          json(
            sorted
              .flatMap(({ r, id }) => [
                { s: id, t: r.submittedAt, a: "provider", u: null, ac: "apply", f: null, st: "pending", r: null },
                ...r.events.map((e) => ({ s: id, t: e.at, a: e.actorType, u: e.actorId, ac: e.action, f: e.from, st: e.to, r: e.reason ?? null })),
              ])
              .map((x, i) => ({ i, ...x })),
          ),
        ],
      );
      // The providers' yearly totals of approved 通用券 settlement.
      const totals = new Map<string, { p: string; y: number; f: number }>();
      for (const { r } of sorted) {
        if (!(r.generalFen > 0 && ["publicising", "paused", "awaiting_payout", "paying", "paid"].includes(r.status))) continue;
        const key = `${r.providerId}/${r.serviceYear}`;
        const t = totals.get(key) ?? { p: r.providerId, y: r.serviceYear, f: 0 };
        t.f += r.generalFen;
        totals.set(key, t);
      }
      if (totals.size) {
        await db.query(
          `insert into settlement_year_totals (provider_id, service_year, approved_fen)
           select x.p, x.y, x.f from jsonb_to_recordset($1::text::jsonb) as x(p uuid, y int, f bigint)
           on conflict (provider_id, service_year) do update set approved_fen = settlement_year_totals.approved_fen + excluded.approved_fen`,
          [json([...totals.values()])],
        );
      }
    },
  };
}
