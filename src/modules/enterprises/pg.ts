import { type FieldCipher, type FieldRef, UnreadableField } from "../../ports/crypto.ts";
import type { Db } from "../../ports/db.ts";
import { camelRow, pgArray } from "../../lib/rows.ts";
import { normaliseIdNumber } from "./codes.ts";
import type { CertificationStatus, Enterprise, SizeClass } from "./domain.ts";
import type {
  BankAccount,
  BankAccountRepository,
  Certification,
  CertificationRepository,
  EnterpriseRepository,
  FieldSealingRepository,
  QueueRow,
  SealedCertificationField,
} from "./ports.ts";

type EnterpriseRow = {
  id: string;
  account_id: string;
  name: string;
  certification_status: CertificationStatus;
  is_provider: boolean;
  created_at: Date;
  credit_code: string | null;
  size_class: SizeClass | null;
  city_code: string | null;
};

const ENTERPRISE_COLUMNS = "id, account_id, name, certification_status, is_provider, created_at, credit_code, size_class, city_code";

function toEnterprise(r: EnterpriseRow): Enterprise {
  return {
    id: r.id,
    accountId: r.account_id,
    name: r.name,
    certificationStatus: r.certification_status,
    isProvider: r.is_provider,
    createdAt: r.created_at,
    creditCode: r.credit_code,
    sizeClass: r.size_class,
    cityCode: r.city_code,
  };
}

export function pgEnterprises(db: Db): EnterpriseRepository {
  return {
    async countCertified() {
      const [r] = await db.query<{ n: number }>("select count(*)::int as n from enterprises where certification_status = 'certified'");
      return r!.n;
    },
    async create({ accountId, name }) {
      const [row] = await db.query<EnterpriseRow>(`insert into enterprises (account_id, name) values ($1, $2) returning ${ENTERPRISE_COLUMNS}`, [
        accountId,
        name,
      ]);
      return toEnterprise(row!);
    },
    async byAccount(accountId) {
      const [row] = await db.query<EnterpriseRow>(`select ${ENTERPRISE_COLUMNS} from enterprises where account_id = $1`, [accountId]);
      return row && toEnterprise(row);
    },
    async byId(id, forUpdate = false) {
      const [row] = await db.query<EnterpriseRow>(`select ${ENTERPRISE_COLUMNS} from enterprises where id = $1${forUpdate ? " for update" : ""}`, [id]);
      return row && toEnterprise(row);
    },
    async setStatus(id, status) {
      await db.query("update enterprises set certification_status = $2, updated_at = now() where id = $1", [id, status]);
    },
    async setProvider(id, isProvider) {
      await db.query("update enterprises set is_provider = $2, updated_at = now() where id = $1", [id, isProvider]);
    },
    async applyCertification(id, v) {
      await db.query(
        `update enterprises set name = $2, credit_code = $3, size_class = $4, city_code = $5, certified_at = $6,
           certification_status = 'certified', updated_at = now() where id = $1`,
        [id, v.name, v.creditCode, v.sizeClass, v.cityCode, v.at],
      );
    },
  };
}

// ---- sealed fields (src/ports/crypto.ts): ID numbers and account numbers never reach SQL in plaintext ----

const CERTS = "enterprise_certifications";
const BANKS = "enterprise_bank_accounts";
/** Both ID-number columns hash under one purpose, so one lookup finds a person as 法定代表人 or 经办人. */
const ID_HASH = "id_number";
const fieldRef = (table: string, column: string, owner: string): FieldRef => ({ table, column, owner });

async function sealOrNull(cipher: FieldCipher, value: string | null | undefined, ref: FieldRef): Promise<string | null> {
  return value === null || value === undefined ? null : cipher.seal(value, ref);
}
async function idHash(cipher: FieldCipher, value: string | null | undefined): Promise<string | null> {
  return value === null || value === undefined ? null : cipher.keyedHash(value, ID_HASH);
}
/** The opened value; a refused one (already logged by the cipher) calls refused() and reads as null. */
async function openOrNull(cipher: FieldCipher, sealed: unknown, ref: FieldRef, refused: () => void): Promise<string | null> {
  if (sealed === null || sealed === undefined) return null;
  try {
    return await cipher.open(String(sealed), ref);
  } catch (err) {
    if (!(err instanceof UnreadableField)) throw err;
    refused();
    return null;
  }
}

