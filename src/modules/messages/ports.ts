import type { Db } from "../../ports/db.ts";
import type { MessageCategory, MessageStatus } from "./domain.ts";

export type Message = {
  id: string;
  reference: string;
  category: MessageCategory;
  content: string;
  contactPhone: string;
  /** Null for an anonymous visitor. */
  accountId: string | null;
  enterpriseId: string | null;
  /** The author's enterprise name when the message was sent. */
  authorName: string | null;
  attachmentFileId: string | null;
  status: MessageStatus;
  createdAt: Date;
  updatedAt: Date;
  lastRepliedAt: Date | null;
  closedAt: Date | null;
  closedBy: string | null;
};

export type MessageReply = { id: number; messageId: string; adminId: string; content: string; createdAt: Date };

export type NewMessage = Pick<
  Message,
  "reference" | "category" | "content" | "contactPhone" | "accountId" | "enterpriseId" | "authorName" | "attachmentFileId"
> & { at: Date };

/** `keyword`: a 留言编号 (exact), a mobile number (exact contact phone), or words in the content. */
export type MessageQueueFilter = { status?: MessageStatus; category?: MessageCategory; keyword?: string };

export interface MessageRepository {
  insert(m: NewMessage): Promise<Message>;
  byId(id: string, forUpdate?: boolean): Promise<Message | undefined>;
  byReference(reference: string): Promise<Message | undefined>;
  /** Newest first, filtered in SQL. */
  queue(f: MessageQueueFilter, limit: number, offset: number): Promise<{ rows: Message[]; total: number }>;
  ofAccount(accountId: string, limit: number, offset: number): Promise<{ rows: Message[]; total: number }>;
  replies(messageId: string): Promise<MessageReply[]>;
  addReply(r: { messageId: string; adminId: string; content: string; at: Date }): Promise<MessageReply>;
  setStatus(id: string, v: { status: MessageStatus; at: Date; replied?: boolean; closedBy?: string }): Promise<void>;
}

export type MessageRepositoryFactory = (db: Db) => MessageRepository;
