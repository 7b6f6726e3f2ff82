import type { Db } from "../../ports/db.ts";
import type { AdminRole } from "./domain.ts";
import type { Account, AccountRepository, AdminRepository, AdminUser } from "./ports.ts";

type AccountRow = { id: string; phone: string; password_hash: string | null; status: Account["status"]; created_at: Date };
const ACCOUNT_COLUMNS = "id, phone, password_hash, status, created_at";
const toAccount = (r: AccountRow): Account => ({
  id: r.id,
  phone: r.phone,
  passwordHash: r.password_hash,
  status: r.status,
  createdAt: r.created_at,
});

export function pgAccounts(db: Db): AccountRepository {
  return {
    async create({ phone }) {
      const [row] = await db.query<AccountRow>(`insert into accounts (phone) values ($1) returning ${ACCOUNT_COLUMNS}`, [phone]);
      return toAccount(row!);
    },
    async byPhone(phone) {
      const [row] = await db.query<AccountRow>(`select ${ACCOUNT_COLUMNS} from accounts where phone = $1`, [phone]);
      return row && toAccount(row);
    },
    async byId(id) {
      const [row] = await db.query<AccountRow>(`select ${ACCOUNT_COLUMNS} from accounts where id = $1`, [id]);
      return row && toAccount(row);
    },
    async setPasswordHash(id, hash) {
      await db.query("update accounts set password_hash = $2, updated_at = now() where id = $1", [id, hash]);
    },
    async touchLogin(id) {
      await db.query("update accounts set last_login_at = now() where id = $1", [id]);
    },
  };
}

type AdminRow = {
  id: string;
  username: string;
  display_name: string;
  password_hash: string;
  role: AdminRole;
  status: AdminUser["status"];
};
const ADMIN_COLUMNS = "id, username, display_name, password_hash, role, status";
const toAdmin = (r: AdminRow): AdminUser => ({
  id: r.id,
  username: r.username,
  displayName: r.display_name,
  passwordHash: r.password_hash,
  role: r.role,
  status: r.status,
});

export function pgAdmins(db: Db): AdminRepository {
  return {
    async create({ username, displayName, passwordHash, role }) {
      const [row] = await db.query<AdminRow>(
        `insert into admin_users (username, display_name, password_hash, role) values ($1, $2, $3, $4) returning ${ADMIN_COLUMNS}`,
        [username, displayName, passwordHash, role],
      );
      return toAdmin(row!);
    },
    async byUsername(username) {
      const [row] = await db.query<AdminRow>(`select ${ADMIN_COLUMNS} from admin_users where username = $1`, [username]);
      return row && toAdmin(row);
    },
    async byId(id) {
      const [row] = await db.query<AdminRow>(`select ${ADMIN_COLUMNS} from admin_users where id = $1`, [id]);
      return row && toAdmin(row);
    },
    async touchLogin(id) {
      await db.query("update admin_users set last_login_at = now() where id = $1", [id]);
    },
    async count() {
      const [row] = await db.query<{ n: number }>("select count(*)::int as n from admin_users");
      return row!.n;
    },
  };
}
