import type { Db } from "../../ports/db.ts";
import type { Article, ArticleInput, ArticleKind, ArticleStatus } from "./domain.ts";

export type ArticleRow = Article & { attachmentIds: string[] };
export type PublicFilter = { kind?: ArticleKind; now: Date };
export type HomeItem = { id: string; title: string; kind: ArticleKind; publishedAt: Date; pinned: boolean };

export interface ArticleRepository {
  insert(a: ArticleInput, adminId: string): Promise<Article>;
  update(id: string, a: ArticleInput, adminId: string): Promise<void>;
  byId(id: string, forUpdate?: boolean): Promise<ArticleRow | undefined>;
  bySlug(slug: string): Promise<Article | undefined>;
  setStatus(id: string, v: { status: ArticleStatus; publishedAt: Date | null; adminId: string }): Promise<void>;
  setPinned(id: string, pinned: boolean, adminId: string): Promise<void>;
  /** Appends files to the article's attachments, after those it has. */
  attach(id: string, fileIds: string[]): Promise<void>;
  detach(id: string, fileIds: string[]): Promise<void>;
  /** Staff list, newest change first. */
  list(f: { status?: ArticleStatus }, limit: number, offset: number): Promise<{ rows: Article[]; total: number }>;
  /** Published and due: pinned first, then newest. */
  listPublic(f: PublicFilter, limit: number, offset: number): Promise<{ rows: Article[]; total: number }>;
  /** Whether the file is attached to an article that is published and due. */
  isPublicAttachment(fileId: string, now: Date): Promise<boolean>;
  /** Whether the file is attached to any article. */
  isAttachment(fileId: string): Promise<boolean>;
}

export type ArticleRepositoryFactory = (db: Db) => ArticleRepository;
