import type { Db } from "../../ports/db.ts";
import type { ExportFormat, ExportJobStatus } from "./domain.ts";

/** One export job (migration 0032): a large export running in the background, then its file until it expires. */
export type ExportJob = {
  id: string;
  source: string;
  format: ExportFormat;
  query: Record<string, unknown>;
  requestedBy: string;
  status: ExportJobStatus;
  rowsTotal: number;
  rowsDone: number;
  fileName: string;
  fileId: string | null;
  error: string | null;
  asOf: Date;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  expiresAt: Date;
};

export type NewExportJob = Pick<ExportJob, "source" | "format" | "query" | "requestedBy" | "rowsTotal" | "fileName" | "asOf" | "createdAt" | "expiresAt">;

export interface ExportJobRepository {
  insert(job: NewExportJob): Promise<ExportJob>;
  byId(id: string): Promise<ExportJob | undefined>;
  /** A staff member's latest jobs, newest first. */
  mine(staffId: string, limit: number): Promise<ExportJob[]>;
  /** How many of a staff member's jobs are queued or running. */
  openCount(staffId: string): Promise<number>;
  /**
   * Claims a job for a worker: a queued one, or one left running since before `staleBefore` (its
   * worker died); status running, rows done 0. Undefined when there is nothing to claim.
   */
  claim(id: string, at: Date, staleBefore: Date): Promise<ExportJob | undefined>;
  progress(id: string, rowsDone: number): Promise<void>;
  /** The job done with its file, its expiry counted from now. Only a running job. */
  finish(id: string, f: { fileId: string; rowsDone: number; at: Date; expiresAt: Date }): Promise<boolean>;
  fail(id: string, error: string, at: Date): Promise<void>;
  /** Jobs past their expiry that are not yet marked expired (oldest first, at most `limit`), locked. */
  due(now: Date, limit: number): Promise<ExportJob[]>;
  /** Marks a job expired and forgets its file. */
  expire(id: string, at: Date): Promise<void>;
  /** Jobs still queued since before `before` (their queueing may have been lost). */
  stuck(before: Date, limit: number): Promise<string[]>;
}
export type ExportJobRepositoryFactory = (db: Db) => ExportJobRepository;