const CERT_COLUMNS = `id, enterprise_id, status, step, identity_role, enterprise_type, name, credit_code, credit_code_valid,
  credit_code_confirmed, staff_count, revenue_fen, size_proposed, size_declared, industry, city_code, district_code, address,
  legal_name, legal_id_number_enc, legal_phone, licence_file_id, agreed_at, agent_name, agent_id_number_enc, agent_phone,
  submitted_at, decided_at, decided_by, decision_reason, created_at`;

type CertRow = Record<string, unknown>;

async function toCert(cipher: FieldCipher, r: CertRow): Promise<Certification> {
  const { legal_id_number_enc: legal, agent_id_number_enc: agent, ...rest } = r;
  const c = camelRow<Certification>(rest);
  const unreadable: SealedCertificationField[] = [];
  c.legalIdNumber = await openOrNull(cipher, legal, fieldRef(CERTS, "legal_id_number", c.enterpriseId), () => unreadable.push("legalIdNumber"));
  c.agentIdNumber = await openOrNull(cipher, agent, fieldRef(CERTS, "agent_id_number", c.enterpriseId), () => unreadable.push("agentIdNumber"));
  if (unreadable.length) c.unreadable = unreadable;
  return c;
}

export function pgCertifications(db: Db, cipher: FieldCipher): CertificationRepository {
  const one = async (row: CertRow | undefined) => (row ? toCert(cipher, row) : undefined);
  /** The owner a sealed value of this application is bound to. */
  const ownerOf = async (id: string) =>
    (await db.query<{ enterprise_id: string }>(`select enterprise_id from ${CERTS} where id = $1`, [id]))[0]?.enterprise_id;
  return {
    async open(enterpriseId, forUpdate = false) {
      const [row] = await db.query(
        `select ${CERT_COLUMNS} from enterprise_certifications where enterprise_id = $1 and status in ('draft', 'pending')${forUpdate ? " for update" : ""}`,
        [enterpriseId],
      );
      return one(row);
    },
    async latest(enterpriseId) {
      const [row] = await db.query(
        `select ${CERT_COLUMNS} from enterprise_certifications where enterprise_id = $1 order by created_at desc, id desc limit 1`,
        [enterpriseId],
      );
      return one(row);
    },
    async certified(enterpriseId) {
      const [row] = await db.query(
        `select ${CERT_COLUMNS} from enterprise_certifications where enterprise_id = $1 and status = 'certified' order by created_at desc, id desc limit 1`,
        [enterpriseId],
      );
      return one(row);
    },
    async byId(id, forUpdate = false) {
      if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
      const [row] = await db.query(`select ${CERT_COLUMNS} from enterprise_certifications where id = $1${forUpdate ? " for update" : ""}`, [id]);
      return one(row);
    },
    async createDraft(enterpriseId, from) {
      // A new application starts from what was submitted last time (resubmission keeps the typing).
      const legal = from?.legalIdNumber ?? null;
      const agent = from?.agentIdNumber ?? null;
      const [row] = await db.query(
        `insert into enterprise_certifications (enterprise_id, step, identity_role, enterprise_type, name, credit_code, credit_code_valid,
           credit_code_confirmed, staff_count, revenue_fen, size_proposed, size_declared, industry, city_code, district_code, address,
           legal_name, legal_id_number_enc, legal_phone, licence_file_id, agent_name, agent_id_number_enc, agent_phone,
           legal_id_number_hash, agent_id_number_hash)
         values ($1, $2, $3, $4, $5, $6, $7, coalesce($8, false), $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)
         returning ${CERT_COLUMNS}`,
        [
          enterpriseId,
          from ? 3 : 1,
          from?.identityRole ?? null,
          from?.enterpriseType ?? null,
          from?.name ?? null,
          from?.creditCode ?? null,
          from?.creditCodeValid ?? null,
          from?.creditCodeConfirmed ?? null,
          from?.staffCount ?? null,
          from?.revenueFen ?? null,
          from?.sizeProposed ?? null,
          from?.sizeDeclared ?? null,
          from?.industry ?? null,
          from?.cityCode ?? null,
          from?.districtCode ?? null,
          from?.address ?? null,
          from?.legalName ?? null,
          await sealOrNull(cipher, legal, fieldRef(CERTS, "legal_id_number", enterpriseId)),
          from?.legalPhone ?? null,
          from?.licenceFileId ?? null,
          from?.agentName ?? null,
          await sealOrNull(cipher, agent, fieldRef(CERTS, "agent_id_number", enterpriseId)),
          from?.agentPhone ?? null,
          await idHash(cipher, legal),
          await idHash(cipher, agent),
        ],
      );
      return toCert(cipher, row!);
    },
    async saveStep1(id, v) {
      await db.query(
        `update enterprise_certifications set identity_role = $2, enterprise_type = $3, step = greatest(step, 2), updated_at = now()
          where id = $1 and status = 'draft'`,
        [id, v.identityRole, v.enterpriseType],
      );
    },
    async setLicence(id, fileId) {
      await db.query("update enterprise_certifications set licence_file_id = $2, updated_at = now() where id = $1 and status = 'draft'", [id, fileId]);
    },
    async saveStep2(id, v, agreedAt) {
      const owner = await ownerOf(id);
      if (!owner) return;
      await db.query(
        `update enterprise_certifications set name = $2, credit_code = $3, credit_code_valid = $4, credit_code_confirmed = $5,
           staff_count = $6, revenue_fen = $7, size_proposed = $8, size_declared = $9, industry = $10, city_code = $11,
           district_code = $12, address = $13, legal_name = $14, legal_id_number_enc = $15, legal_phone = $16, agreed_at = $17,
           legal_id_number_hash = $18, step = 3, updated_at = now()
         where id = $1 and status = 'draft'`,
        [
          id,
          v.name,
          v.creditCode,
          v.creditCodeValid,
          v.creditCodeConfirmed,
          v.staffCount,
          v.revenueFen,
          v.sizeProposed,
          v.sizeDeclared,
          v.industry,
          v.cityCode,
          v.districtCode,
          v.address,
          v.legalName,
          await cipher.seal(v.legalIdNumber, fieldRef(CERTS, "legal_id_number", owner)),
          v.legalPhone,
          agreedAt,
          await idHash(cipher, v.legalIdNumber),
        ],
      );
    },
    async submit(id, v, at) {
      const owner = await ownerOf(id);
      if (!owner) return;
      await db.query(
        `update enterprise_certifications set agent_name = $2, agent_id_number_enc = $3, agent_phone = $4, status = 'pending',
           submitted_at = $5, agent_id_number_hash = $6, updated_at = now() where id = $1 and status = 'draft'`,
        [
          id,
          v.agentName,
          await sealOrNull(cipher, v.agentIdNumber, fieldRef(CERTS, "agent_id_number", owner)),
          v.agentPhone,
          at,
          await idHash(cipher, v.agentIdNumber),
        ],
      );
    },
    async decide(id, v) {
      await db.query(
        `update enterprise_certifications set status = $2, decided_by = $3, decision_reason = $4, decided_at = $5, updated_at = now()
          where id = $1 and status = 'pending'`,
        [id, v.status, v.adminId, v.reason, v.at],
      );
    },
    async supersede(enterpriseId, exceptId) {
      await db.query(
        "update enterprise_certifications set status = 'superseded', updated_at = now() where enterprise_id = $1 and status = 'certified' and id <> $2",
        [enterpriseId, exceptId],
      );
    },
    async codeClaims(creditCode, exceptEnterpriseId) {
      const [row] = await db.query<{ certified: number; pending: number }>(
        `select count(*) filter (where status = 'certified')::int as certified, count(*) filter (where status = 'pending')::int as pending
           from enterprise_certifications where credit_code = $1 and enterprise_id <> $2`,
        [creditCode, exceptEnterpriseId],
      );
      return row!;
    },
    async queue(f, limit, offset) {
      const where: string[] = ["status <> 'draft'"];
      const params: unknown[] = [];
      const add = (sql: string, v: unknown) => {
        params.push(v);
        where.push(sql.replace("?", `$${params.length}`));
      };
      if (f.status) add("status = ?", f.status);
      if (f.cityCode) add("city_code = ?", f.cityCode);
      if (f.size) add("size_declared = ?", f.size);
      if (f.submittedFrom) add("submitted_at >= ?", f.submittedFrom);
      if (f.submittedTo) add("submitted_at < ?", f.submittedTo);
      if (f.keyword) {
        params.push(`%${f.keyword.replace(/[\\%_]/g, (m) => `\\${m}`)}%`, f.keyword.trim().toUpperCase());
        const match = [`name ilike $${params.length - 1}`, `credit_code = $${params.length}`];
        // An ID number is found through its keyed hash (the number itself is sealed).
        const id = normaliseIdNumber(f.keyword);
        if (/^\d{17}[\dX]$/.test(id)) {
          params.push(pgArray(await cipher.lookupHashes(id, ID_HASH)));
          match.push(`legal_id_number_hash = any($${params.length}::text[])`, `agent_id_number_hash = any($${params.length}::text[])`);
        }
        where.push(`(${match.join(" or ")})`);
      }
      const whereSql = where.join(" and ");
      const rows = await db.query(
        `select id, enterprise_id, status, name, credit_code, credit_code_valid, size_declared, size_proposed, city_code, submitted_at
           from enterprise_certifications where ${whereSql}
          order by submitted_at desc nulls last, id desc limit $${params.length + 1} offset $${params.length + 2}`,
        [...params, limit, offset],
      );
      const [count] = await db.query<{ n: number }>(`select count(*)::int as n from enterprise_certifications where ${whereSql}`, params);
      return { rows: rows.map((r) => camelRow<QueueRow>(r)), total: count!.n };
    },
    async history(enterpriseId) {
      const rows = await db.query(
        `select ${CERT_COLUMNS} from enterprise_certifications where enterprise_id = $1 and status <> 'draft' order by created_at desc`,
        [enterpriseId],
      );
      return Promise.all(rows.map((r) => toCert(cipher, r)));
    },
  };
}

