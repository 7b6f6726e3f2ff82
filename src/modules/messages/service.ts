import type { Cache } from "../../ports/cache.ts";
import type { Clock } from "../../ports/clock.ts";
import { type Db, UniqueViolation } from "../../ports/db.ts";
import type { SmsSender } from "../../ports/sms.ts";
import { pageOf, pagesOf } from "../../lib/paging.ts";
import { randomDigits } from "../../lib/random.ts";
import { type FieldErrors, type Result, fail, ok } from "../../lib/result.ts";
import type { Audit } from "../audit/service.ts";
import type { EnterpriseService } from "../enterprises/service.ts";
import type { FileService, Upload } from "../files/service.ts";
import { PHONE_RE, checkCaptchaFormat, normalisePhone } from "../identity/domain.ts";
import type { CaptchaInput, IdentityService } from "../identity/service.ts";
import {
  type MessageCategory,
  type MessageInput,
  MESSAGE_CATEGORIES,
  MESSAGE_STATUS_TEXT,
  type MessageStatus,
  RATE_LIMITS,
  REFERENCE_RE,
  checkMessage,
  checkReply,
  messageReference,
  normaliseReference,
  replyNotice,
  transition,
} from "./domain.ts";
import type { Message, MessageQueueFilter, MessageReply, MessageRepositoryFactory } from "./ports.ts";

export type MessageDeps = {
  db: Db;
  cache: Cache;
  clock: Clock;
  sms: SmsSender;
  messageRepo: MessageRepositoryFactory;
  identity: Pick<IdentityService, "checkCaptcha" | "admin">;
  enterprises: Pick<EnterpriseService, "ofAccount">;
  files: FileService;
  audit: Audit;
  log?: { warn(obj: object, msg?: string): void };
  /** Told in the transaction of a new message (bound by the composition root: 兑付公示's objections). */
  posted?: (tx: Db, m: { messageId: string; text: string }) => Promise<void>;
};

export type Staff = { id: string; role: string };
/** Author of a message: a signed-in account, or null for an anonymous visitor. */
export type Author = { accountId: string } | null;

const canHandle = (role: string) => role === "operator" || role === "super_admin";
const NO_ROLE = "只有运营人员或超级管理员可以处理留言";
const NOT_FOUND = "留言不存在";
const PAGE_SIZE = 20;

export type SendInput = {
  category?: string;
  content?: string;
  contactPhone?: string;
  /** Required from anonymous visitors. */
  captcha?: CaptchaInput;
  attachment?: Upload | null;
};

