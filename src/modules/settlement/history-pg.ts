import type { Db } from "../../ports/db.ts";
import type { SettlementHistoryRepository } from "./history-ports.ts";

/**
 * The demo's history of 兑付: applications numbered from the sequence in the order they were
 * submitted, their orders, documents, timelines, payout batches and the providers' yearly approved
 * totals. Demo sized (a few dozen applications): one statement per application and table.
 */
export function pgSettlementHistory(db: Db): SettlementHistoryRepository {
  return {
    async insert(rows, batches) {
      const batchIds = new Map<string, { id: string; count: number; total: number }>();
      for (const b of batches) {
        const members = rows.filter((r) => r.batch === b.key);
        if (!members.length) continue;
        const total = members.reduce((n, r) => n + r.amountFen, 0);
        const [row] = await db.query<{ id: string }>(
          `insert into payout_batches (number, created_by, created_at, settlement_count, total_fen, paid_count)
           values ('PC' || to_char($2::timestamptz at time zone 'Asia/Shanghai', 'YYYYMMDD') || lpad(nextval('settlement_number_seq')::text, 6, '0'), $1, $2, $3, $4, $3)
           returning id`,
          [b.createdBy, b.at, members.length, total],
        );
        batchIds.set(b.key, { id: row!.id, count: members.length, total });
      }
      for (const r of [...rows].sort((a, b) => a.submittedAt.localeCompare(b.submittedAt))) {
        const last = r.events.at(-1);
        const paid = r.status === "paid";
        const [s] = await db.query<{ id: string; number: string }>(
          `insert into settlements (number, provider_id, status, amount_fen, general_fen, contract_fen, invoice_amount_fen, invoice_file_id,
             acceptance_file_id, service_year, payee_name, payee_bank, payee_last4, payee_fingerprint, publicity_until, paused_remaining_ms,
             decided_by, decided_at, reason, spot_check_note, batch_id, paid_at, payout_attempts, submitted_at, updated_at, version, order_count)
           values ('DF' || to_char($20::timestamptz at time zone 'Asia/Shanghai', 'YYYYMMDD') || lpad(nextval('settlement_number_seq')::text, 6, '0'),
                   $1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $21, $22, $20, $23, $24, $25)
           returning id, number`,
          [
            r.providerId,
            r.status,
            r.amountFen,
            r.generalFen,
            r.contractFen,
            r.invoiceFileId,
            r.acceptanceFileId,
            r.serviceYear,
            r.payee?.name ?? null,
            r.payee?.bank ?? null,
            r.payee?.last4 ?? null,
            r.payee?.fingerprint ?? null,
            r.publicityUntil,
            r.pausedRemainingMs,
            r.decidedBy,
            r.decidedAt,
            r.reason,
            r.spotCheckNote,
            r.batch ? batchIds.get(r.batch)!.id : null,
            r.submittedAt,
            r.paidAt,
            paid ? 1 : 0,
            last?.at ?? r.submittedAt,
            1 + r.events.length,
            r.orders.length,
          ],
        );
        if (paid) await db.query("update settlements set payout_no = 'S' || substr(number, 3) || 'P1' where id = $1", [s!.id]);
        await db.query(
          `insert into settlement_orders (settlement_id, order_id, order_number, enterprise_id, voucher_account_id, programme_id, programme_name,
             programme_kind, voucher_fen, contract_fen)
           select $1, o.id, o.number, x.e, x.a, x.p, x.pn, x.pk, x.v, x.c
             from jsonb_to_recordset($2::text::jsonb) as x(o uuid, e uuid, a uuid, p uuid, pn text, pk text, v bigint, c bigint)
             join order_directory o on o.id = x.o`,
          [
            s!.id,
            JSON.stringify(
              r.orders.map((o) => ({
                o: o.orderId,
                e: o.enterpriseId,
                a: o.voucherAccountId,
                p: o.programmeId,
                pn: o.programmeName,
                pk: o.programmeKind,
                v: o.voucherFen,
                c: o.contractFen,
              })),
            ),
          ],
        );
        await db.query(
          "insert into settlement_files (settlement_id, file_id, kind, revision, created_at) values ($1, $2, 'invoice', 1, $4), ($1, $3, 'acceptance', 1, $4)",
          [s!.id, r.invoiceFileId, r.acceptanceFileId, r.submittedAt],
        );
        const events = [{ t: r.submittedAt, a: "provider", i: null, ac: "apply", f: null, s: "pending", r: null }].concat(
          r.events.map((e) => ({ t: e.at, a: e.actorType, i: e.actorId, ac: e.action, f: e.from, s: e.to, r: e.reason ?? null }) as never),
        );
        await db.query(
          `insert into settlement_events (settlement_id, at, actor_type, actor_id, action, from_status, to_status, reason)
           select $1, t, a, i, ac, f, s, r from jsonb_to_recordset($2::text::jsonb) as x(t timestamptz, a text, i text, ac text, f text, s text, r text)`,
          [s!.id, JSON.stringify(events)],
        );
        if (r.generalFen > 0 && ["publicising", "paused", "awaiting_payout", "paying", "paid"].includes(r.status)) {
          await db.query(
            `insert into settlement_year_totals (provider_id, service_year, approved_fen) values ($1, $2, $3)
             on conflict (provider_id, service_year) do update set approved_fen = settlement_year_totals.approved_fen + excluded.approved_fen`,
            [r.providerId, r.serviceYear, r.generalFen],
          );
        }
      }
    },
  };
}
