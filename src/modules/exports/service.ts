/**
 * 导出 CSV / 导出 Excel of staff lists (docs/exports.md). A module declares an `ExportSource` for a
 * list (columns, readers, how to count and read its rows) and the composition root hands the sources
 * to this service. A small export answers at once as a download; a large one (more rows than
 * `directMaxRows`) is queued as a job on the job engine, shows its progress, and its file is kept
 * through the files module for `ttlHours`, readable only by the staff member who asked. An export
 * with more than `maxRows` rows, or whose list refuses the query (a required date range missing or
 * too long), is refused with a message and nothing is queued.
 */
import type { Db } from "../../ports/db.ts";
import type { Clock } from "../../ports/clock.ts";
import type { Jobs } from "../../ports/jobs.ts";
import type { Spreadsheets } from "../../ports/spreadsheets.ts";
import { type Result, fail, ok } from "../../lib/result.ts";
import type { Audit } from "../audit/service.ts";
import type { FileService } from "../files/service.ts";
import {
  CONTENT_TYPES,
  EXPORT_ACTIVE,
  EXPORT_FORMATS,
  type ExportFormat,
  type ExportLimits,
  type AnyExportSource as AnySource,
  type TableWriter,
  csvWriter,
  exportFileName,
  tooManyRows,
} from "./domain.ts";
import type { ExportJob, ExportJobRepositoryFactory } from "./ports.ts";

export { type AnyExportSource, type ExportSource, defineExport } from "./domain.ts";

/** The settings of exports (EXPORT_* in the configuration). */
export type ExportSettings = ExportLimits & {
  /** Hours a finished export's file is kept (then it expires and its bytes are removed). */
  ttlHours: number;
  /** Rows read per batch (and between two progress updates). */
  batchRows: number;
  /** Exports one staff member may have queued or running at once. */
  maxOpenPerStaff: number;
};

/** The job that writes one export (data: the export job's id). */
export const EXPORT_RUN_JOB = "exports-run";
/** The sweep: expired exports' files removed, queued jobs whose queueing was lost sent again. Hourly, minute 29. */
export const EXPORT_SWEEP_JOB = "exports-sweep";
export const EXPORT_SWEEP_CRON = "29 * * * *";
/** A job running longer than this without finishing is taken to have lost its worker and may be claimed again. */
const STALE_RUN_MS = 30 * 60_000;
/** A job still queued after this is sent to the engine again by the sweep. */
const STUCK_QUEUED_MS = 10 * 60_000;

type Staff = { id: string; role: string };
const EXPIRED = "导出文件已过期，请重新导出";

export type ExportFile = { name: string; fallbackName: string; contentType: string; bytes: Uint8Array; rows: number };
export type Prepared = ({ kind: "file" } & ExportFile) | { kind: "job"; total: number; title: string; listPath: string; directMaxRows: number };
export type ExportJobView = ExportJob & { title: string; listPath: string; active: boolean; downloadable: boolean; percent: number };

export type ExportDeps = {
  db: Db;
  clock: Clock;
  jobs: Jobs;
  files: FileService;
  audit: Audit;
  spreadsheets: Spreadsheets;
  exportRepo: ExportJobRepositoryFactory;
  settings: ExportSettings;
  sources: readonly AnySource[];
  log?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
};

const isFormat = (f: unknown): f is ExportFormat => typeof f === "string" && f in EXPORT_FORMATS;

