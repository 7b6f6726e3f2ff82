/**
 * Pure rules of 我要留言: categories, statuses and their transitions, field validation, the
 * reference format and the SMS notice text. No I/O.
 */
import { type FieldErrors, type Result, fail, ok } from "../../lib/result.ts";
import { PHONE_RE, normalisePhone } from "../identity/domain.ts";

export const MESSAGE_CATEGORIES = { question: "问题", suggestion: "建议", complaint: "投诉" } as const;
export type MessageCategory = keyof typeof MESSAGE_CATEGORIES;

export const MESSAGE_STATUS_TEXT = { pending: "待回复", replied: "已回复", closed: "已关闭" } as const;
export type MessageStatus = keyof typeof MESSAGE_STATUS_TEXT;

export const CONTENT_MIN = 5;
export const CONTENT_MAX = 2000;
export const REPLY_MAX = 2000;

/** Messages per hour: anonymous visitors per IP, signed-in authors per account; 留言查询 tries per IP. */
export const RATE_LIMITS = { anonymousPerHour: 5, accountPerHour: 10, lookupPerHour: 20 } as const;

const length = (s: string) => [...s].length;

/** Line breaks as \n, no control characters other than line breaks and tabs, no outer blanks. */
export function normaliseText(raw: string): string {
  return raw
    .normalize("NFC")
    .replace(/\r\n?/g, "\n")
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "")
    .trim();
}

export type MessageInput = { category: MessageCategory; content: string; contactPhone: string };

/** 留言类别, 留言内容 (5-2000 characters) and 联系电话 (a mainland mobile number, for the reply notice). */
export function checkMessage(f: { category?: string; content?: string; contactPhone?: string }): Result<MessageInput> {
  const errors: FieldErrors = {};
  const category = f.category ?? "";
  if (!Object.hasOwn(MESSAGE_CATEGORIES, category)) errors.category = "请选择留言类别";
  const content = normaliseText(f.content ?? "");
  if (!content) errors.content = "请输入留言内容";
  else if (length(content) < CONTENT_MIN) errors.content = `留言内容至少${CONTENT_MIN}个字`;
  else if (length(content) > CONTENT_MAX) errors.content = `留言内容不能超过${CONTENT_MAX}个字（当前${length(content)}个字）`;
  const contactPhone = normalisePhone(f.contactPhone ?? "");
  if (!contactPhone) errors.contactPhone = "请输入联系电话";
  else if (!PHONE_RE.test(contactPhone)) errors.contactPhone = "联系电话应为11位手机号，用于接收回复通知";
  if (Object.keys(errors).length) return fail(errors);
  return ok({ category: category as MessageCategory, content, contactPhone });
}

/** 回复: 1-2000 characters. */
export function checkReply(raw: string): Result<string> {
  const content = normaliseText(raw);
  if (!content) return fail({ content: "请输入回复内容" });
  if (length(content) > REPLY_MAX) return fail({ content: `回复内容不能超过${REPLY_MAX}个字（当前${length(content)}个字）` });
  return ok(content);
}

export type MessageAction = "reply" | "close";

/** The status after an operator's action, or 409 when the message is closed. */
export function transition(status: MessageStatus, action: MessageAction): Result<MessageStatus> {
  if (status === "closed") {
    return fail({ _form: action === "reply" ? "该留言已关闭，不能回复" : "该留言已关闭，无需重复关闭" }, 409);
  }
  return ok(action === "reply" ? "replied" : "closed");
}

/** 留言编号: LY and 8 digits (the digits from a cryptographic source, given by the caller). */
export const REFERENCE_RE = /^LY\d{8}$/;
export const messageReference = (digits8: string) => `LY${digits8}`;
/** Typed references are accepted in lower case and with blanks. */
export const normaliseReference = (raw: string) => raw.replace(/\s+/g, "").toUpperCase();

/** The SMS an author gets when a reply is posted (signed-in authors read it in 我的留言, others look it up). */
export function replyNotice(reference: string, signedIn: boolean): string {
  return signedIn
    ? `【服务券平台】您的留言（编号${reference}）已有回复，请登录平台在“个人中心-我的留言”查看。`
    : `【服务券平台】您的留言（编号${reference}）已有回复，请在平台“我要留言-查询回复”凭留言编号和联系电话查看。`;
}
