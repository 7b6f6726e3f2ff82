import { createHash } from "node:crypto";
import type { Db } from "../../ports/db.ts";
import type { FileStore } from "../../ports/files.ts";
import { randomToken } from "../../lib/random.ts";
import { type AllowedType, checkUpload, cleanFileName } from "./domain.ts";
import type { FileRepositoryFactory, StoredFile } from "./ports.ts";

export type FileReader = { enterpriseId?: string; adminRole?: string };

/** Staff roles that may read uploaded documents (certification review and later reviews). */
const STAFF_READERS = new Set(["reviewer", "super_admin"]);

export type Upload = { name: string; bytes: Uint8Array };

export function fileService(deps: { db: Db; store: FileStore; files: FileRepositoryFactory }) {
  return {
    /** Checks content and size; a message for the user, or null. Nothing is stored. */
    check(upload: Upload): string | null {
      const r = checkUpload(upload.name, upload.bytes);
      return r.ok ? null : r.message;
    },

    /**
     * Stores an upload owned by an enterprise. The bytes go to the file store under a random key,
     * the metadata row is written with the caller's transaction handle when given.
     */
    async store(
      tx: Db | null,
      input: Upload & { ownerEnterpriseId: string | null; purpose: string; accountId: string | null },
    ): Promise<{ ok: true; file: StoredFile } | { ok: false; message: string }> {
      const r = checkUpload(input.name, input.bytes);
      if (!r.ok) return r;
      const key = randomToken(24);
      await deps.store.put(key, input.bytes);
      const file = await deps.files(tx ?? deps.db).insert({
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

    async meta(id: string): Promise<StoredFile | undefined> {
      return deps.files(deps.db).byId(id);
    },

    /** The file for a reader allowed to see it: its owner enterprise, or review staff. Otherwise undefined. */
    async read(id: string, reader: FileReader): Promise<{ file: StoredFile; bytes: Uint8Array } | undefined> {
      const file = await deps.files(deps.db).byId(id);
      if (!file) return undefined;
      const owner = !!reader.enterpriseId && reader.enterpriseId === file.ownerEnterpriseId;
      const staff = !!reader.adminRole && STAFF_READERS.has(reader.adminRole);
      if (!owner && !staff) return undefined;
      const bytes = await deps.store.get(file.storageKey);
      return bytes ? { file, bytes } : undefined;
    },

    /**
     * The file for a use case that has already decided the reader may see it (a public news
     * attachment, a message attachment shown to its author and to operators). Only the module that
     * links the file to its own record may call this, after its own authorisation check.
     */
    async readChecked(id: string): Promise<{ file: StoredFile; bytes: Uint8Array } | undefined> {
      const file = await deps.files(deps.db).byId(id);
      if (!file) return undefined;
      const bytes = await deps.store.get(file.storageKey);
      return bytes ? { file, bytes } : undefined;
    },
  };
}
export type FileService = ReturnType<typeof fileService>;
