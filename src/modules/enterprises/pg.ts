import type { Db } from "../../ports/db.ts";
import { camelRow } from "../../lib/rows.ts";
import type { CertificationStatus, Enterprise, SizeClass } from "./domain.ts";
import type {
  BankAccount,
  BankAccountRepository,
  Certification,
  CertificationRepository,
  EnterpriseRepository,
  QueueRow,
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
      const [row] = await db.query<EnterpriseRow>(
        `insert into enterprises (account_id, name) values ($1, $2) returning ${ENTERPRISE_COLUMNS}`,
        [accountId, name],
      );
      return toEnterprise(row!);
    },
    async byAccount(accountId) {
      const [row] = await db.query<EnterpriseRow>(`select ${ENTERPRISE_COLUMNS} from enterprises where account_id = $1`, [accountId]);
      return row && toEnterprise(row);
    },
    async byId(id, forUpdate = false) {
      const [row] = await db.query<EnterpriseRow>(
        `select ${ENTERPRISE_COLUMNS} from enterprises where id = $1${forUpdate ? " for update" : ""}`,
        [id],
      );
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

const CERT_COLUMNS = `id, enterprise_id, status, step, identity_role, enterprise_type, name, credit_code, credit_code_valid,
  credit_code_confirmed, staff_count, revenue_fen, size_proposed, size_declared, industry, city_code, district_code, address,
  legal_name, legal_id_number, legal_phone, licence_file_id, agreed_at, agent_name, agent_id_number, agent_phone,
  submitted_at, decided_at, decided_by, decision_reason, created_at`;

type CertRow = Record<string, unknown>;
const toCert = (r: CertRow): Certification => camelRow<Certification>(r);

export function pgCertifications(db: Db): CertificationRepository {
  return {
    async open(enterpriseId, forUpdate = false) {
      const [row] = await db.query(
        `select ${CERT_COLUMNS} from enterprise_certifications where enterprise_id = $1 and status in ('draft', 'pending')${forUpdate ? " for update" : ""}`,
        [enterpriseId],
      );
      return row && toCert(row);
    },
    async latest(enterpriseId) {
      const [row] = await db.query(
        `select ${CERT_COLUMNS} from enterprise_certifications where enterprise_id = $1 order by created_at desc, id desc limit 1`,
        [enterpriseId],
      );
      return row && toCert(row);
    },
    async byId(id, forUpdate = false) {
      if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
      const [row] = await db.query(`select ${CERT_COLUMNS} from enterprise_certifications where id = $1${forUpdate ? " for update" : ""}`, [id]);
      return row && toCert(row);
    },
    async createDraft(enterpriseId, from) {
      // A new application starts from what was submitted last time (resubmission keeps the typing).
      const [row] = await db.query(
        `insert into enterprise_certifications (enterprise_id, step, identity_role, enterprise_type, name, credit_code, credit_code_valid,
           credit_code_confirmed, staff_count, revenue_fen, size_proposed, size_declared, industry, city_code, district_code, address,
           legal_name, legal_id_number, legal_phone, licence_file_id, agent_name, agent_id_number, agent_phone)
         values ($1, $2, $3, $4, $5, $6, $7, coalesce($8, false), $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
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
          from?.legalIdNumber ?? null,
          from?.legalPhone ?? null,
          from?.licenceFileId ?? null,
          from?.agentName ?? null,
          from?.agentIdNumber ?? null,
          from?.agentPhone ?? null,
        ],
      );
      return toCert(row!);
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
      await db.query(
        `update enterprise_certifications set name = $2, credit_code = $3, credit_code_valid = $4, credit_code_confirmed = $5,
           staff_count = $6, revenue_fen = $7, size_proposed = $8, size_declared = $9, industry = $10, city_code = $11,
           district_code = $12, address = $13, legal_name = $14, legal_id_number = $15, legal_phone = $16, agreed_at = $17,
           step = 3, updated_at = now()
         where id = $1 and status = 'draft'`,
        [
          id, v.name, v.creditCode, v.creditCodeValid, v.creditCodeConfirmed, v.staffCount, v.revenueFen, v.sizeProposed,
          v.sizeDeclared, v.industry, v.cityCode, v.districtCode, v.address, v.legalName, v.legalIdNumber, v.legalPhone, agreedAt,
        ],
      );
    },
    async submit(id, v, at) {
      await db.query(
        `update enterprise_certifications set agent_name = $2, agent_id_number = $3, agent_phone = $4, status = 'pending',
           submitted_at = $5, updated_at = now() where id = $1 and status = 'draft'`,
        [id, v.agentName, v.agentIdNumber, v.agentPhone, at],
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
        where.push(`(name ilike $${params.length - 1} or credit_code = $${params.length})`);
      }
      const whereSql = where.join(" and ");
      const rows = await db.query(
        `select id, enterprise_id, status, name, credit_code, credit_code_valid, size_declared, size_proposed, city_code, submitted_at
           from enterprise_certifications where ${whereSql}
          order by submitted_at desc nulls last, id desc limit $${params.length + 1} offset $${params.length + 2}`,
        [...params, limit, offset],
      );
      const [count] = await db.query<{ n: number }>(`select count(*)::int as n from enterprise_certifications where ${whereSql}`, params);
      return { rows: rows.map((r) => toCert(r) as unknown as QueueRow), total: count!.n };
    },
    async history(enterpriseId) {
      const rows = await db.query(
        `select ${CERT_COLUMNS} from enterprise_certifications where enterprise_id = $1 and status <> 'draft' order by created_at desc`,
        [enterpriseId],
      );
      return rows.map(toCert);
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
  account_number: string;
  created_at: Date;
};
const BANK_COLUMNS = "id, enterprise_id, account_name, bank_name, bank_city_code, branch_name, account_number, created_at";
const toBank = (r: BankRow): BankAccount => ({
  id: r.id,
  enterpriseId: r.enterprise_id,
  accountName: r.account_name,
  bankName: r.bank_name,
  bankCityCode: r.bank_city_code,
  branchName: r.branch_name,
  accountNumber: r.account_number,
  createdAt: r.created_at,
});

export function pgBankAccounts(db: Db): BankAccountRepository {
  return {
    async current(enterpriseId) {
      const [row] = await db.query<BankRow>(
        `select ${BANK_COLUMNS} from enterprise_bank_accounts where enterprise_id = $1 order by created_at desc, id desc limit 1`,
        [enterpriseId],
      );
      return row && toBank(row);
    },
    async history(enterpriseId) {
      const rows = await db.query<BankRow>(
        `select ${BANK_COLUMNS} from enterprise_bank_accounts where enterprise_id = $1 order by created_at desc, id desc limit 50`,
        [enterpriseId],
      );
      return rows.map(toBank);
    },
    async add(enterpriseId, v, accountId) {
      const [row] = await db.query<BankRow>(
        `insert into enterprise_bank_accounts (enterprise_id, account_name, bank_name, bank_city_code, branch_name, account_number, created_by_account)
         values ($1, $2, $3, $4, $5, $6, $7) returning ${BANK_COLUMNS}`,
        [enterpriseId, v.accountName, v.bankName, v.bankCityCode, v.branchName, v.accountNumber, accountId],
      );
      return toBank(row!);
    },
  };
}
