import type { Db } from "../../ports/db.ts";
import { pgArray } from "../../lib/rows.ts";
import { type AllowedType, GENERATED_TYPES, type GeneratedType } from "./domain.ts";
import type { FileRepository, StoredFile } from "./ports.ts";

type Row = {
  id: string;
  owner_enterprise_id: string | null;
  purpose: string;
  original_name: string;
  content_type: AllowedType | GeneratedType;
  size_bytes: number;
  sha256: string;
  storage_key: string;
  created_at: Date;
};
const COLUMNS = "id, owner_enterprise_id, purpose, original_name, content_type, size_bytes, sha256, storage_key, created_at";
const toFile = (r: Row): StoredFile => ({
  id: r.id,
  ownerEnterpriseId: r.owner_enterprise_id,
  purpose: r.purpose,
  originalName: r.original_name,
  contentType: r.content_type,
  sizeBytes: r.size_bytes,
  sha256: r.sha256,
  storageKey: r.storage_key,
  createdAt: r.created_at,
});

export function pgFiles(db: Db): FileRepository {
  return {
    async insert(f) {
      const [row] = await db.query<Row>(
        `insert into files (owner_enterprise_id, purpose, original_name, content_type, size_bytes, sha256, storage_key, uploaded_by_account)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning ${COLUMNS}`,
        [f.ownerEnterpriseId, f.purpose, f.originalName, f.contentType, f.sizeBytes, f.sha256, f.storageKey, f.uploadedByAccount],
      );
      return toFile(row!);
    },
    async insertMany(fs) {
      if (!fs.length) return [];
      const rows = await db.query<Row>(
        `insert into files (owner_enterprise_id, purpose, original_name, content_type, size_bytes, sha256, storage_key, uploaded_by_account)
         select x.o, x.p, x.n, x.t, x.s, x.h, x.k, x.a
           from jsonb_to_recordset($1::text::jsonb) as x(i int, o uuid, p text, n text, t text, s bigint, h text, k text, a uuid)
          order by x.i
         returning ${COLUMNS}`,
        [
          JSON.stringify(
            fs.map((f, i) => ({
              i,
              o: f.ownerEnterpriseId,
              p: f.purpose,
              n: f.originalName,
              t: f.contentType,
              s: f.sizeBytes,
              h: f.sha256,
              k: f.storageKey,
              a: f.uploadedByAccount,
            })),
          ),
        ],
      );
      const byKey = new Map(rows.map((r) => [r.storage_key, toFile(r)]));
      return fs.map((f) => byKey.get(f.storageKey)!);
    },
    async byId(id) {
      if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
      const [row] = await db.query<Row>(`select ${COLUMNS} from files where id = $1`, [id]);
      return row && toFile(row);
    },
    async byIds(ids) {
      const valid = ids.filter((id) => /^[0-9a-f-]{36}$/i.test(id));
      if (!valid.length) return [];
      const rows = await db.query<Row>(`select ${COLUMNS} from files where id = any($1::uuid[])`, [pgArray(valid)]);
      return rows.map(toFile);
    },
    async deleteGenerated(id) {
      const [row] = await db.query<{ storage_key: string }>("delete from files where id = $1 and content_type = any($2::text[]) returning storage_key", [
        id,
        pgArray([...GENERATED_TYPES]),
      ]);
      return row?.storage_key;
    },
    async referencedKeys(keys) {
      if (!keys.length) return new Set();
      const rows = await db.query<{ storage_key: string }>("select storage_key from files where storage_key = any($1::text[])", [pgArray(keys)]);
      return new Set(rows.map((r) => r.storage_key));
    },
  };
}