type BankRow = {
  id: string;
  enterprise_id: string;
  account_name: string;
  bank_name: string;
  bank_city_code: string;
  branch_name: string;
  account_number_enc: string;
  created_at: Date;
};
const BANK_COLUMNS = "id, enterprise_id, account_name, bank_name, bank_city_code, branch_name, account_number_enc, created_at";
async function toBank(cipher: FieldCipher, r: BankRow): Promise<BankAccount> {
  let unreadable = false;
  const accountNumber = await openOrNull(cipher, r.account_number_enc, fieldRef(BANKS, "account_number", r.enterprise_id), () => {
    unreadable = true;
  });
  return {
    id: r.id,
    enterpriseId: r.enterprise_id,
    accountName: r.account_name,
    bankName: r.bank_name,
    bankCityCode: r.bank_city_code,
    branchName: r.branch_name,
    accountNumber: accountNumber ?? "",
    createdAt: r.created_at,
    ...(unreadable ? { unreadable } : {}),
  };
}

export function pgBankAccounts(db: Db, cipher: FieldCipher): BankAccountRepository {
  return {
    async current(enterpriseId) {
      const [row] = await db.query<BankRow>(
        `select ${BANK_COLUMNS} from enterprise_bank_accounts where enterprise_id = $1 order by created_at desc, id desc limit 1`,
        [enterpriseId],
      );
      return row && toBank(cipher, row);
    },
    async history(enterpriseId) {
      const rows = await db.query<BankRow>(
        `select ${BANK_COLUMNS} from enterprise_bank_accounts where enterprise_id = $1 order by created_at desc, id desc limit 50`,
        [enterpriseId],
      );
      return Promise.all(rows.map((r) => toBank(cipher, r)));
    },
    async add(enterpriseId, v, accountId) {
      const [row] = await db.query<BankRow>(
        `insert into enterprise_bank_accounts (enterprise_id, account_name, bank_name, bank_city_code, branch_name, account_number_enc, created_by_account)
         values ($1, $2, $3, $4, $5, $6, $7) returning ${BANK_COLUMNS}`,
        [
          enterpriseId,
          v.accountName,
          v.bankName,
          v.bankCityCode,
          v.branchName,
          await cipher.seal(v.accountNumber, fieldRef(BANKS, "account_number", enterpriseId)),
          accountId,
        ],
      );
      return toBank(cipher, row!);
    },
  };
}

