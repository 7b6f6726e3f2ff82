import { Hono } from "hono";
import { requireAccount, requireAdmin } from "../../web/guards.ts";
import { type AppEnv, type Ctx, clientIp, flash, formFields, formUploads, isHtmx, render, sendFile } from "../../web/http.ts";
import { CONTENT_MAX, MESSAGE_CATEGORIES, MESSAGE_STATUS_TEXT, REFERENCE_RE, REPLY_MAX, type MessageCategory, type MessageStatus } from "./domain.ts";

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
  r.post("/messages", async (c) => {
    const f = await formFields(c);
    const [attachment] = await formUploads(c, "attachment");
    const account = c.var.viewer.account;
    const res = await c.var.deps.messages.send(
      account ? { accountId: account.id } : null,
      {
        category: f.category,
        content: f.content,
        contactPhone: f.contactPhone,
        captcha: { id: f.captchaId ?? "", answer: f.captcha ?? "" },
        attachment: attachment ?? null,
      },
      { ip: clientIp(c), requestId: c.var.requestId },
    );
    if (!res.ok) {
      const values: Record<string, string> = { category: keep(f.category, 20), content: keep(f.content, CONTENT_MAX + 200), contactPhone: keep(f.contactPhone, 20) };
      // The browser does not keep a chosen file across the error page: say so beside the upload.
      if (attachment && !res.errors.attachment) values.attachmentDropped = "yes";
      return formPage(c, values, res.errors, res.status as Status);
    }
    return c.redirect(`/messages/sent?ref=${res.value.reference}`, 303);
  });
  r.get("/messages/sent", (c) => {
    const reference = c.req.query("ref") ?? "";
    if (!REFERENCE_RE.test(reference)) return c.redirect("/messages/new", 303);
    c.header("Vary", "HX-Request");
    return render(c, "public/message-sent", { title: "留言已提交", reference, signedIn: !!c.var.viewer.account, inline: inDialog(c) });
  });

  // ---- 留言查询: anonymous authors read the replies with 留言编号 and 联系电话 ----
  const lookupPage = async (c: Ctx, values: Record<string, string> = {}, errors: Record<string, string> = {}, status: Status = 200, result?: unknown) =>
    render(c, "public/message-lookup", { title: "查询留言回复", values, errors, result, captchaId: await c.var.deps.identity.issueCaptcha(), labels }, status);
  r.get("/messages/lookup", (c) => lookupPage(c));
  r.post("/messages/lookup", async (c) => {
    const f = await formFields(c);
    const values = { reference: keep(f.reference, 20), phone: keep(f.phone, 20) };
    const res = await c.var.deps.messages.lookup(
      { reference: f.reference, phone: f.phone, captcha: { id: f.captchaId ?? "", answer: f.captcha ?? "" } },
      { ip: clientIp(c) },
    );
    if (!res.ok) return lookupPage(c, values, res.errors, res.status as Status);
    // A query, not a change: the result is shown in the answer to the POST (the captcha is one-time).
    c.header("Cache-Control", "no-store");
    return lookupPage(c, values, {}, 200, res.value);
  });

  // ---- 个人中心: 我的留言 ----
  r.get("/me/messages", requireAccount, async (c) => {
    const list = await c.var.deps.messages.mine(c.var.viewer.account!.id, Number(c.req.query("page") ?? 1));
    const { page: pageNo, ...rest } = list;
    return render(c, "me/messages", { title: "我的留言", menu: "messages", ...rest, pageNo, labels });
  });
  r.get("/me/messages/:id", requireAccount, async (c) => {
    const res = await c.var.deps.messages.mineDetail(c.var.viewer.account!.id, c.req.param("id"));
    if (!res.ok) return render(c, "errors/404", { title: "留言不存在" }, 404);
    return render(c, "me/message", { title: `留言 ${res.value.message.reference}`, menu: "messages", ...res.value, labels });
  });
  r.get("/me/messages/:id/attachment", requireAccount, async (c) => {
    const found = await c.var.deps.messages.authorAttachment(c.var.viewer.account!.id, c.req.param("id"));
    if (!found) return render(c, "errors/404", { title: "文件不存在" }, 404);
    return sendFile(c, found);
  });

  // ---- 管理端: 留言管理 (operator, super_admin) ----
  r.get("/admin/messages", requireAdmin("operator", "super_admin"), async (c) => {
    const q = c.req.query();
    const status = q.status === undefined ? "pending" : q.status;
    const filter = {
      status: Object.hasOwn(MESSAGE_STATUS_TEXT, status) ? (status as MessageStatus) : undefined,
      category: q.category && Object.hasOwn(MESSAGE_CATEGORIES, q.category) ? (q.category as MessageCategory) : undefined,
      keyword: (q.q ?? "").trim().slice(0, 50) || undefined,
    };
    const res = await c.var.deps.messages.queue(c.var.viewer.admin!, filter, Number(q.page ?? 1));
    if (!res.ok) return render(c, "errors/403", { title: "无权访问", message: res.errors._form }, 403);
    const params = new URLSearchParams({ status });
    if (filter.category) params.set("category", filter.category);
    if (filter.keyword) params.set("q", filter.keyword);
    const { page: pageNo, ...rest } = res.value;
    return render(c, "admin/messages", { title: "留言管理", ...rest, pageNo, q: { status, category: filter.category ?? "", q: filter.keyword ?? "" }, query: params.toString(), labels });
  });
  const detailPage = async (c: Ctx, values: Record<string, string> = {}, errors: Record<string, string> = {}, status: Status = 200) => {
    const res = await c.var.deps.messages.detail(c.var.viewer.admin!, c.req.param("id") ?? "");
    if (!res.ok) {
      const notFound = res.status === 404;
      return render(c, notFound ? "errors/404" : "errors/403", { title: notFound ? "留言不存在" : "无权访问", message: res.errors._form }, notFound ? 404 : 403);
    }
    return render(c, "admin/message", { title: `留言详情 ${res.value.message.reference}`, ...res.value, values, errors, labels, actionText: MESSAGE_ACTION_TEXT }, status);
  };
  r.get("/admin/messages/:id", requireAdmin("operator", "super_admin"), (c) => detailPage(c));
  r.post("/admin/messages/:id/reply", requireAdmin(), async (c) => {
    const f = await formFields(c);
    const res = await c.var.deps.messages.reply(c.var.viewer.admin!, c.req.param("id"), f.content ?? "", c.var.requestId);
    if (!res.ok) {
      if (res.status === 403) return render(c, "errors/403", { title: "无权操作", message: res.errors._form }, 403);
      return detailPage(c, { content: keep(f.content, REPLY_MAX + 200) }, res.errors, res.status as Status);
    }
    flash(c, "回复已发送，已短信通知留言人");
    return c.redirect(`/admin/messages/${c.req.param("id")}`, 303);
  });
  r.post("/admin/messages/:id/close", requireAdmin(), async (c) => {
    const res = await c.var.deps.messages.close(c.var.viewer.admin!, c.req.param("id"), c.var.requestId);
    if (!res.ok) {
      if (res.status === 403) return render(c, "errors/403", { title: "无权操作", message: res.errors._form }, 403);
      return detailPage(c, {}, res.errors, res.status as Status);
    }
    flash(c, "留言已关闭");
    return c.redirect(`/admin/messages/${c.req.param("id")}`, 303);
  });
  r.get("/admin/messages/:id/attachment", requireAdmin("operator", "super_admin"), async (c) => {
    const found = await c.var.deps.messages.staffAttachment(c.var.viewer.admin!, c.req.param("id"));
    if (!found) return render(c, "errors/404", { title: "文件不存在" }, 404);
    return sendFile(c, found);
  });

  return r;
}
