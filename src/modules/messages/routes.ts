import { Hono } from "hono";
import { z } from "zod";
import { requireAccount, requireAdmin } from "../../web/guards.ts";
import { type AppEnv, type Ctx, clientIp, flash, formUploads, isHtmx, render, sendFile } from "../../web/http.ts";
import { enumFilter, enumFilterOr, enumOf, form, optionalText, pageNo, params, query, searchText, text, uuid } from "../../web/validate.ts";
import { checkCaptchaFormat } from "../identity/domain.ts";
import { CONTENT_MAX, CONTENT_MIN, MESSAGE_CATEGORIES, MESSAGE_STATUS_TEXT, REFERENCE_RE, REPLY_MAX } from "./domain.ts";

/**
 * Whether the form is shown as the dialog over another page (htmx from the header link) rather than
 * as the page /messages/new itself, where htmx also posts the form but 取消 has nothing to return to.
 */
function inDialog(c: Ctx): boolean {
  if (!isHtmx(c)) return false;
  try {
    return new URL(c.req.header("HX-Current-URL") ?? "").pathname !== "/messages/new";
  } catch {
    return true;
  }
}

type Status = 200 | 403 | 404 | 409 | 422 | 429;

const labels = {
  categories: MESSAGE_CATEGORIES,
  status: MESSAGE_STATUS_TEXT,
  contentMax: CONTENT_MAX,
  replyMax: REPLY_MAX,
  /** The first characters of a message for a list. */
  excerpt: (s: string, n = 30) => ([...s].length > n ? `${[...s].slice(0, n).join("")}…` : s),
};

export const MESSAGE_ACTION_TEXT: Record<string, string> = {
  message_sent: "提交留言",
  message_replied: "回复",
  message_closed: "关闭",
};

const keep = (s: string | undefined, n: number) => [...(s ?? "")].slice(0, n).join("");

const captchaFields = { captchaId: optionalText(100, "图形验证码"), captcha: optionalText(20, "图形验证码") };
/** 我要留言: single-field rules here; the service keeps the captcha, the attachment and the rate limits. */
const sendSchema = z.object({
  category: enumOf(MESSAGE_CATEGORIES, "请选择留言类别"),
  content: text({
    max: CONTENT_MAX,
    label: "留言内容",
    required: "请输入留言内容",
    min: CONTENT_MIN,
    maxMessage: (n) => `留言内容不能超过${CONTENT_MAX}个字（当前${n}个字）`,
  }),
  contactPhone: text({ max: 20, label: "联系电话", required: "请输入联系电话", maxMessage: "联系电话应为11位手机号，用于接收回复通知" }),
  ...captchaFields,
});
const lookupSchema = z.object({
  reference: text({ max: 20, label: "留言编号", required: "请输入留言编号", maxMessage: "留言编号为LY加8位数字" }),
  phone: text({ max: 20, label: "联系电话", required: "请输入联系电话", maxMessage: "联系电话应为11位手机号" }),
  ...captchaFields,
});
const replySchema = z.object({
  content: text({ max: REPLY_MAX, label: "回复内容", required: "请输入回复内容", maxMessage: (n) => `回复内容不能超过${REPLY_MAX}个字（当前${n}个字）` }),
});
const idParam = z.object({ id: uuid() });
const pageQuery = z.object({ page: pageNo });
const queueQuery = z.object({
  page: pageNo,
  status: enumFilterOr(MESSAGE_STATUS_TEXT, "pending"),
  category: enumFilter(MESSAGE_CATEGORIES),
  q: searchText(50),
});
/** The captcha's format message beside the other fields' (the answer itself is checked only once the form is valid). */
const withCaptchaFormat = (errors: Record<string, string>, answer: string | undefined) => {
  const format = checkCaptchaFormat((answer ?? "").trim());
  return format && !errors.captcha ? { ...errors, captcha: format } : errors;
};

