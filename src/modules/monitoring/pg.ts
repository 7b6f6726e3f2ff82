import { camelRow, pgArray } from "../../lib/rows.ts";
import type { Db } from "../../ports/db.ts";
import type { Party } from "./domain.ts";
import type { MonitoringRepository, Suspension, SuspensionRow } from "./ports.ts";

const COLUMNS = "id, party_kind, party_id, reason, suspended_by, suspended_at, resumed_by, resumed_at, resume_reason";
/** A name fragment as an ILIKE pattern that matches it literally anywhere. */
const contains = (s: string) => `%${s.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
const idsOf = (parties: Party[], kind: Party["kind"]) => pgArray(parties.filter((p) => p.kind === kind).map((p) => p.id));

export function pgMonitoring(db: Db): MonitoringRepository {
  return {
    async claimReminders(claims, at) {
      if (!claims.length) return [];
      const rows = await db.query<{ account_id: string }>(
        `insert into usage_reminders (account_id, valid_to, enterprise_id, usage_bp, sent_at)
         select c.account_id, c.valid_to, c.enterprise_id, c.usage_bp, $5
           from unnest($1::uuid[], $2::date[], $3::uuid[], $4::int[]) as c(account_id, valid_to, enterprise_id, usage_bp)
         on conflict (account_id, valid_to) do nothing
         returning account_id`,
        [
          pgArray(claims.map((c) => c.accountId)),
          pgArray(claims.map((c) => c.validTo)),
          pgArray(claims.map((c) => c.enterpriseId)),
          `{${claims.map((c) => Math.trunc(c.usageBp)).join(",")}}`,
          at,
        ],
      );
      return rows.map((r) => r.account_id);
    },
    async reminded(accountId, validTo) {
      const rows = await db.query("select 1 from usage_reminders where account_id = $1 and valid_to = $2::date", [accountId, validTo]);
      return rows.length > 0;
    },
    async live(parties) {
      if (!parties.length) return [];
      const rows = await db.query(
        `select ${COLUMNS} from party_suspensions
          where resumed_at is null
            and ((party_kind = 'enterprise' and party_id = any($1::uuid[])) or (party_kind = 'provider' and party_id = any($2::uuid[])))`,
        [idsOf(parties, "enterprise"), idsOf(parties, "provider")],
      );
      return rows.map((r) => camelRow<Suspension>(r));
    },
    async insert(s) {
      const [row] = await db.query(
        `insert into party_suspensions (party_kind, party_id, reason, suspended_by, suspended_at) values ($1, $2, $3, $4, $5) returning ${COLUMNS}`,
        [s.party.kind, s.party.id, s.reason, s.by, s.at],
      );
      return camelRow<Suspension>(row!);
    },
    async end(party, v) {
      const [row] = await db.query(
        `update party_suspensions set resumed_by = $3, resumed_at = $4, resume_reason = $5
          where party_kind = $1 and party_id = $2 and resumed_at is null returning ${COLUMNS}`,
        [party.kind, party.id, v.by, v.at, v.reason],
      );
      return row && camelRow<Suspension>(row);
    },
    async history(party) {
      const rows = await db.query(`select ${COLUMNS} from party_suspensions where party_kind = $1 and party_id = $2 order by suspended_at desc, id desc`, [
        party.kind,
        party.id,
      ]);
      return rows.map((r) => camelRow<Suspension>(r));
    },
    async list(liveOnly, limit, offset) {
      const where = liveOnly ? "where s.resumed_at is null" : "";
      const [rows, [c]] = await Promise.all([
        db.query(
          `select s.${COLUMNS.split(", ").join(", s.")}, coalesce(e.name, p.name) as party_name
             from party_suspensions s
             left join enterprise_directory e on s.party_kind = 'enterprise' and e.id = s.party_id
             left join provider_directory p on s.party_kind = 'provider' and p.id = s.party_id
             ${where} order by s.suspended_at desc, s.id desc limit $1 offset $2`,
          [limit, offset],
        ),
        db.query<{ n: number }>(`select count(*)::int as n from party_suspensions s ${where}`),
      ]);
      return { rows: rows.map((r) => camelRow<SuspensionRow>(r)), total: c!.n };
    },
    async findParties(keyword, limit) {
      const pattern = contains(keyword);
      const [enterprises, providers] = await Promise.all([
        db.query<{ id: string; name: string }>("select id, name from enterprise_directory where name ilike $1 order by name, id limit $2", [
          pattern,
          limit,
        ]),
        db.query<{ id: string; name: string }>("select id, name from provider_directory where name ilike $1 order by name, id limit $2", [pattern, limit]),
      ]);
      return [
        ...enterprises.map((r) => ({ kind: "enterprise" as const, id: r.id, name: r.name })),
        ...providers.map((r) => ({ kind: "provider" as const, id: r.id, name: r.name })),
      ];
    },
  };
}
