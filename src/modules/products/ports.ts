import type { Db } from "../../ports/db.ts";
import type { ProductInput, ProductStatus, Verdict, VoucherKind } from "./domain.ts";

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
  /** 服务评价 of the product: how many reviews, and the overall average in tenths (47 = 4.7 分; null while there are none). */
  ratingCount: number;
  ratingTenths: number | null;
};

export type ListingFilter = {
  category?: string;
  /** Any of these categories (what a voucher can pay for); with `category` both apply. */
  categories?: string[];
  kind?: VoucherKind;
  region?: string;
  minFen?: number;
  maxFen?: number;
  terms?: string[];
  providerId?: string;
  /** `rating`: the highest average first, unrated last, ties newest first. */
  sort?: "newest" | "price_asc" | "price_desc" | "rating";
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
  /**
   * One more review of a product: its count and the sum of its scores (服务质量 + 服务时效 + 服务态度)
   * on the product, and the rounded average copied to its listing if it has one (an insert of the
   * listing takes it from the product). Run in the review's transaction.
   */
  addRating(productId: string, points: number): Promise<void>;
  deleteListing(productId: string): Promise<void>;
  /** Products of a provider that are 已上架 (status listed, with a listed revision) but have no listing row. */
  listedWithoutListing(providerId: string): Promise<Product[]>;
  pendingQueue(limit: number, offset: number): Promise<{ rows: Record<string, unknown>[]; total: number }>;
  /** A page of listings and, unless `count` is false (total -1), how many match. */
  listings(f: ListingFilter, limit: number, offset: number, opts?: { count?: boolean }): Promise<{ rows: Listing[]; total: number }>;
  /** The listing of a product by an active provider; `lock` takes a share lock on the listing row (a 下架 waits for the caller's transaction). */
  listing(productId: string, lock?: boolean): Promise<Listing | undefined>;
}
export type ProductRepositoryFactory = (db: Db) => ProductRepository;
