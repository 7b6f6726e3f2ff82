import type { Db } from "../../ports/db.ts";
import type { DemandInput, DemandStatus } from "./domain.ts";

export type Demand = DemandInput & {
  id: string;
  enterpriseId: string;
  enterpriseName: string;
  categoryName: string;
  status: DemandStatus;
  submittedAt: Date;
  decidedAt: Date | null;
  decidedBy: string | null;
  decisionReason: string | null;
  publishedAt: Date | null;
  closedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
};

/** What lists show: no contact details, no description. */
export type DemandSummary = Pick<
  Demand,
  | "id"
  | "enterpriseName"
  | "title"
  | "category"
  | "categoryName"
  | "budgetMinFen"
  | "budgetMaxFen"
  | "budgetNegotiable"
  | "cityCode"
  | "districtCode"
  | "deadline"
  | "status"
  | "submittedAt"
  | "publishedAt"
  | "updatedAt"
> & { responseCount: number };

export type DemandResponse = {
  id: string;
  demandId: string;
  providerId: string;
  providerName: string;
  proposal: string;
  quotedFen: number | null;
  productId: string | null;
  productTitle: string | null;
  createdAt: Date;
  updatedAt: Date;
};

export type ProviderResponseRow = DemandResponse & { demandTitle: string; demandStatus: DemandStatus; demandDeadline: string };

export type PublicFilter = { category?: string; cityCode?: string; terms?: string[]; openOn?: string };

/** A new or resubmitted demand: the form plus the snapshots and search terms the service derives. */
export type DemandWrite = DemandInput & { enterpriseName: string; categoryName: string; searchTerms: string[] };

export interface DemandRepository {
  insert(enterpriseId: string, v: DemandWrite, at: Date): Promise<Demand>;
  byId(id: string, forUpdate?: boolean): Promise<Demand | undefined>;
  /** Resubmission: new values, back to pending, the previous decision cleared. */
  resubmit(id: string, v: DemandWrite, at: Date): Promise<void>;
  setStatus(id: string, status: DemandStatus, v: { at: Date; adminId?: string; reason?: string | null }): Promise<void>;
  ofEnterprise(enterpriseId: string, limit: number, offset: number): Promise<{ rows: DemandSummary[]; total: number }>;
  queue(status: DemandStatus | undefined, limit: number, offset: number): Promise<{ rows: DemandSummary[]; total: number }>;
  published(f: PublicFilter, limit: number, offset: number): Promise<{ rows: DemandSummary[]; total: number }>;
  countPublished(openOn: string): Promise<number>;
  response(demandId: string, providerId: string): Promise<DemandResponse | undefined>;
  insertResponse(v: Omit<DemandResponse, "id" | "createdAt" | "updatedAt">, at: Date): Promise<DemandResponse>;
  updateResponse(id: string, v: Pick<DemandResponse, "proposal" | "quotedFen" | "productId" | "productTitle" | "providerName">, at: Date): Promise<void>;
  responsesOf(demandId: string): Promise<DemandResponse[]>;
  responsesOfProvider(providerId: string, limit: number, offset: number): Promise<{ rows: ProviderResponseRow[]; total: number }>;
}
export type DemandRepositoryFactory = (db: Db) => DemandRepository;
