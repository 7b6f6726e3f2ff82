import type { Db } from "../../ports/db.ts";
import { camelRow, pgArray } from "../../lib/rows.ts";
import type { LedgerKind, Programme } from "./domain.ts";
import type {
  AllocationRun,
  LedgerEntry,
  LedgerRepository,
  ProgrammeRepository,
  QuotaApplication,
  QuotaQueueRow,
  QuotaRepository,
  VoucherAccount,
} from "./ports.ts";

type Row = Record<string, unknown>;
const day = (v: unknown) => (v instanceof Date ? v.toISOString().slice(0, 10) : String(v).slice(0, 10));

const PROGRAMME_COLUMNS = `id, year, kind, name, description, subsidy_rate_bp, per_order_cap_fen, quota_large_fen, quota_medium_fen,
  quota_small_fen, quota_micro_fen, special_min_fen, special_max_fen, requires_documents, apply_from::text as apply_from,
  apply_to::text as apply_to, valid_from::text as valid_from, valid_to::text as valid_to, categories, status, is_example`;

function toProgramme(r: Row): Programme {
  return {
    id: r.id as string,
    year: r.year as number,
    kind: r.kind as Programme["kind"],
    name: r.name as string,
    description: r.description as string,
    subsidyRateBp: r.subsidy_rate_bp as number,
    perOrderCapFen: r.per_order_cap_fen as number,
    quotaBySize: {
      large: r.quota_large_fen as number,
      medium: r.quota_medium_fen as number,
      small: r.quota_small_fen as number,
      micro: r.quota_micro_fen as number,
    },
    specialMinFen: r.special_min_fen as number,
    specialMaxFen: r.special_max_fen as number,
    requiresDocuments: r.requires_documents as boolean,
    applyFrom: day(r.apply_from),
    applyTo: day(r.apply_to),
    validFrom: day(r.valid_from),
    validTo: day(r.valid_to),
    categories: (r.categories as string[]) ?? [],
    status: r.status as Programme["status"],
    isExample: r.is_example as boolean,
  };
}

const programmeParams = (p: Omit<Programme, "id">) => [
  p.year,
  p.kind,
  p.name,
  p.description,
  p.subsidyRateBp,
  p.perOrderCapFen,
  p.quotaBySize.large,
  p.quotaBySize.medium,
  p.quotaBySize.small,
  p.quotaBySize.micro,
  p.specialMinFen,
  p.specialMaxFen,
  p.requiresDocuments,
  p.applyFrom,
  p.applyTo,
  p.validFrom,
  p.validTo,
  pgArray(p.categories),
  p.status,
  p.isExample,
];

export function pgProgrammes(db: Db): ProgrammeRepository {
  return {
    async list(filter) {
      const rows = filter?.status
        ? await db.query(`select ${PROGRAMME_COLUMNS} from voucher_programmes where status = any($1::text[]) order by year desc, kind, name`, [
            pgArray(filter.status),
          ])
        : await db.query(`select ${PROGRAMME_COLUMNS} from voucher_programmes order by year desc, kind, name`);
      return rows.map(toProgramme);
    },
    async byId(id) {
      if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
      const [row] = await db.query(`select ${PROGRAMME_COLUMNS} from voucher_programmes where id = $1`, [id]);
      return row && toProgramme(row);
    },
    async byIds(ids) {
      const valid = ids.filter((id) => /^[0-9a-f-]{36}$/i.test(id));
      if (!valid.length) return [];
      const rows = await db.query(`select ${PROGRAMME_COLUMNS} from voucher_programmes where id = any($1::uuid[])`, [pgArray(valid)]);
      return rows.map(toProgramme);
    },
    async ofAccount(voucherAccountId, enterpriseId) {
      if (!/^[0-9a-f-]{36}$/i.test(voucherAccountId) || !/^[0-9a-f-]{36}$/i.test(enterpriseId)) return undefined;
      const [row] = await db.query(
        `select ${PROGRAMME_COLUMNS} from voucher_programmes
          where id = (select programme_id from voucher_accounts where id = $1 and enterprise_id = $2)`,
        [voucherAccountId, enterpriseId],
      );
      return row && toProgramme(row);
    },
    async insert(p) {
      const [row] = await db.query(
        `insert into voucher_programmes (year, kind, name, description, subsidy_rate_bp, per_order_cap_fen, quota_large_fen, quota_medium_fen,
           quota_small_fen, quota_micro_fen, special_min_fen, special_max_fen, requires_documents, apply_from, apply_to, valid_from, valid_to,
           categories, status, is_example)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::date, $15::date, $16::date, $17::date, $18::text[], $19, $20)
         returning ${PROGRAMME_COLUMNS}`,
        programmeParams(p),
      );
      return toProgramme(row!);
    },
    async update(id, p) {
      await db.query(
        `update voucher_programmes set year = $2, kind = $3, name = $4, description = $5, subsidy_rate_bp = $6, per_order_cap_fen = $7,
           quota_large_fen = $8, quota_medium_fen = $9, quota_small_fen = $10, quota_micro_fen = $11, special_min_fen = $12,
           special_max_fen = $13, requires_documents = $14, apply_from = $15::date, apply_to = $16::date, valid_from = $17::date,
           valid_to = $18::date, categories = $19::text[], status = $20, is_example = $21, updated_at = now()
         where id = $1`,
        [id, ...programmeParams(p)],
      );
    },
  };
}