/** Serialises the sealing step between instances that start at once. */
const SEALING_LOCK = 7212027;
const BATCH = 200;
const FIRST_ID = "00000000-0000-0000-0000-000000000000";

/**
 * Seals what older versions stored in plaintext (emptying the plaintext columns) and re-seals
 * values under a key that is no longer the current one, batch by batch (each batch one
 * transaction), walking each table once in id order. Idempotent: a second run finds nothing.
 * A value that does not open stays as it is and is counted (and logged by the cipher).
 */
export function pgFieldSealing(db: Db, cipher: FieldCipher): FieldSealingRepository {
  const escaped = `v1.${cipher.currentKeyId}.`.replace(/[\\%_]/g, (m) => `\\${m}`);
  const current = `${escaped}%`;
  type Counts = { sealed: number; resealed: number; unreadable: number };

  /** The value to store for one field: sealed under the current key, or unchanged (undefined). */
  async function next(counts: Counts, plain: unknown, sealed: unknown, ref: FieldRef): Promise<{ enc: string; plain: string } | undefined> {
    if (plain !== null && plain !== undefined) {
      counts.sealed++;
      return { enc: await cipher.seal(String(plain), ref), plain: String(plain) };
    }
    if (sealed === null || sealed === undefined || cipher.keyIdOf(String(sealed)) === cipher.currentKeyId) return undefined;
    try {
      const value = await cipher.open(String(sealed), ref);
      counts.resealed++;
      return { enc: await cipher.seal(value, ref), plain: value };
    } catch (err) {
      if (!(err instanceof UnreadableField)) throw err;
      counts.unreadable++;
      return undefined;
    }
  }

  async function walk(select: string, fix: (tx: Db, row: Record<string, unknown>, counts: Counts) => Promise<void>, counts: Counts) {
    let after = FIRST_ID;
    for (;;) {
      const last = await db.transaction(async (tx) => {
        await tx.query("select pg_advisory_xact_lock($1)", [SEALING_LOCK]);
        const rows = await tx.query(select, [after, current, BATCH]);
        for (const row of rows) await fix(tx, row, counts);
        return rows.length === BATCH ? String(rows[rows.length - 1]!.id) : null;
      });
      if (!last) return;
      after = last;
    }
  }

  return {
    async resealAll() {
      const counts: Counts = { sealed: 0, resealed: 0, unreadable: 0 };
      await walk(
        `select id, enterprise_id, legal_id_number, agent_id_number, legal_id_number_enc, agent_id_number_enc from ${CERTS}
          where id > $1 and (legal_id_number is not null or agent_id_number is not null
                or legal_id_number_enc not like $2 or agent_id_number_enc not like $2)
          order by id limit $3 for update`,
        async (tx, r, c) => {
          const owner = String(r.enterprise_id);
          const legal = await next(c, r.legal_id_number, r.legal_id_number_enc, fieldRef(CERTS, "legal_id_number", owner));
          const agent = await next(c, r.agent_id_number, r.agent_id_number_enc, fieldRef(CERTS, "agent_id_number", owner));
          await tx.query(
            `update ${CERTS} set legal_id_number = null, agent_id_number = null,
               legal_id_number_enc = coalesce($2, legal_id_number_enc), legal_id_number_hash = coalesce($3, legal_id_number_hash),
               agent_id_number_enc = coalesce($4, agent_id_number_enc), agent_id_number_hash = coalesce($5, agent_id_number_hash)
             where id = $1`,
            [r.id, legal?.enc ?? null, await idHash(cipher, legal?.plain), agent?.enc ?? null, await idHash(cipher, agent?.plain)],
          );
        },
        counts,
      );
      await walk(
        `select id, enterprise_id, account_number, account_number_enc from ${BANKS}
          where id > $1 and (account_number is not null or account_number_enc not like $2)
          order by id limit $3 for update`,
        async (tx, r, c) => {
          const v = await next(c, r.account_number, r.account_number_enc, fieldRef(BANKS, "account_number", String(r.enterprise_id)));
          if (v || r.account_number !== null) {
            await tx.query(`update ${BANKS} set account_number = null, account_number_enc = coalesce($2, account_number_enc) where id = $1`, [
              r.id,
              v?.enc ?? null,
            ]);
          }
        },
        counts,
      );
      return counts;
    },
  };
}
