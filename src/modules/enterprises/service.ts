import type { Db } from "../../ports/db.ts";
import type { Enterprise } from "./domain.ts";
import type { EnterpriseRepositoryFactory } from "./ports.ts";

export type EnterpriseDeps = { db: Db; enterprises: EnterpriseRepositoryFactory };

/** The enterprises module's public surface. Other modules call only this. */
export function enterpriseService(deps: EnterpriseDeps) {
  return {
    /** Creates the uncertified enterprise of a newly registered account, inside the caller's transaction. */
    async createForAccount(tx: Db, input: { accountId: string; name: string }): Promise<Enterprise> {
      return deps.enterprises(tx).create(input);
    },
    async ofAccount(accountId: string): Promise<Enterprise | undefined> {
      return deps.enterprises(deps.db).byAccount(accountId);
    },
  };
}
export type EnterpriseService = ReturnType<typeof enterpriseService>;
