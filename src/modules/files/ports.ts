import type { Db } from "../../ports/db.ts";
import type { AllowedType, GeneratedType } from "./domain.ts";

export type StoredFile = {
  id: string;
  ownerEnterpriseId: string | null;
  purpose: string;
  originalName: string;
  contentType: AllowedType | GeneratedType;
  sizeBytes: number;
  sha256: string;
  storageKey: string;
  createdAt: Date;
};

export interface FileRepository {
  insert(f: Omit<StoredFile, "id" | "createdAt"> & { uploadedByAccount: string | null }): Promise<StoredFile>;
  /** Several rows in one statement, returned in the order given. */
  insertMany(fs: readonly (Omit<StoredFile, "id" | "createdAt"> & { uploadedByAccount: string | null })[]): Promise<StoredFile[]>;
  byId(id: string): Promise<StoredFile | undefined>;
  /** These files in one statement (unknown ids left out). */
  byIds(ids: readonly string[]): Promise<StoredFile[]>;
  /** Deletes the row of a generated file (CSV, XLSX); its storage key, or undefined when there was none. */
  deleteGenerated(id: string): Promise<string | undefined>;
  /** Which of these storage keys a file row references. */
  referencedKeys(keys: string[]): Promise<Set<string>>;
}
export type FileRepositoryFactory = (db: Db) => FileRepository;