const APP_COLUMNS = `a.id, a.programme_id, a.enterprise_id, a.source, a.requested_fen, a.approved_fen, a.document_file_ids, a.status,
  a.submitted_at, a.decided_at, a.decided_by, a.decision_reason`;
const toApp = (r: Row) => {
  const a = camelRow<QuotaApplication>(r);
  a.documentFileIds = (r.document_file_ids as string[]) ?? [];
  return a;
};

export function pgQuota(db: Db): QuotaRepository {
  return {
    async insert(a) {
      const [row] = await db.query(
        `insert into quota_applications as a (programme_id, enterprise_id, requested_fen, document_file_ids)
         values ($1, $2, $3, $4::uuid[]) returning ${APP_COLUMNS}`,
        [a.programmeId, a.enterpriseId, a.requestedFen, pgArray(a.documentFileIds)],
      );
      return toApp(row!);
    },
    async byId(id, forUpdate = false) {
      if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
      const [row] = await db.query(`select ${APP_COLUMNS} from quota_applications a where a.id = $1${forUpdate ? " for update" : ""}`, [id]);
      return row && toApp(row);
    },
    async latestByEnterprise(enterpriseId) {
      const rows = await db.query(
        `select distinct on (a.programme_id) ${APP_COLUMNS} from quota_applications a
          where a.enterprise_id = $1 order by a.programme_id, a.submitted_at desc, a.id desc`,
        [enterpriseId],
      );
      return rows.map(toApp);
    },
    async decide(id, v) {
      await db.query(
        `update quota_applications set status = $2, approved_fen = $3, decided_by = $4, decision_reason = $5, decided_at = $6
          where id = $1 and status = 'pending'`,
        [id, v.status, v.approvedFen, v.adminId, v.reason, v.at],
      );
    },
    async queue(f, limit, offset) {
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (sql: string, v: unknown) => {
        params.push(v);
        where.push(sql.replace("?", `$${params.length}`));
      };
      if (f.status) add("a.status = ?", f.status);
      if (f.programmeId) add("a.programme_id = ?", f.programmeId);
      if (f.source) add("a.source = ?", f.source);
      if (f.keyword) add("d.name ilike ?", `%${f.keyword.replace(/[\\%_]/g, (m) => `\\${m}`)}%`);
      const w = where.length ? `where ${where.join(" and ")}` : "";
      const from = `from quota_applications a join voucher_programmes p on p.id = a.programme_id join enterprise_directory d on d.id = a.enterprise_id ${w}`;
      const rows = await db.query(
        `select ${APP_COLUMNS}, p.name as programme_name, d.name as enterprise_name, d.size_class, d.city_code ${from}
          order by a.submitted_at desc, a.id desc limit $${params.length + 1} offset $${params.length + 2}`,
        [...params, limit, offset],
      );
      const [count] = await db.query<{ n: number }>(`select count(*)::int as n ${from}`, params);
      return {
        rows: rows.map(
          (r) =>
            ({
              ...toApp(r),
              programmeName: r.programme_name,
              enterpriseName: r.enterprise_name,
              sizeClass: r.size_class,
              cityCode: r.city_code,
            }) as QuotaQueueRow,
        ),
        total: count!.n,
      };
    },
    async lockAllocation(programmeId) {
      await db.query("select pg_advisory_xact_lock(hashtext($1))", [`allocation:${programmeId}`]);
    },
    async allocate(programmeId, runId) {
      const [row] = await db.query<{ eligible: number; created: number }>(
        // "existing" is read once, before any insert: an anti-join probing quota_applications row by
        // row would rescan the pages this statement is filling and turn quadratic.
        `with p as (select * from voucher_programmes where id = $1),
         existing as materialized (select enterprise_id from quota_applications where programme_id = $1),
         eligible as (
           select d.id, case d.size_class when 'large' then p.quota_large_fen when 'medium' then p.quota_medium_fen
                                          when 'small' then p.quota_small_fen else p.quota_micro_fen end as amount
             from enterprise_directory d, p
            where d.certification_status = 'certified' and d.size_class is not null
         ),
         ins as (
           insert into quota_applications (programme_id, enterprise_id, source, requested_fen, allocation_run_id)
           select $1, e.id, 'allocation', e.amount, $2::uuid from eligible e
            where e.amount > 0
              and not exists (select 1 from existing x where x.enterprise_id = e.id)
           on conflict do nothing
           returning 1
         )
         select (select count(*) from eligible)::int as eligible, (select count(*) from ins)::int as created`,
        [programmeId, runId],
      );
      return row!;
    },
    async startRun(programmeId, adminId) {
      const [row] = await db.query<{ id: string }>("insert into allocation_runs (programme_id, started_by) values ($1, $2) returning id", [
        programmeId,
        adminId,
      ]);
      return row!.id;
    },
    async finishRun(runId, v) {
      await db.query(
        "update allocation_runs set finished_at = now(), eligible_count = $2::int, created_count = $3::int, skipped_count = $2::int - $3::int, status = $4 where id = $1",
        [runId, v.eligible, v.created, v.status],
      );
    },
    async runs(programmeId) {
      const rows = await db.query(
        "select id, started_at, finished_at, eligible_count, created_count, skipped_count, status from allocation_runs where programme_id = $1 order by started_at desc limit 20",
        [programmeId],
      );
      return rows.map((r) => camelRow<AllocationRun>(r));
    },
  };
}

