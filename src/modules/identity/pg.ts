import { type FieldCipher, type FieldRef, UnreadableField } from "../../ports/crypto.ts";
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
  totp_secret: string | null;
  totp_last_step: string | number | null;
  sessions_since: Date | null;
  created_at: Date;
  last_login_at: Date | null;
};
const ADMIN_COLUMNS = "id, username, display_name, password_hash, role, status, totp_secret, totp_last_step, sessions_since, created_at, last_login_at";
/** Where a staff member's TOTP secret is sealed: bound to its row, so it cannot be copied to another account. */
const totpField = (adminId: string): FieldRef => ({ table: "admin_users", column: "totp_secret", owner: adminId });

/** A random base32 TOTP secret that is never stored or shown. */
function unknowableSecret(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  return Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => alphabet[b % 32]).join("");
}

const toAdmin = (r: AdminRow): AdminUser => ({
  id: r.id,
  username: r.username,
  displayName: r.display_name,
  passwordHash: r.password_hash,
  role: r.role,
  status: r.status,
  totpSecret: r.totp_secret,
  totpLastStep: r.totp_last_step === null ? null : Number(r.totp_last_step),
  sessionsSince: r.sessions_since,
  createdAt: r.created_at,
  lastLoginAt: r.last_login_at,
});

/**
 * Staff accounts. TOTP secrets are sealed with the field cipher before they are stored and opened
 * when read (a database dump alone cannot mint second-factor codes).
 */
export function pgAdmins(db: Db, cipher: FieldCipher): AdminRepository {
  const open = async (r: AdminRow | undefined): Promise<AdminUser | undefined> => {
    if (!r) return undefined;
    const a = toAdmin(r);
    if (r.totp_secret !== null) {
      try {
        a.totpSecret = await cipher.open(r.totp_secret, totpField(r.id));
      } catch (err) {
        if (!(err instanceof UnreadableField)) throw err;
        // Sealed under a key no longer configured, or tampered with: the account stays enrolled, but no
        // code can match (a fresh secret nobody knows) until a super admin resets its second factor.
        a.totpSecret = unknowableSecret();
      }
    }
    return a;
  };
  return {
    async create({ username, displayName, passwordHash, role }) {
      const [row] = await db.query<AdminRow>(
        `insert into admin_users (username, display_name, password_hash, role) values ($1, $2, $3, $4) returning ${ADMIN_COLUMNS}`,
        [username, displayName, passwordHash, role],
      );
      return (await open(row))!;
    },
    async byUsername(username) {
      const [row] = await db.query<AdminRow>(`select ${ADMIN_COLUMNS} from admin_users where username = $1`, [username]);
      return open(row);
    },
    async byId(id) {
      const [row] = await db.query<AdminRow>(`select ${ADMIN_COLUMNS} from admin_users where id = $1`, [id]);
      return open(row);
    },
    async touchLogin(id) {
      await db.query("update admin_users set last_login_at = now() where id = $1", [id]);
    },
    async count() {
      const [row] = await db.query<{ n: number }>("select count(*)::int as n from admin_users");
      return row!.n;
    },
    async list() {
      const rows = await db.query<AdminRow>(`select ${ADMIN_COLUMNS} from admin_users order by username`);
      return Promise.all(rows.map(async (r) => (await open(r))!));
    },
    async byIdForUpdate(id) {
      const [row] = await db.query<AdminRow>(`select ${ADMIN_COLUMNS} from admin_users where id = $1 for update`, [id]);
      return open(row);
    },
    async lockActiveSuperAdmins() {
      const rows = await db.query<{ id: string }>("select id from admin_users where role = 'super_admin' and status = 'active' order by id for update");
      return rows.map((r) => r.id);
    },
    async setRole(id, role) {
      await db.query("update admin_users set role = $2, updated_at = now() where id = $1", [id, role]);
    },
    async setStatus(id, status) {
      await db.query("update admin_users set status = $2, updated_at = now() where id = $1", [id, status]);
    },
    async setPasswordHash(id, hash) {
      await db.query("update admin_users set password_hash = $2, updated_at = now() where id = $1", [id, hash]);
    },
    async setTotp(id, plainSecret) {
      const secret = plainSecret === null ? null : await cipher.seal(plainSecret, totpField(id));
      await db.query(
        `update admin_users set totp_secret = $2, totp_enrolled_at = case when $2::text is null then null else now() end,
                totp_last_step = null, updated_at = now() where id = $1`,
        [id, secret],
      );
      if (secret === null) await db.query("delete from admin_recovery_codes where admin_id = $1", [id]);
    },
    async endSessions(id, at) {
      await db.query("update admin_users set sessions_since = $2, updated_at = now() where id = $1", [id, at]);
    },
    async claimTotpStep(id, step) {
      const rows = await db.query<{ id: string }>(
        "update admin_users set totp_last_step = $2 where id = $1 and (totp_last_step is null or totp_last_step < $2) returning id",
        [id, step],
      );
      return rows.length === 1;
    },
    async replaceRecoveryCodes(id, hashes) {
      await db.query("delete from admin_recovery_codes where admin_id = $1", [id]);
      for (const h of hashes) await db.query("insert into admin_recovery_codes (admin_id, code_hash) values ($1, $2)", [id, h]);
    },
    async useRecoveryCode(id, hash) {
      const rows = await db.query<{ id: string }>(
        "update admin_recovery_codes set used_at = now() where admin_id = $1 and code_hash = $2 and used_at is null returning id",
        [id, hash],
      );
      return rows.length === 1;
    },
    async recoveryCodesLeft(id) {
      const [row] = await db.query<{ n: number }>("select count(*)::int as n from admin_recovery_codes where admin_id = $1 and used_at is null", [id]);
      return row!.n;
    },
  };
}
