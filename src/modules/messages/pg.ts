import type { Db } from "../../ports/db.ts";
import { camelRow } from "../../lib/rows.ts";
import type { Message, MessageReply, MessageRepository } from "./ports.ts";

const COLUMNS = `id, reference, category, content, contact_phone, account_id, enterprise_id, author_name, attachment_file_id,
  status, created_at, updated_at, last_replied_at, closed_at, closed_by`;
const isUuid = (id: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);

export function pgMessages(db: Db): MessageRepository {
  const page = async (where: string, params: unknown[], limit: number, offset: number) => {
    const rows = await db.query(
      `select ${COLUMNS} from messages ${where} order by created_at desc, id desc limit $${params.length + 1} offset $${params.length + 2}`,
      [...params, limit, offset],
    );
    const [count] = await db.query<{ n: number }>(`select count(*)::int as n from messages ${where}`, params);
    return { rows: rows.map((r) => camelRow<Message>(r)), total: count!.n };
  };
  return {
    async insert(m) {
      const [row] = await db.query(
        `insert into messages (reference, category, content, contact_phone, account_id, enterprise_id, author_name, attachment_file_id,
           created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) returning ${COLUMNS}`,
        [m.reference, m.category, m.content, m.contactPhone, m.accountId, m.enterpriseId, m.authorName, m.attachmentFileId, m.at],
      );
      return camelRow<Message>(row!);
    },
    async byId(id, forUpdate = false) {
      if (!isUuid(id)) return undefined;
      const [row] = await db.query(`select ${COLUMNS} from messages where id = $1${forUpdate ? " for update" : ""}`, [id]);
      return row && camelRow<Message>(row);
    },
    async byReference(reference) {
      const [row] = await db.query(`select ${COLUMNS} from messages where reference = $1`, [reference]);
      return row && camelRow<Message>(row);
    },
    async queue(f, limit, offset) {
      const where: string[] = [];
      const params: unknown[] = [];
      if (f.status) {
        params.push(f.status);
        where.push(`status = $${params.length}`);
      }
      if (f.category) {
        params.push(f.category);
        where.push(`category = $${params.length}`);
      }
      const k = f.keyword?.trim();
      if (k) {
        if (/^LY\d{8}$/i.test(k)) {
          params.push(k.toUpperCase());
          where.push(`reference = $${params.length}`);
        } else if (/^1\d{10}$/.test(k)) {
          params.push(k);
          where.push(`contact_phone = $${params.length}`);
        } else {
          params.push(`%${k.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`);
          where.push(`content ilike $${params.length}`);
        }
      }
      return page(where.length ? `where ${where.join(" and ")}` : "", params, limit, offset);
    },
    async ofAccount(accountId, limit, offset) {
      return page("where account_id = $1", [accountId], limit, offset);
    },
    async replies(messageId) {
      const rows = await db.query("select id, message_id, admin_id, content, created_at from message_replies where message_id = $1 order by id", [
        messageId,
      ]);
      return rows.map((r) => camelRow<MessageReply>(r));
    },
    async addReply(r) {
      const [row] = await db.query(
        `insert into message_replies (message_id, admin_id, content, created_at) values ($1, $2, $3, $4)
         returning id, message_id, admin_id, content, created_at`,
        [r.messageId, r.adminId, r.content, r.at],
      );
      return camelRow<MessageReply>(row!);
    },
    async setStatus(id, v) {
      await db.query(
        `update messages set status = $2, updated_at = $3,
           last_replied_at = case when $4::boolean then $3 else last_replied_at end,
           closed_at = case when $2 = 'closed' then $3 else null end,
           closed_by = case when $2 = 'closed' then $5::uuid else null end
         where id = $1`,
        [id, v.status, v.at, !!v.replied, v.closedBy ?? null],
      );
    },
  };
}