export function exportService(deps: ExportDeps) {
  const registry = new Map<string, AnySource>();
  for (const s of deps.sources) {
    if (registry.has(s.key)) throw new Error(`two exports named ${s.key}`);
    // The key is stored in export_jobs.source (migration 0032 checks the same pattern).
    if (!/^[a-z][a-z0-9_]{0,39}$/.test(s.key)) throw new Error(`export key ${s.key} is not lower_snake_case`);
    registry.set(s.key, s);
  }
  const settings = deps.settings;
  const repo = () => deps.exportRepo(deps.db);

  function sourceFor(staff: Staff, key: string): Result<AnySource> {
    const source = registry.get(key);
    if (!source) return fail({ _form: "没有这个导出" }, 404);
    if (!source.readers.includes(staff.role)) return fail({ _form: `您的角色无权导出${source.title}` }, 403);
    return ok(source);
  }

  /** The source, the format and the row count, or why this export is refused (nothing written). */
  async function measure(staff: Staff, key: string, format: unknown, query: Record<string, unknown>) {
    const found = sourceFor(staff, key);
    if (!found.ok) return found;
    const source = found.value;
    if (!isFormat(format)) return fail({ _form: "导出格式只能是 CSV 或 Excel" }, 400);
    const refused = source.check?.(query, settings);
    if (refused) return fail({ _form: refused }, 422);
    const asOf = deps.clock.now();
    const total = await source.count(query, asOf);
    if (total > settings.maxRows) return fail({ _form: tooManyRows(total, settings.maxRows) }, 422);
    return ok({ source, format, asOf, total });
  }

  /** Reads the rows batch by batch into the format's writer; `onBatch` hears the rows done so far. */
  async function write(source: AnySource, format: ExportFormat, query: Record<string, unknown>, asOf: Date, onBatch?: (rows: number) => Promise<void>) {
    const writer: TableWriter =
      format === "csv" ? csvWriter(source.columns) : deps.spreadsheets.xlsx({ name: source.title, columns: source.columns, createdAt: asOf });
    let cursor: string | undefined;
    let rows = 0;
    do {
      const batch = await source.rows(query, asOf, settings.batchRows, cursor);
      for (const r of batch.rows) writer.add(source.columns.map((c) => c.value(r)));
      rows += batch.rows.length;
      cursor = batch.rows.length ? batch.cursor : undefined;
      await onBatch?.(rows);
    } while (cursor && rows < settings.maxRows);
    return { bytes: writer.finish(), rows };
  }

  const names = (source: AnySource, format: ExportFormat, at: Date) => ({
    name: exportFileName(source.title, at, format),
    fallbackName: exportFileName(source.key, at, format),
    contentType: CONTENT_TYPES[format],
  });

  const view = (job: ExportJob, now: Date): ExportJobView => {
    const source = registry.get(job.source);
    const downloadable = job.status === "done" && job.expiresAt > now;
    return {
      ...job,
      status: job.status === "done" && !downloadable ? "expired" : job.status,
      title: source?.title ?? job.source,
      listPath: source?.listPath ?? "/admin",
      active: EXPORT_ACTIVE.includes(job.status),
      downloadable,
      percent: job.status === "done" ? 100 : job.rowsTotal ? Math.min(99, Math.floor((job.rowsDone * 100) / job.rowsTotal)) : 0,
    };
  };

  const queueRun = async (id: string) => {
    try {
      await deps.jobs.send(EXPORT_RUN_JOB, { id });
    } catch (err) {
      deps.log?.warn({ err: String(err), exportId: id }, "export job not queued (the sweep sends it again)");
    }
  };

  const service = {
    /** The list page of an export (for 返回 links). */
    listPath(key: string): string {
      return registry.get(key)?.listPath ?? "/admin";
    },

    /** Whether this staff member may export the list (for the 导出 buttons). */
    mayExport(staff: Staff, key: string): boolean {
      return sourceFor(staff, key).ok;
    },

    /**
     * 导出 CSV / 导出 Excel of a list as its route parsed the query: the file itself when it has at most
     * `directMaxRows` rows (audited as `list_exported`), else what the confirmation of a background
     * export shows. Refused: a role that may not read the list (403), an unknown format (400), a query
     * the list refuses or more than `maxRows` rows (422).
     */
    async prepare(staff: Staff, key: string, format: unknown, query: Record<string, unknown>, requestId?: string): Promise<Result<Prepared>> {
      const m = await measure(staff, key, format, query);
      if (!m.ok) return m;
      const { source, asOf, total } = m.value;
      if (total > settings.directMaxRows) {
        return ok({ kind: "job", total, title: source.title, listPath: source.listPath, directMaxRows: settings.directMaxRows });
      }
      const { bytes, rows } = await write(source, m.value.format, query, asOf);
      await deps.audit.record(deps.db, {
        actorType: "admin",
        actorId: staff.id,
        entityType: "export",
        action: "list_exported",
        requestId,
        data: { source: source.key, format: m.value.format, rows, query },
      });
      return ok({ kind: "file", ...names(source, m.value.format, asOf), bytes, rows });
    },

    /**
     * Queues a background export (开始导出 on the confirmation): the same checks as `prepare`, and at
     * most `maxOpenPerStaff` of one's exports queued or running (429). The job row and its audit event
     * in one transaction; the engine is told after commit (the sweep re-sends a lost one).
     */
    async queue(staff: Staff, key: string, format: unknown, query: Record<string, unknown>, requestId?: string): Promise<Result<{ id: string }>> {
      const m = await measure(staff, key, format, query);
      if (!m.ok) return m;
      const { source, asOf, total } = m.value;
      const open = await repo().openCount(staff.id);
      if (open >= settings.maxOpenPerStaff) return fail({ _form: `您已有 ${open} 个导出正在生成，请等待完成后再导出` }, 429);
      const job = await deps.db.transaction(async (tx) => {
        const created = await deps.exportRepo(tx).insert({
          source: source.key,
          format: m.value.format,
          query,
          requestedBy: staff.id,
          rowsTotal: total,
          fileName: names(source, m.value.format, asOf).name,
          asOf,
          createdAt: asOf,
          expiresAt: new Date(asOf.getTime() + settings.ttlHours * 3600_000),
        });
        await deps.audit.record(tx, {
          actorType: "admin",
          actorId: staff.id,
          entityType: "export",
          entityId: created.id,
          action: "list_export_queued",
          requestId,
          data: { source: source.key, format: m.value.format, rows: total, query },
        });
        tx.afterCommit(() => queueRun(created.id));
        return created;
      });
      return ok({ id: job.id });
    },

    /** One export job for the staff member who asked (anyone else: 404, as for a missing one). */
    async job(staff: Staff, id: string): Promise<Result<ExportJobView>> {
      const job = await repo().byId(id);
      if (!job || job.requestedBy !== staff.id) return fail({ _form: "导出记录不存在" }, 404);
      return ok(view(job, deps.clock.now()));
    },

    /** 我的导出: the staff member's latest exports. */
    async mine(staff: Staff): Promise<ExportJobView[]> {
      const now = deps.clock.now();
      return (await repo().mine(staff.id, 20)).map((j) => view(j, now));
    },

    /** The finished export's file, for the staff member who asked; 409 while it is being written, 410 once it expired. */
    async download(staff: Staff, id: string): Promise<Result<ExportFile>> {
      const found = await service.job(staff, id);
      if (!found.ok) return found;
      const job = found.value;
      const source = registry.get(job.source);
      if (source && !source.readers.includes(staff.role)) return fail({ _form: `您的角色无权导出${source.title}` }, 403);
      if (job.active) return fail({ _form: "导出文件尚未生成完成，请稍后再试" }, 409);
      if (job.status === "failed") return fail({ _form: "导出失败，请重新导出" }, 409);
      if (!job.downloadable || !job.fileId) return fail({ _form: EXPIRED }, 410);
      const file = await deps.files.readChecked(job.fileId);
      if (!file) return fail({ _form: EXPIRED }, 410);
      return ok({
        name: job.fileName,
        fallbackName: exportFileName(source?.key ?? "export", job.asOf, job.format),
        contentType: CONTENT_TYPES[job.format],
        bytes: file.bytes,
        rows: job.rowsDone,
      });
    },

    /**
     * The worker: claims the job (a second delivery of a job already claimed does nothing), writes the
     * rows as they were at the request, updating the rows done after each batch, then stores the file
     * and marks the job done in one transaction. A failure marks it failed (the page says so).
     */
    async run(id: string): Promise<{ ran: boolean; rows?: number }> {
      const now = deps.clock.now();
      const job = await repo().claim(id, now, new Date(now.getTime() - STALE_RUN_MS));
      if (!job) return { ran: false };
      const source = registry.get(job.source);
      try {
        if (!source) throw new Error(`no export named ${job.source}`);
        const { bytes, rows } = await write(source, job.format, job.query, job.asOf, (n) => repo().progress(id, n));
        const at = deps.clock.now();
        await deps.db.transaction(async (tx) => {
          const file = await deps.files.storeGenerated(tx, {
            name: job.fileName,
            bytes,
            contentType: CONTENT_TYPES[job.format] as Parameters<FileService["storeGenerated"]>[1]["contentType"],
            purpose: "export",
          });
          const done = await deps
            .exportRepo(tx)
            .finish(id, { fileId: file.id, rowsDone: rows, at, expiresAt: new Date(at.getTime() + settings.ttlHours * 3600_000) });
          if (!done) throw new Error("the export job is no longer running");
        });
        deps.log?.info({ exportId: id, source: job.source, rows }, "export written");
        return { ran: true, rows };
      } catch (err) {
        deps.log?.error({ err: String(err), exportId: id }, "export failed");
        await repo().fail(id, "导出失败，请重新导出", deps.clock.now());
        return { ran: true };
      }
    },

    /** The hourly sweep: expired exports lose their file (row and bytes); jobs whose queueing was lost are sent again. */
    async sweep(): Promise<{ expired: number; resent: number }> {
      const now = deps.clock.now();
      let expired = 0;
      for (;;) {
        const n = await deps.db.transaction(async (tx) => {
          const due = await deps.exportRepo(tx).due(now, 100);
          for (const job of due) {
            await deps.exportRepo(tx).expire(job.id, now);
            if (job.fileId) await deps.files.removeGenerated(tx, job.fileId);
          }
          return due.length;
        });
        expired += n;
        if (n < 100) break;
      }
      const stuck = await repo().stuck(new Date(now.getTime() - STUCK_QUEUED_MS), 100);
      for (const id of stuck) await queueRun(id);
      return { expired, resent: stuck.length };
    },

    /** Registers the export worker and the sweep. Called by startJobs. */
    async startWorkers(): Promise<void> {
      await deps.jobs.work(EXPORT_RUN_JOB, async (job) => {
        await service.run(String(job.data.id ?? ""));
      });
      await deps.jobs.work(EXPORT_SWEEP_JOB, async () => {
        const run = await service.sweep();
        if (run.expired || run.resent) deps.log?.info(run, "exports swept");
      });
      await deps.jobs.schedule(EXPORT_SWEEP_JOB, EXPORT_SWEEP_CRON);
    },
  };
  return service;
}
export type ExportService = ReturnType<typeof exportService>;
