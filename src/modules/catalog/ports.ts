import type { Db } from "../../ports/db.ts";
import type { Category, ProviderApplicationInput, ProviderApplicationStatus, ProviderStatus } from "./domain.ts";

export type ProviderApplication = ProviderApplicationInput & {
  id: string;
  enterpriseId: string;
  qualificationFileIds: string[];
  contractFileIds: string[];
  status: ProviderApplicationStatus;
  submittedAt: Date;
  decidedAt: Date | null;
  decidedBy: string | null;
  decisionReason: string | null;
};

export type Provider = {
  id: string;
  enterpriseId: string;
  name: string;
  categories: string[];
  regions: string[];
  introduction: string;
  contactName: string;
  contactPhone: string;
  status: ProviderStatus;
  statusReason: string | null;
  approvedAt: Date;
};

export type ApplicationQueueRow = ProviderApplication & { enterpriseName: string };

export interface CatalogRepository {
  categories(): Promise<Category[]>;
  allCategories(): Promise<(Category & { active: boolean; sort: number })[]>;
  addCategory(c: { code: string; name: string }): Promise<void>;
  setCategoryActive(code: string, active: boolean): Promise<boolean>;
  negativeWords(): Promise<string[]>;
  addNegativeWord(word: string): Promise<void>;
  removeNegativeWord(word: string): Promise<boolean>;
  insertApplication(
    enterpriseId: string,
    v: ProviderApplicationInput,
    files: { qualifications: string[]; contracts: string[] },
  ): Promise<ProviderApplication>;
  application(id: string, forUpdate?: boolean): Promise<ProviderApplication | undefined>;
  latestApplication(enterpriseId: string): Promise<ProviderApplication | undefined>;
  decideApplication(id: string, v: { status: "approved" | "rejected"; adminId: string; reason: string | null; at: Date }): Promise<void>;
  applicationQueue(status: ProviderApplicationStatus | undefined, limit: number, offset: number): Promise<{ rows: ApplicationQueueRow[]; total: number }>;
  upsertProvider(v: Omit<Provider, "id" | "status" | "statusReason" | "approvedAt"> & { applicationId: string; at: Date }): Promise<Provider>;
  provider(id: string, forUpdate?: boolean): Promise<Provider | undefined>;
  providerOfEnterprise(enterpriseId: string): Promise<Provider | undefined>;
  setProviderStatus(id: string, status: ProviderStatus, reason: string | null): Promise<void>;
  providers(status: ProviderStatus | undefined, limit: number, offset: number): Promise<{ rows: Provider[]; total: number }>;
  countActiveProviders(): Promise<number>;
}
export type CatalogRepositoryFactory = (db: Db) => CatalogRepository;