const emptySums = (): Record<LedgerKind, number> => ({ grant: 0, reserve: 0, release: 0, consume: 0, refund: 0, expire: 0, settle: 0, recall: 0 });

const ACCOUNT_COLUMNS =
  "id, programme_id, enterprise_id, application_id, granted_fen, reserved_fen, consumed_fen, expired_fen, settled_fen, recalled_fen, created_at";
const DELTAS: Record<LedgerKind, string> = {
  grant: "granted_fen = granted_fen + $2",
  reserve: "reserved_fen = reserved_fen + $2",
  release: "reserved_fen = reserved_fen - $2",
  consume: "reserved_fen = reserved_fen - $2, consumed_fen = consumed_fen + $2",
  refund: "consumed_fen = consumed_fen - $2",
  expire: "expired_fen = expired_fen + $2",
  settle: "settled_fen = settled_fen + $2",
  recall: "recalled_fen = recalled_fen + $2",
};

export function pgLedger(db: Db): LedgerRepository {
  const repo: LedgerRepository = {
    async grantedTotals() {
      const [r] = await db.query<{ accounts: number; enterprises: number; granted: string | number }>(
        "select count(*)::int as accounts, count(distinct enterprise_id)::int as enterprises, coalesce(sum(granted_fen), 0)::bigint as granted from voucher_accounts",
      );
      return { accounts: r!.accounts, enterprises: r!.enterprises, grantedFen: Number(r!.granted) };
    },
    async openAccount(a) {
      const [row] = await db.query(
        `insert into voucher_accounts (programme_id, enterprise_id, application_id) values ($1, $2, $3) returning ${ACCOUNT_COLUMNS}`,
        [a.programmeId, a.enterpriseId, a.applicationId],
      );
      const account = camelRow<VoucherAccount>(row!);
      await repo.append(account.id, "grant", a.grantFen, null);
      return { ...account, grantedFen: a.grantFen };
    },
    async account(id, forUpdate = false) {
      if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
      const [row] = await db.query(`select ${ACCOUNT_COLUMNS} from voucher_accounts where id = $1${forUpdate ? " for update" : ""}`, [id]);
      return row && camelRow<VoucherAccount>(row);
    },
    async accountsOf(enterpriseId) {
      const rows = await db.query(`select ${ACCOUNT_COLUMNS} from voucher_accounts where enterprise_id = $1 order by created_at desc`, [enterpriseId]);
      return rows.map((r) => camelRow<VoucherAccount>(r));
    },
    async entry(accountId, kind, orderId, ref = "") {
      const [row] = await db.query(
        "select id, account_id, kind, amount_fen, order_id, ref, created_at from voucher_ledger where account_id = $1 and kind = $2 and order_id = $3 and ref = $4",
        [accountId, kind, orderId, ref],
      );
      return row && camelRow<LedgerEntry>(row);
    },
    async orderSums(accountId, orderId) {
      const rows = await db.query<{ kind: LedgerKind; total: number }>(
        "select kind, sum(amount_fen)::bigint as total from voucher_ledger where account_id = $1 and order_id = $2 group by kind",
        [accountId, orderId],
      );
      const out = emptySums();
      for (const r of rows) out[r.kind] = Number(r.total);
      return out;
    },
    async append(accountId, kind, amountFen, orderId, ref = "") {
      const [row] = await db.query(
        "insert into voucher_ledger (account_id, kind, amount_fen, order_id, ref) values ($1, $2, $3, $4, $5) returning id, account_id, kind, amount_fen, order_id, ref, created_at",
        [accountId, kind, amountFen, orderId, ref],
      );
      await db.query(`update voucher_accounts set ${DELTAS[kind]} where id = $1`, [accountId, amountFen]);
      return camelRow<LedgerEntry>(row!);
    },
    async entries(accountId, limit) {
      const rows = await db.query(
        `select id, account_id, kind, amount_fen, order_id, ref, created_at from voucher_ledger where account_id = $1 order by id desc limit $2`,
        [accountId, limit],
      );
      return rows.map((r) => camelRow<LedgerEntry>(r));
    },
    async latestEntries(accountIds, limit) {
      const out = new Map<string, LedgerEntry[]>(accountIds.map((id) => [id, []]));
      const valid = accountIds.filter((id) => /^[0-9a-f-]{36}$/i.test(id));
      if (!valid.length) return out;
      // One index range scan per account (voucher_ledger's account_id, id index), not every entry of each.
      const rows = await db.query(
        `select e.id, e.account_id, e.kind, e.amount_fen, e.order_id, e.ref, e.created_at
           from unnest($1::uuid[]) as a(id)
           cross join lateral (
             select id, account_id, kind, amount_fen, order_id, ref, created_at from voucher_ledger
              where account_id = a.id order by id desc limit $2
           ) e
          order by e.account_id, e.id desc`,
        [pgArray(valid), limit],
      );
      for (const r of rows) {
        const entry = camelRow<LedgerEntry>(r);
        out.get(entry.accountId)?.push(entry);
      }
      return out;
    },
    async dueForExpiry(today) {
      const rows = await db.query<{ id: string }>(
        `select a.id from voucher_accounts a join voucher_programmes p on p.id = a.programme_id
          where p.valid_to < $1::date and a.granted_fen - a.reserved_fen - a.consumed_fen - a.expired_fen - a.recalled_fen > 0`,
        [today],
      );
      return rows.map((r) => r.id);
    },
    async accountEntry(accountId, kind) {
      const [row] = await db.query(
        "select id, account_id, kind, amount_fen, order_id, ref, created_at from voucher_ledger where account_id = $1 and kind = $2 and order_id is null order by id limit 1",
        [accountId, kind],
      );
      return row && camelRow<LedgerEntry>(row);
    },
    async approvedAt(accountId) {
      const [row] = await db.query<{ decided_at: Date | null }>(
        "select q.decided_at from voucher_accounts a join quota_applications q on q.id = a.application_id where a.id = $1",
        [accountId],
      );
      return row?.decided_at ? new Date(row.decided_at) : undefined;
    },
    async recallCandidates(approvedBefore, today, after, limit) {
      const rows = await db.query<{ id: string }>(
        `select a.id from voucher_accounts a
           join quota_applications q on q.id = a.application_id
           join voucher_programmes p on p.id = a.programme_id
          where q.decided_at < $1 and p.valid_to >= $2::date
            and a.reserved_fen = 0 and a.consumed_fen = 0
            and a.granted_fen - a.expired_fen - a.recalled_fen > 0
            and ($3::uuid is null or a.id > $3::uuid)
          order by a.id limit $4`,
        [approvedBefore, today, after, limit],
      );
      return rows.map((r) => r.id);
    },
    async usageCandidates(from, to, belowBp, after, limit) {
      const rows = await db.query<{
        id: string;
        enterprise_id: string;
        name: string;
        valid_to: string;
        granted_fen: number | string;
        consumed_fen: number | string;
      }>(
        `select a.id, a.enterprise_id, p.name, p.valid_to::text as valid_to, a.granted_fen, a.consumed_fen
           from voucher_accounts a join voucher_programmes p on p.id = a.programme_id
          where p.valid_to between $1::date and $2::date
            and a.consumed_fen * 10000 < a.granted_fen * $3
            and a.granted_fen - a.reserved_fen - a.consumed_fen - a.expired_fen - a.recalled_fen > 0
            and ($4::uuid is null or a.id > $4::uuid)
          order by a.id limit $5`,
        [from, to, belowBp, after, limit],
      );
      return rows.map((r) => ({
        accountId: r.id,
        enterpriseId: r.enterprise_id,
        programmeName: r.name,
        validTo: r.valid_to,
        grantedFen: Number(r.granted_fen),
        consumedFen: Number(r.consumed_fen),
      }));
    },
    async sums(accountId) {
      const rows = await db.query<{ kind: LedgerKind; total: number }>(
        "select kind, sum(amount_fen)::bigint as total from voucher_ledger where account_id = $1 group by kind",
        [accountId],
      );
      const out = emptySums();
      for (const r of rows) out[r.kind] = Number(r.total);
      return out;
    },
  };
  return repo;
}