export function messageRoutes() {
  const r = new Hono<AppEnv>();

  // ---- 我要留言: a dialog loaded by htmx from the header link, a page of its own without JavaScript ----
  const formPage = async (c: Ctx, values: Record<string, string> = {}, errors: Record<string, string> = {}, status: Status = 200) => {
    const account = c.var.viewer.account;
    c.header("Vary", "HX-Request");
    return render(
      c,
      "public/message-form",
      {
        title: "我要留言",
        values: { contactPhone: account?.phone ?? "", ...values },
        errors,
        signedIn: !!account,
        captchaId: account ? "" : await c.var.deps.identity.issueCaptcha(),
        inline: inDialog(c),
        labels,
      },
      status,
    );
  };
  r.get("/messages/new", (c) => formPage(c));
  const kept = (f: { category?: string; content?: string; contactPhone?: string }) => ({
    category: keep(f.category, 20),
    content: keep(f.content, CONTENT_MAX + 200),
    contactPhone: keep(f.contactPhone, 20),
  });
  r.post(
    "/messages",
    form(sendSchema, async (c: Ctx, errors, values) => {
      const [attachment] = await formUploads(c, "attachment");
      const all = c.var.viewer.account ? errors : withCaptchaFormat(errors, values.captcha);
      return formPage(c, { ...kept(values), ...(attachment ? { attachmentDropped: "yes" } : {}) }, all, 422);
    }),
    async (c) => {
      const f = c.req.valid("form");
      const [attachment] = await formUploads(c, "attachment");
      const account = c.var.viewer.account;
      const res = await c.var.deps.messages.send(
        account ? { accountId: account.id } : null,
        {
          category: f.category,
          content: f.content,
          contactPhone: f.contactPhone,
          captcha: { id: f.captchaId, answer: f.captcha },
          attachment: attachment ?? null,
        },
        { ip: clientIp(c), requestId: c.var.requestId },
      );
      if (!res.ok) {
        const values: Record<string, string> = kept(f);
        // The browser does not keep a chosen file across the error page: say so beside the upload.
        if (attachment && !res.errors.attachment) values.attachmentDropped = "yes";
        return formPage(c, values, res.errors, res.status as Status);
      }
      return c.redirect(`/messages/sent?ref=${res.value.reference}`, 303);
    },
  );
  r.get("/messages/sent", query(z.object({ ref: searchText(20) })), (c) => {
    const reference = c.req.valid("query").ref;
    if (!REFERENCE_RE.test(reference)) return c.redirect("/messages/new", 303);
    c.header("Vary", "HX-Request");
    return render(c, "public/message-sent", { title: "留言已提交", reference, signedIn: !!c.var.viewer.account, inline: inDialog(c) });
  });

  // ---- 留言查询: anonymous authors read the replies with 留言编号 and 联系电话 ----
  const lookupPage = async (c: Ctx, values: Record<string, string> = {}, errors: Record<string, string> = {}, status: Status = 200, result?: unknown) =>
    render(
      c,
      "public/message-lookup",
      { title: "查询留言回复", values, errors, result, captchaId: await c.var.deps.identity.issueCaptcha(), labels },
      status,
    );
  r.get("/messages/lookup", (c) => lookupPage(c));
  r.post(
    "/messages/lookup",
    form(lookupSchema, (c: Ctx, errors, values) =>
      lookupPage(c, { reference: keep(values.reference, 20), phone: keep(values.phone, 20) }, withCaptchaFormat(errors, values.captcha), 422),
    ),
    async (c) => {
      const f = c.req.valid("form");
      const values = { reference: keep(f.reference, 20), phone: keep(f.phone, 20) };
      const res = await c.var.deps.messages.lookup(
        { reference: f.reference, phone: f.phone, captcha: { id: f.captchaId, answer: f.captcha } },
        { ip: clientIp(c) },
      );
      if (!res.ok) return lookupPage(c, values, res.errors, res.status as Status);
      // A query, not a change: the result is shown in the answer to the POST (the captcha is one-time).
      c.header("Cache-Control", "no-store");
      return lookupPage(c, values, {}, 200, res.value);
    },
  );

  // ---- 个人中心: 我的留言 ----
  const notFound = (c: Ctx) => render(c, "errors/404", { title: "留言不存在" }, 404);
  const id = params(idParam, notFound);
  r.get("/me/messages", requireAccount, query(pageQuery), async (c) => {
    const list = await c.var.deps.messages.mine(c.var.viewer.account!.id, c.req.valid("query").page);
    const { page: pageNo, ...rest } = list;
    return render(c, "me/messages", { title: "我的留言", menu: "messages", ...rest, pageNo, labels });
  });
  r.get("/me/messages/:id", requireAccount, id, async (c) => {
    const res = await c.var.deps.messages.mineDetail(c.var.viewer.account!.id, c.req.valid("param").id);
    if (!res.ok) return notFound(c);
    return render(c, "me/message", { title: `留言 ${res.value.message.reference}`, menu: "messages", ...res.value, labels });
  });
  r.get(
    "/me/messages/:id/attachment",
    requireAccount,
    params(idParam, (c: Ctx) => render(c, "errors/404", { title: "文件不存在" }, 404)),
    async (c) => {
      const found = await c.var.deps.messages.authorAttachment(c.var.viewer.account!.id, c.req.valid("param").id);
      if (!found) return render(c, "errors/404", { title: "文件不存在" }, 404);
      return sendFile(c, found);
    },
  );

  // ---- 管理端: 留言管理 (operator, super_admin) ----
  r.get("/admin/messages", requireAdmin("operator", "super_admin"), query(queueQuery), async (c) => {
    const q = c.req.valid("query");
    const filter = { status: q.status || undefined, category: q.category, keyword: q.q || undefined };
    const res = await c.var.deps.messages.queue(c.var.viewer.admin!, filter, q.page);
    if (!res.ok) return render(c, "errors/403", { title: "无权访问", message: res.errors._form }, 403);
    const link = new URLSearchParams({ status: q.status });
    if (filter.category) link.set("category", filter.category);
    if (filter.keyword) link.set("q", filter.keyword);
    const { page: pageNo, ...rest } = res.value;
    return render(c, "admin/messages", {
      title: "留言管理",
      ...rest,
      pageNo,
      q: { status: q.status, category: filter.category ?? "", q: filter.keyword ?? "" },
      query: link.toString(),
      labels,
    });
  });
  const detailPage = async (c: Ctx, values: Record<string, string> = {}, errors: Record<string, string> = {}, status: Status = 200) => {
    const res = await c.var.deps.messages.detail(c.var.viewer.admin!, c.req.param("id") ?? "");
    if (!res.ok) {
      const notFound = res.status === 404;
      return render(
        c,
        notFound ? "errors/404" : "errors/403",
        { title: notFound ? "留言不存在" : "无权访问", message: res.errors._form },
        notFound ? 404 : 403,
      );
    }
    return render(
      c,
      "admin/message",
      { title: `留言详情 ${res.value.message.reference}`, ...res.value, values, errors, labels, actionText: MESSAGE_ACTION_TEXT },
      status,
    );
  };
  r.get("/admin/messages/:id", requireAdmin("operator", "super_admin"), id, (c) => detailPage(c));
  r.post(
    "/admin/messages/:id/reply",
    requireAdmin(),
    id,
    form(replySchema, (c: Ctx, errors, values) => detailPage(c, { content: keep(values.content, REPLY_MAX + 200) }, errors, 422)),
    async (c) => {
      const messageId = c.req.valid("param").id;
      const { content } = c.req.valid("form");
      const res = await c.var.deps.messages.reply(c.var.viewer.admin!, messageId, content, c.var.requestId);
      if (!res.ok) {
        if (res.status === 403) return render(c, "errors/403", { title: "无权操作", message: res.errors._form }, 403);
        return detailPage(c, { content: keep(content, REPLY_MAX + 200) }, res.errors, res.status as Status);
      }
      flash(c, "回复已发送，已短信通知留言人");
      return c.redirect(`/admin/messages/${messageId}`, 303);
    },
  );
  r.post("/admin/messages/:id/close", requireAdmin(), id, async (c) => {
    const messageId = c.req.valid("param").id;
    const res = await c.var.deps.messages.close(c.var.viewer.admin!, messageId, c.var.requestId);
    if (!res.ok) {
      if (res.status === 403) return render(c, "errors/403", { title: "无权操作", message: res.errors._form }, 403);
      return detailPage(c, {}, res.errors, res.status as Status);
    }
    flash(c, "留言已关闭");
    return c.redirect(`/admin/messages/${messageId}`, 303);
  });
  r.get(
    "/admin/messages/:id/attachment",
    requireAdmin("operator", "super_admin"),
    params(idParam, (c: Ctx) => render(c, "errors/404", { title: "文件不存在" }, 404)),
    async (c) => {
      const found = await c.var.deps.messages.staffAttachment(c.var.viewer.admin!, c.req.valid("param").id);
      if (!found) return render(c, "errors/404", { title: "文件不存在" }, 404);
      return sendFile(c, found);
    },
  );

  return r;
}
