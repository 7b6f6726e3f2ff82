import type { Db } from "../../ports/db.ts";
import type { CatalogService } from "../catalog/service.ts";
import type { EnterpriseService } from "../enterprises/service.ts";
import type { FileService } from "../files/service.ts";
import type { HistoryBatch, HistorySettlement, HistorySettlementRow, SettlementHistoryRepositoryFactory } from "./history-ports.ts";
import { fingerprint } from "./service.ts";

export type { HistoryBatch, HistorySettlement };

/**
 * Demo data only (src/demo-history.ts): past 兑付 applications in every status. Each gets its own
 * invoice and acceptance report (stored like an upload), and, once approved, the payee as registered
 * in the provider's 支付认证 (so a demo 待拨付 one can be paid out through the real 拨付).
 */
export function settlementHistoryService(deps: {
  db: Db;
  historyRepo: SettlementHistoryRepositoryFactory;
  files: Pick<FileService, "storeAll">;
  catalog: Pick<CatalogService, "provider">;
  enterprises: Pick<EnterpriseService, "paymentAccount">;
}) {
  return {
    async insert(
      rows: HistorySettlement[],
      batches: HistoryBatch[],
      documents: (s: HistorySettlement) => { invoice: { name: string; bytes: Uint8Array }; acceptance: { name: string; bytes: Uint8Array } },
    ): Promise<void> {
      if (!rows.length) return;
      const parties = new Map<string, { enterpriseId: string; payee: HistorySettlementRow["payee"] }>();
      for (const id of new Set(rows.map((r) => r.providerId))) {
        const provider = await deps.catalog.provider(id);
        if (!provider) throw new Error(`demo history provider ${id} is missing`);
        const account = await deps.enterprises.paymentAccount(provider.enterpriseId);
        parties.set(id, {
          enterpriseId: provider.enterpriseId,
          payee: account
            ? {
                name: account.accountName,
                bank: account.bankName,
                last4: account.accountNumber.replace(/\D/g, "").slice(-4).padStart(4, "0"),
                fingerprint: fingerprint(account.accountNumber),
              }
            : null,
        });
      }
      await deps.db.transaction(async (tx) => {
        // Each application's 发票 and 验收报告, in one go (in the order of the applications).
        const stored = await deps.files.storeAll(
          tx,
          rows.flatMap((r) => {
            const docs = documents(r);
            const owner = parties.get(r.providerId)!.enterpriseId;
            return [docs.invoice, docs.acceptance].map((f) => ({ ...f, ownerEnterpriseId: owner, purpose: "settlement", accountId: null }));
          }),
        );
        if (!stored.ok) throw new Error(`demo settlement document refused: ${stored.message}`);
        const full: HistorySettlementRow[] = rows.map((r, i) => {
          const approved = r.decidedAt !== null && r.status !== "rejected" && r.status !== "pending" && r.status !== "spot_check";
          const payee = approved ? parties.get(r.providerId)!.payee : null;
          return { ...r, payee, invoiceFileId: stored.files[2 * i]!.id, acceptanceFileId: stored.files[2 * i + 1]!.id };
        });
        await deps.historyRepo(tx).insert(full, batches);
      });
    },
  };
}
export type SettlementHistoryService = ReturnType<typeof settlementHistoryService>;
