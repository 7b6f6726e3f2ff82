import type { Db } from "../../ports/db.ts";
import type { AdminRole } from "./domain.ts";

export type Account = {
  id: string;
  phone: string;
  passwordHash: string | null;
  status: "active" | "suspended";
  createdAt: Date;
};

export type AdminUser = {
  id: string;
  username: string;
  displayName: string;
  passwordHash: string;
  role: AdminRole;
  status: "active" | "disabled";
  /** Base32 TOTP secret once the second factor is enrolled, else null. */
  totpSecret: string | null;
  /** The last 30-second step whose code was accepted (replay guard). */
  totpLastStep: number | null;
  /** Sessions signed in before this time are over (a reset password or second factor), else null. */
  sessionsSince: Date | null;
  createdAt: Date;
  lastLoginAt: Date | null;
};

export interface AccountRepository {
  create(input: { phone: string }): Promise<Account>;
  byPhone(phone: string): Promise<Account | undefined>;
  byId(id: string): Promise<Account | undefined>;
  setPasswordHash(id: string, hash: string): Promise<void>;
  touchLogin(id: string): Promise<void>;
}

export interface AdminRepository {
  create(input: { username: string; displayName: string; passwordHash: string; role: AdminRole }): Promise<AdminUser>;
  byUsername(username: string): Promise<AdminUser | undefined>;
  byId(id: string): Promise<AdminUser | undefined>;
  touchLogin(id: string): Promise<void>;
  count(): Promise<number>;
  /** Every staff account, by username. */
  list(): Promise<AdminUser[]>;
  /** The row, locked for the rest of the transaction. */
  byIdForUpdate(id: string): Promise<AdminUser | undefined>;
  /** Locks every active super admin (inside a transaction) and returns their ids. */
  lockActiveSuperAdmins(): Promise<string[]>;
  setRole(id: string, role: AdminRole): Promise<void>;
  setStatus(id: string, status: AdminUser["status"]): Promise<void>;
  setPasswordHash(id: string, hash: string): Promise<void>;
  /** Enrols (secret) or removes (null) the second factor; removal also drops the recovery codes. */
  setTotp(id: string, secret: string | null): Promise<void>;
  /** Ends every session of this staff member signed in before `at` (the app clock, as sessions are). */
  endSessions(id: string, at: Date): Promise<void>;
  /** Records `step` as used when it is later than the last used one; false for a replay. */
  claimTotpStep(id: string, step: number): Promise<boolean>;
  replaceRecoveryCodes(id: string, hashes: string[]): Promise<void>;
  /** Marks an unused recovery code as used; false when there is none with that hash. */
  useRecoveryCode(id: string, hash: string): Promise<boolean>;
  recoveryCodesLeft(id: string): Promise<number>;
}

export type AccountRepositoryFactory = (db: Db) => AccountRepository;
export type AdminRepositoryFactory = (db: Db) => AdminRepository;