/** The messages module's public surface: 我要留言, 我的留言, 留言查询 and the operators' queue. */
export function messageService(deps: MessageDeps) {
  const { db } = deps;
  const now = () => deps.clock.now();

  /** Stores the message (and its attachment) with its audit event; a new reference if one collides. */
  async function create(
    author: Author,
    enterprise: { id: string; name: string } | undefined,
    v: MessageInput,
    attachment: Upload | null,
    requestId?: string,
  ) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await db.transaction(async (tx): Promise<Result<Message>> => {
          let attachmentFileId: string | null = null;
          if (attachment) {
            const stored = await deps.files.store(tx, {
              ...attachment,
              ownerEnterpriseId: enterprise?.id ?? null,
              purpose: "message",
              accountId: author?.accountId ?? null,
            });
            if (!stored.ok) return fail({ attachment: stored.message });
            attachmentFileId = stored.file.id;
          }
          const m = await deps.messageRepo(tx).insert({
            reference: messageReference(randomDigits(8)),
            ...v,
            accountId: author?.accountId ?? null,
            enterpriseId: enterprise?.id ?? null,
            authorName: enterprise?.name ?? null,
            attachmentFileId,
            at: now(),
          });
          await deps.audit.record(tx, {
            actorType: "account",
            actorId: author?.accountId ?? null,
            entityType: "message",
            entityId: m.id,
            action: "message_sent",
            toStatus: "pending",
            requestId,
            data: { reference: m.reference, category: m.category, anonymous: !author, attachment: !!attachmentFileId },
          });
          // A message naming a 兑付 application in 公示 is an objection: the settlement module pauses it in this transaction.
          if (deps.posted) await deps.posted(tx, { messageId: m.reference, text: m.content });
          return ok(m);
        });
      } catch (err) {
        if (err instanceof UniqueViolation && attempt < 3) continue;
        throw err;
      }
    }
  }

  async function replyAuthors(replies: MessageReply[]) {
    const names = new Map<string, string>();
    for (const id of new Set(replies.map((r) => r.adminId))) names.set(id, (await deps.identity.admin(id))?.displayName ?? "平台人员");
    return replies.map((r) => ({ ...r, adminName: names.get(r.adminId)! }));
  }

  /** The message when this account wrote it; anyone else gets undefined (shown as 404). */
  async function ownMessage(accountId: string, id: string) {
    const m = await deps.messageRepo(db).byId(id);
    return m && m.accountId === accountId ? m : undefined;
  }

  const pages = (total: number) => pagesOf(total, PAGE_SIZE);

  return {
    /**
     * 我要留言: anyone may write; an anonymous visitor solves the graphic captcha. Limited per IP
     * (anonymous) or per account (signed in). Nothing is stored unless everything is valid.
     */
    async send(author: Author, input: SendInput, meta: { ip: string; requestId?: string }): Promise<Result<{ id: string; reference: string }>> {
      const checked = checkMessage(input);
      const errors: FieldErrors = checked.ok ? {} : { ...checked.errors };
      const attachment = input.attachment && input.attachment.bytes.length > 0 ? input.attachment : null;
      if (attachment) {
        const msg = deps.files.check(attachment);
        if (msg) errors.attachment = msg;
      }
      if (!author) {
        const format = checkCaptchaFormat((input.captcha?.answer ?? "").trim());
        if (format) errors.captcha = format;
      }
      if (!checked.ok || Object.keys(errors).length) return fail(errors);
      if (!author) {
        const captchaError = await deps.identity.checkCaptcha(input.captcha ?? { id: "", answer: "" });
        if (captchaError) return fail({ captcha: captchaError });
      }
      const [key, limit] = author
        ? [`messages:account:${author.accountId}`, RATE_LIMITS.accountPerHour]
        : [`messages:ip:${meta.ip}`, RATE_LIMITS.anonymousPerHour];
      if ((await deps.cache.incr(key, 3600)) > limit) return fail({ _form: "留言过于频繁，请1小时后再试" }, 429);
      const enterprise = author ? await deps.enterprises.ofAccount(author.accountId) : undefined;
      const res = await create(author, enterprise, checked.value, attachment, meta.requestId);
      return res.ok ? ok({ id: res.value.id, reference: res.value.reference }) : res;
    },

    /** 我的留言: the account's own messages, newest first. */
    async mine(accountId: string, page = 1) {
      const pg = pageOf(page);
      const { rows, total } = await deps.messageRepo(db).ofAccount(accountId, PAGE_SIZE, (pg - 1) * PAGE_SIZE);
      return { rows, total, page: pg, pages: pages(total) };
    },

    /** One of the account's own messages with the replies; another account's message is not found. */
    async mineDetail(
      accountId: string,
      id: string,
    ): Promise<Result<{ message: Message; replies: MessageReply[]; attachment: Awaited<ReturnType<FileService["meta"]>> }>> {
      const message = await ownMessage(accountId, id);
      if (!message) return fail({ _form: NOT_FOUND }, 404);
      const [replies, attachment] = await Promise.all([
        deps.messageRepo(db).replies(message.id),
        message.attachmentFileId ? deps.files.meta(message.attachmentFileId) : undefined,
      ]);
      return ok({ message, replies, attachment });
    },

    /** The attachment for its author. */
    async authorAttachment(accountId: string, id: string) {
      const message = await ownMessage(accountId, id);
      if (!message?.attachmentFileId) return undefined;
      return deps.files.readChecked(message.attachmentFileId);
    },

    /**
     * 留言查询: an anonymous author reads the replies with the 留言编号 and the 联系电话 given,
     * after a captcha; limited per IP. A wrong pair gets one message whichever part was wrong.
     */
    async lookup(
      input: { reference?: string; phone?: string; captcha?: CaptchaInput },
      meta: { ip: string },
    ): Promise<Result<{ message: Message; replies: MessageReply[] }>> {
      const reference = normaliseReference(input.reference ?? "");
      const phone = normalisePhone(input.phone ?? "");
      const errors: FieldErrors = {};
      if (!reference) errors.reference = "请输入留言编号";
      else if (!REFERENCE_RE.test(reference)) errors.reference = "留言编号为LY加8位数字";
      if (!phone) errors.phone = "请输入联系电话";
      else if (!PHONE_RE.test(phone)) errors.phone = "联系电话应为11位手机号";
      const format = checkCaptchaFormat((input.captcha?.answer ?? "").trim());
      if (format) errors.captcha = format;
      if (Object.keys(errors).length) return fail(errors);
      const captchaError = await deps.identity.checkCaptcha(input.captcha!);
      if (captchaError) return fail({ captcha: captchaError });
      if ((await deps.cache.incr(`messages:lookup:${meta.ip}`, 3600)) > RATE_LIMITS.lookupPerHour) {
        return fail({ _form: "查询过于频繁，请1小时后再试" }, 429);
      }
      const message = await deps.messageRepo(db).byReference(reference);
      if (!message || message.contactPhone !== phone) return fail({ _form: "未找到该留言，请核对留言编号和联系电话" }, 404);
      if (message.accountId) return fail({ _form: "该留言由登录用户提交，请登录后在“个人中心-我的留言”查看" }, 409);
      return ok({ message, replies: await deps.messageRepo(db).replies(message.id) });
    },

    // ---- operators (operator, super_admin) ----

    async queue(staff: Staff, f: MessageQueueFilter, page = 1) {
      if (!canHandle(staff.role)) return fail({ _form: NO_ROLE }, 403);
      const pg = pageOf(page);
      const { rows, total } = await deps.messageRepo(db).queue(f, PAGE_SIZE, (pg - 1) * PAGE_SIZE);
      return ok({ rows, total, page: pg, pages: pages(total) });
    },

    async detail(staff: Staff, id: string) {
      if (!canHandle(staff.role)) return fail({ _form: NO_ROLE }, 403);
      const message = await deps.messageRepo(db).byId(id);
      if (!message) return fail({ _form: NOT_FOUND }, 404);
      const [replies, attachment, timeline] = await Promise.all([
        deps.messageRepo(db).replies(message.id).then(replyAuthors),
        message.attachmentFileId ? deps.files.meta(message.attachmentFileId) : undefined,
        deps.audit.forEntity(db, "message", message.id),
      ]);
      return ok({ message, replies, attachment, timeline });
    },

    async staffAttachment(staff: Staff, id: string) {
      if (!canHandle(staff.role)) return undefined;
      const message = await deps.messageRepo(db).byId(id);
      if (!message?.attachmentFileId) return undefined;
      return deps.files.readChecked(message.attachmentFileId);
    },

    /** 回复: recorded as a new reply (several allowed); refused once closed. The author gets an SMS notice. */
    async reply(staff: Staff, id: string, content: string, requestId?: string): Promise<Result<{ status: MessageStatus }>> {
      if (!canHandle(staff.role)) return fail({ _form: NO_ROLE }, 403);
      const checked = checkReply(content);
      if (!checked.ok) return checked;
      const res = await db.transaction(async (tx): Promise<Result<Message>> => {
        const m = await deps.messageRepo(tx).byId(id, true);
        if (!m) return fail({ _form: NOT_FOUND }, 404);
        const next = transition(m.status, "reply");
        if (!next.ok) return next;
        const at = now();
        const reply = await deps.messageRepo(tx).addReply({ messageId: m.id, adminId: staff.id, content: checked.value, at });
        await deps.messageRepo(tx).setStatus(m.id, { status: next.value, at, replied: true });
        await deps.audit.record(tx, {
          actorType: "admin",
          actorId: staff.id,
          entityType: "message",
          entityId: m.id,
          action: "message_replied",
          fromStatus: m.status,
          toStatus: next.value,
          requestId,
          data: { replyId: reply.id },
        });
        return ok(m);
      });
      if (!res.ok) return res;
      // After the commit: a failing gateway never undoes the reply (the author still sees it).
      try {
        await deps.sms.send(res.value.contactPhone, replyNotice(res.value.reference, !!res.value.accountId));
      } catch (err) {
        deps.log?.warn({ messageId: res.value.id, err: String(err) }, "reply notice SMS not sent");
      }
      return ok({ status: "replied" });
    },

    /** 关闭: from 待回复 or 已回复; a closed message takes no more replies. */
    async close(staff: Staff, id: string, requestId?: string): Promise<Result<{ status: MessageStatus }>> {
      if (!canHandle(staff.role)) return fail({ _form: NO_ROLE }, 403);
      return db.transaction(async (tx) => {
        const m = await deps.messageRepo(tx).byId(id, true);
        if (!m) return fail({ _form: NOT_FOUND }, 404);
        const next = transition(m.status, "close");
        if (!next.ok) return next;
        await deps.messageRepo(tx).setStatus(m.id, { status: next.value, at: now(), closedBy: staff.id });
        await deps.audit.record(tx, {
          actorType: "admin",
          actorId: staff.id,
          entityType: "message",
          entityId: m.id,
          action: "message_closed",
          fromStatus: m.status,
          toStatus: next.value,
          requestId,
        });
        return ok({ status: next.value });
      });
    },

    /** Demo data only: a message without captcha or rate limit. Never called by a route. */
    async seedMessage(author: Author, input: { category: MessageCategory; content: string; contactPhone: string }) {
      const checked = checkMessage(input);
      if (!checked.ok) throw new Error(`demo message invalid: ${JSON.stringify(checked.errors)}`);
      const enterprise = author ? await deps.enterprises.ofAccount(author.accountId) : undefined;
      const res = await create(author, enterprise, checked.value, null, undefined);
      if (!res.ok) throw new Error("demo message not stored");
      return res.value;
    },

    async count(): Promise<number> {
      return (await deps.messageRepo(db).queue({}, 1, 0)).total;
    },
  };
}
export type MessageService = ReturnType<typeof messageService>;
export { MESSAGE_CATEGORIES, MESSAGE_STATUS_TEXT };
