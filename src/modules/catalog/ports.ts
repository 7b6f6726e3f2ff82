import type { Db } from "../../ports/db.ts";
import type { Category, ProviderApplicationInput, ProviderApplicationStatus, ProviderStatus } from "./domain.ts";
import type { ProductInput, ProductStatus, Verdict, VoucherKind } from "./products.ts";

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
  insertApplication(enterpriseId: string, v: ProviderApplicationInput, files: { qualifications: string[]; contracts: string[] }): Promise<ProviderApplication>;
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

// ---- products ----

export type Product = {
  id: string;
  providerId: string;
  status: ProductStatus;
  workingRevisionId: string | null;
  listedRevisionId: string | null;
  listedAt: Date | null;
  updatedAt: Date;
  featuredAt: Date | null;
};

export type RevisionStatus = "draft" | "pending" | "approved" | "rejected" | "withdrawn" | "superseded";
export type Revision = ProductInput & {
  id: string;
  productId: string;
  status: RevisionStatus;
  prereviewVerdict: Verdict | null;
  prereviewReasons: { rule: string; level: string; message: string }[];
  submittedAt: Date | null;
  decidedAt: Date | null;
  decisionReason: string | null;
  createdAt: Date;
  hasCover: boolean;
};

export type Listing = {
  productId: string;
  revisionId: string;
  providerId: string;
  providerName: string;
  title: string;
  category: string;
  voucherKinds: VoucherKind[];
  priceFen: number;
  regions: string[];
  listedAt: Date;
  hasCover: boolean;
};

export type ListingFilter = {
  category?: string;
  kind?: VoucherKind;
  region?: string;
  minFen?: number;
  maxFen?: number;
  terms?: string[];
  providerId?: string;
  sort?: "newest" | "price_asc" | "price_desc";
};


export interface ProductRepository {
  create(providerId: string, input: ProductInput, coverSvg?: string | null): Promise<{ product: Product; revision: Revision }>;
  insertRevision(productId: string, v: ProductInput, coverSvg: string | null): Promise<Revision>;
  /** Saves a working revision; coverSvg undefined keeps the cover, null removes it. */
  updateRevision(id: string, v: ProductInput, coverSvg?: string | null): Promise<void>;
  coverSvg(revisionId: string): Promise<string | undefined>;
  /** The cover of a revision that is listed right now by an active provider. */
  listedCoverSvg(revisionId: string): Promise<string | undefined>;
  product(id: string, forUpdate?: boolean): Promise<Product | undefined>;
  revision(id: string | null): Promise<Revision | undefined>;
  ofProvider(providerId: string): Promise<(Product & { title: string; workingStatus: RevisionStatus; priceFen: number })[]>;
  setProduct(id: string, patch: { status?: ProductStatus; working?: string; listed?: string; listedAt?: Date }): Promise<void>;
  submitRevision(id: string, verdict: Verdict, reasons: unknown[], at: Date): Promise<void>;
  setRevisionStatus(id: string, status: RevisionStatus, decision?: { adminId: string; reason: string | null; at: Date }): Promise<void>;
  countListed(): Promise<number>;
  setFeatured(productId: string, at: Date | null): Promise<void>;
  /** Listed products picked for the home page (active providers only), newest pick first. */
  featured(limit: number): Promise<Listing[]>;
  upsertListing(productId: string, r: Revision, provider: { id: string; name: string }, at: Date): Promise<void>;
  deleteListing(productId: string): Promise<void>;
  /** Products of a provider that are 已上架 (status listed, with a listed revision) but have no listing row. */
  listedWithoutListing(providerId: string): Promise<Product[]>;
  pendingQueue(limit: number, offset: number): Promise<{ rows: Record<string, unknown>[]; total: number }>;
  /** A page of listings and, unless `count` is false (total -1), how many match. */
  listings(f: ListingFilter, limit: number, offset: number, opts?: { count?: boolean }): Promise<{ rows: Listing[]; total: number }>;
  listing(productId: string): Promise<Listing | undefined>;
}
export type ProductRepositoryFactory = (db: Db) => ProductRepository;
