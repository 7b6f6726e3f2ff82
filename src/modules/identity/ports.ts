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
}

export type AccountRepositoryFactory = (db: Db) => AccountRepository;
export type AdminRepositoryFactory = (db: Db) => AdminRepository;
