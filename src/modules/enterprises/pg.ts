import type { Db } from "../../ports/db.ts";
import type { CertificationStatus, Enterprise } from "./domain.ts";
import type { EnterpriseRepository } from "./ports.ts";

type EnterpriseRow = {
  id: string;
  account_id: string;
  name: string;
  certification_status: CertificationStatus;
  is_provider: boolean;
  created_at: Date;
};

const COLUMNS = "id, account_id, name, certification_status, is_provider, created_at";

function toEnterprise(r: EnterpriseRow): Enterprise {
  return {
    id: r.id,
    accountId: r.account_id,
    name: r.name,
    certificationStatus: r.certification_status,
    isProvider: r.is_provider,
    createdAt: r.created_at,
  };
}

export function pgEnterprises(db: Db): EnterpriseRepository {
  return {
    async create({ accountId, name }) {
      const [row] = await db.query<EnterpriseRow>(
        `insert into enterprises (account_id, name) values ($1, $2) returning ${COLUMNS}`,
        [accountId, name],
      );
      return toEnterprise(row!);
    },
    async byAccount(accountId) {
      const [row] = await db.query<EnterpriseRow>(`select ${COLUMNS} from enterprises where account_id = $1`, [accountId]);
      return row && toEnterprise(row);
    },
  };
}
