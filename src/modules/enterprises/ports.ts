import type { Db } from "../../ports/db.ts";
import type { Enterprise } from "./domain.ts";

export interface EnterpriseRepository {
  create(input: { accountId: string; name: string }): Promise<Enterprise>;
  byAccount(accountId: string): Promise<Enterprise | undefined>;
}
export type EnterpriseRepositoryFactory = (db: Db) => EnterpriseRepository;
