import { createHash } from "node:crypto";
import type { Db } from "../../ports/db.ts";
import type { FileStore, StoredKey } from "../../ports/files.ts";
import { randomToken } from "../../lib/random.ts";
import { type Audit, PROTECTED_DATA_READ } from "../audit/service.ts";
import { type AllowedType, GENERATED_TYPES, type GeneratedType, MAX_GENERATED_BYTES, checkUpload, cleanFileName } from "./domain.ts";
import type { FileRepositoryFactory, StoredFile } from "./ports.ts";

/** Who asks for a file: the signed-in enterprise, or a staff member (role, and id for the audit trail). */
export type FileReader = { enterpriseId?: string; adminRole?: string; adminId?: string };

/** Staff roles that may read uploaded documents (certification review and later reviews). */
const STAFF_READERS = new Set(["reviewer", "super_admin"]);

export type Upload = { name: string; bytes: Uint8Array };

/** Unreferenced bytes and temporaries younger than this are left alone (an upload may be mid-transaction). */
export const ORPHAN_MIN_AGE_MS = 60 * 60 * 1000;
export type SweepResult = { removed: number; promoted: number; kept: number };

export function fileService(deps: { db: Db; store: FileStore; fileRepo: FileRepositoryFactory; audit: Audit }) {
  const service = {
    /** Checks content and size; a message for the user, or null. Nothing is stored. */
    check(upload: Upload): string | null {
      const r = checkUpload(upload.name, upload.bytes);
      return r.ok ? null : r.message;
    },

    /**
     * Stores an upload owned by an enterprise. The bytes go to the file store under a random key as
     * a temporary, and the metadata row is written with the caller's transaction handle (or in a
     * transaction of its own when tx is null). The bytes are moved into place once that transaction
     * commits and removed when it rolls back; `sweepOrphans` finishes either if the process dies
     * in between.
     */
    async store(
      tx: Db | null,
      input: Upload & { ownerEnterpriseId: string | null; purpose: string; accountId: string | null },
    ): Promise<{ ok: true; file: StoredFile } | { ok: false; message: string }> {
      if (!tx) return deps.db.transaction((own) => service.store(own, input));
      const r = checkUpload(input.name, input.bytes);
      if (!r.ok) return r;
      const key = randomToken(24);
      await deps.store.putTemporary(key, input.bytes);
      tx.afterRollback(() => deps.store.discard(key));
      tx.afterCommit(() => deps.store.promote(key));
      const file = await deps.fileRepo(tx).insert({
        ownerEnterpriseId: input.ownerEnterpriseId,
        purpose: input.purpose,
        originalName: cleanFileName(input.name),
        contentType: r.type as AllowedType,
        sizeBytes: input.bytes.length,
        sha256: createHash("sha256").update(input.bytes).digest("hex"),
        storageKey: key,
        uploadedByAccount: input.accountId,
      });
      return { ok: true, file };
    },

    /**
     * `store` for several uploads in the caller's transaction: each checked (the first refused one
     * refuses all, nothing stored), the temporaries written side by side, the rows in one statement.
     * For bulk writes such as the demo's history (src/demo-history.ts).
     */
    async storeAll(
      tx: Db,
      inputs: readonly (Upload & { ownerEnterpriseId: string | null; purpose: string; accountId: string | null })[],
    ): Promise<{ ok: true; files: StoredFile[] } | { ok: false; message: string }> {
      const checked: { input: (typeof inputs)[number]; type: AllowedType; key: string }[] = [];
      for (const input of inputs) {
        const r = checkUpload(input.name, input.bytes);
        if (!r.ok) return r;
        checked.push({ input, type: r.type as AllowedType, key: randomToken(24) });
      }
      for (const c of checked) {
        tx.afterRollback(() => deps.store.discard(c.key));
        tx.afterCommit(() => deps.store.promote(c.key));
      }
      await Promise.all(checked.map((c) => deps.store.putTemporary(c.key, c.input.bytes)));
      const files = await deps.fileRepo(tx).insertMany(
        checked.map(({ input, type, key }) => ({
          ownerEnterpriseId: input.ownerEnterpriseId,
          purpose: input.purpose,
          originalName: cleanFileName(input.name),
          contentType: type,
          sizeBytes: input.bytes.length,
          sha256: createHash("sha256").update(input.bytes).digest("hex"),
          storageKey: key,
          uploadedByAccount: input.accountId,
        })),
      );
      return { ok: true, files };
    },

    /**
     * Stores a file the platform generated (a CSV or XLSX export) in the caller's transaction. The
     * bytes are written in place first (unlike an upload's temporary), so they are there the moment
     * the row commits and a reader who sees the row finds them; a rollback removes them, and the
     * orphan sweep removes them if the process dies first. No owner enterprise: the module that links
     * it decides who may read it (through `readChecked`).
     */
    async storeGenerated(tx: Db, input: { name: string; bytes: Uint8Array; contentType: GeneratedType; purpose: string }): Promise<StoredFile> {
      if (!GENERATED_TYPES.includes(input.contentType)) throw new Error(`not a generated file type: ${input.contentType}`);
      if (input.bytes.length === 0 || input.bytes.length > MAX_GENERATED_BYTES) throw new Error(`generated file of ${input.bytes.length} bytes`);
      const key = randomToken(24);
      await deps.store.put(key, input.bytes);
      tx.afterRollback(() => deps.store.delete(key));
      return deps.fileRepo(tx).insert({
        ownerEnterpriseId: null,
        purpose: input.purpose,
        originalName: cleanFileName(input.name),
        contentType: input.contentType,
        sizeBytes: input.bytes.length,
        sha256: createHash("sha256").update(input.bytes).digest("hex"),
        storageKey: key,
        uploadedByAccount: null,
      });
    },

    /**
     * Deletes a generated file (an export that expired) in the caller's transaction; its bytes are
     * removed after commit (the orphan sweep removes them if the process dies first). Uploads are
     * never deleted this way.
     */
    async removeGenerated(tx: Db, id: string): Promise<boolean> {
      const key = await deps.fileRepo(tx).deleteGenerated(id);
      if (key) tx.afterCommit(() => deps.store.delete(key));
      return !!key;
    },

    /**
     * The orphan sweep (a scheduled job): stored bytes that no file row references and temporaries
     * whose transaction never ended are removed once older than minAgeMs; a temporary whose row
     * did commit (the process died before moving it) is moved into place.
     */
    async sweepOrphans(opts: { now: Date; minAgeMs?: number }): Promise<SweepResult> {
      const cutoff = opts.now.getTime() - (opts.minAgeMs ?? ORPHAN_MIN_AGE_MS);
      const result: SweepResult = { removed: 0, promoted: 0, kept: 0 };
      const sweep = async (batch: StoredKey[]) => {
        const referenced = await deps.fileRepo(deps.db).referencedKeys(batch.map((k) => k.key));
        for (const k of batch) {
          const old = k.modifiedAt.getTime() < cutoff;
          if (referenced.has(k.key)) {
            if (k.temporary) {
              await deps.store.promote(k.key);
              result.promoted++;
            } else result.kept++;
          } else if (old) {
            await (k.temporary ? deps.store.discard(k.key) : deps.store.delete(k.key));
            result.removed++;
          } else result.kept++;
        }
      };
      let batch: StoredKey[] = [];
      for await (const k of deps.store.list()) {
        batch.push(k);
        if (batch.length === 500) {
          await sweep(batch);
          batch = [];
        }
      }
      await sweep(batch);
      return result;
    },

    async meta(id: string): Promise<StoredFile | undefined> {
      return deps.fileRepo(deps.db).byId(id);
    },

    /** The records of several files by id, in one statement (a page listing attachments); unknown ids are absent. */
    async metas(ids: readonly string[]): Promise<Map<string, StoredFile>> {
      if (!ids.length) return new Map();
      return new Map((await deps.fileRepo(deps.db).byIds(ids)).map((f) => [f.id, f]));
    },

    /**
     * The file for a reader allowed to see it: its owner enterprise, or review staff. Otherwise
     * undefined. A staff download (licences, certification and qualification documents) is audited
     * before the bytes are handed out.
     */
    async read(id: string, reader: FileReader, requestId?: string): Promise<{ file: StoredFile; bytes: Uint8Array } | undefined> {
      const file = await deps.fileRepo(deps.db).byId(id);
      if (!file) return undefined;
      const owner = !!reader.enterpriseId && reader.enterpriseId === file.ownerEnterpriseId;
      const staff = !!reader.adminRole && STAFF_READERS.has(reader.adminRole);
      if (!owner && !staff) return undefined;
      const bytes = await deps.store.get(file.storageKey);
      if (!bytes) return undefined;
      if (!owner) {
        await deps.audit.record(deps.db, {
          actorType: "admin",
          actorId: reader.adminId ?? null,
          entityType: PROTECTED_DATA_READ,
          entityId: file.ownerEnterpriseId,
          action: "file_downloaded",
          requestId,
          data: { fileId: file.id, purpose: file.purpose, name: file.originalName },
        });
      }
      return { file, bytes };
    },

    /**
     * The file for a use case that has already decided the reader may see it (a public news
     * attachment, a message attachment shown to its author and to operators). Only the module that
     * links the file to its own record may call this, after its own authorisation check.
     */
    async readChecked(id: string): Promise<{ file: StoredFile; bytes: Uint8Array } | undefined> {
      const file = await deps.fileRepo(deps.db).byId(id);
      if (!file) return undefined;
      const bytes = await deps.store.get(file.storageKey);
      return bytes ? { file, bytes } : undefined;
    },
  };
  return service;
}
export type FileService = ReturnType<typeof fileService>;
