import { Hono } from "hono";
import { requireAccount, requireAdmin } from "../../web/guards.ts";
import { type AppEnv, type Ctx, flash, formFields, formList, formUploads, isHtmx, render } from "../../web/http.ts";
import { CITIES, SIZE_CLASSES, cityName } from "../enterprises/domain.ts";
import {
  APPLICATION_STATUS_TEXT,
  CARD_BUTTON_TEXT,
  CATEGORIES,
  LEDGER_KIND_TEXT,
  PROGRAMME_KINDS,
  PROGRAMME_STATUS_TEXT,
  type Programme,
  categoryName,
  fenToYuanInput,
  type QuotaApplicationStatus,
} from "./domain.ts";


type Status = 200 | 403 | 404 | 409 | 422;

const labels = {
  kinds: PROGRAMME_KINDS,
  programmeStatus: PROGRAMME_STATUS_TEXT,
  appStatus: APPLICATION_STATUS_TEXT,
  button: CARD_BUTTON_TEXT,
  ledgerKind: LEDGER_KIND_TEXT,
  categories: CATEGORIES,
  categoryName,
  sizes: SIZE_CLASSES,
  cities: CITIES,
  cityName,
  rate: (bp: number) => `${bp / 100}%`,
};

export const QUOTA_ACTION_TEXT: Record<string, string> = {
  quota_applied: "提交配额申请",
  quota_approved: "审核通过",
  quota_rejected: "审核驳回",
};

function programmeValues(p: Programme): Record<string, string> {
  return {
    year: String(p.year),
    kind: p.kind,
    name: p.name,
    description: p.description,
    subsidyRate: String(p.subsidyRateBp / 100),
    perOrderCap: fenToYuanInput(p.perOrderCapFen),
    quotaLarge: fenToYuanInput(p.quotaBySize.large),
    quotaMedium: fenToYuanInput(p.quotaBySize.medium),
    quotaSmall: fenToYuanInput(p.quotaBySize.small),
    quotaMicro: fenToYuanInput(p.quotaBySize.micro),
    specialMin: fenToYuanInput(p.specialMinFen),
    specialMax: fenToYuanInput(p.specialMaxFen),
    requiresDocuments: p.requiresDocuments ? "yes" : "",
    applyFrom: p.applyFrom,
    applyTo: p.applyTo,
    validFrom: p.validFrom,
    validTo: p.validTo,
    categories: p.categories.join(","),
    status: p.status,
    isExample: p.isExample ? "yes" : "",
  };
}

export function voucherRoutes() {
  const r = new Hono<AppEnv>();

  // ---- 服务券配额申请 ----
  r.get("/quota", (c) => c.redirect("/me/quota", 303));

  const gate = (c: Ctx, feature: string, menu: string) =>
    render(c, "me/gate", { title: feature, menu, feature, status: c.var.viewer.account!.certificationStatus });

  r.get("/me/quota", requireAccount, async (c) => {
    const data = await c.var.deps.vouchers.quotaCards(c.var.viewer.account!.id);
    if (!data.certified) return gate(c, "服务券配额申请", "quota");
    return render(c, "me/quota", { title: "服务券配额申请", menu: "quota", ...data, labels });
  });

  const applyPage = async (c: Ctx, values: Record<string, string> = {}, errors: Record<string, string> = {}, status: Status = 200) => {
    const account = c.var.viewer.account!;
    const data = await c.var.deps.vouchers.quotaCards(account.id);
    if (!data.certified) return gate(c, "服务券配额申请", "quota");
    const card = data.cards.find((x) => x.programme.id === c.req.param("id"));
    if (!card) return render(c, "errors/404", { title: "该服务券不存在" }, 404);
    if (card.state !== "apply" && card.state !== "rejected" && status === 200) {
      flash(c, `该服务券当前状态为“${CARD_BUTTON_TEXT[card.state]}”`, "info");
      // htmx would follow a 303 inside its request and swap nothing (the flash lost): send the whole page there.
      if (isHtmx(c)) {
        c.header("HX-Redirect", "/me/quota");
        return c.body(null, 204);
      }
      return c.redirect("/me/quota", 303);
    }
    return render(c, "me/quota-apply", { title: "服务券配额申请", menu: "quota", card, enterprise: data.enterprise, values, errors, labels }, status);
  };
  r.get("/me/quota/:id/apply", requireAccount, (c) => applyPage(c));
  r.post("/me/quota/:id/apply", requireAccount, async (c) => {
    const f = await formFields(c);
    const documents = await formUploads(c, "documents");
    const res = await c.var.deps.vouchers.apply(c.var.viewer.account!.id, c.req.param("id"), { amount: f.amount, documents }, c.var.requestId);
    if (!res.ok) {
      if (res.status === 403 || res.status === 404 || (res.status === 409 && res.errors._form)) {
        flash(c, res.errors._form ?? "无法申请", "error");
        return c.redirect("/me/quota", 303);
      }
      // The browser does not keep a chosen file across the 422 page: say so beside the upload.
      const values: Record<string, string> = { amount: f.amount ?? "" };
      if (documents.length > 0 && !res.errors.documents) values.documentsDropped = "yes";
      return applyPage(c, values, res.errors, res.status as Status);
    }
    flash(c, "配额成功！申请已提交，平台人员审核后即可去使用。");
    return c.redirect("/me/quota", 303);
  });

  // ---- 我的服务券 ----
  r.get("/me/vouchers", requireAccount, async (c) => {
    const account = c.var.viewer.account!;
    if (account.certificationStatus !== "certified") return gate(c, "我的服务券", "vouchers");
    const vouchers = await c.var.deps.vouchers.myVouchers(account.id);
    return render(c, "me/vouchers", { title: "我的服务券", menu: "vouchers", vouchers, labels });
  });

  // ---- 管理端: 券种 ----
  r.get("/admin/programmes", requireAdmin("super_admin", "reviewer"), async (c) => {
    return render(c, "admin/programmes", { title: "券种管理", programmes: await c.var.deps.vouchers.programmes(), labels, canEdit: c.var.viewer.admin!.role === "super_admin" });
  });
  const programmeForm = (c: Ctx, id: string | null, values: Record<string, string>, errors: Record<string, string> = {}, status: Status = 200) =>
    render(c, "admin/programme-form", { title: id ? "编辑券种" : "新建券种", id, values, errors, labels }, status);
  r.get("/admin/programmes/new", requireAdmin("super_admin"), (c) =>
    programmeForm(c, null, { year: String(new Date().getFullYear()), kind: "general", status: "draft" }),
  );
  r.get("/admin/programmes/:id{[0-9a-f-]{36}}", requireAdmin("super_admin"), async (c) => {
    const p = await c.var.deps.vouchers.programme(c.req.param("id"));
    if (!p) return render(c, "errors/404", { title: "券种不存在" }, 404);
    return programmeForm(c, p.id, programmeValues(p));
  });
  const saveProgramme = async (c: Ctx, id: string | null) => {
    const f = await formFields(c);
    f.categories = (await formList(c, "categories")).join(",");
    const res = await c.var.deps.vouchers.saveProgramme(c.var.viewer.admin!, id, f, c.var.requestId);
    if (!res.ok) {
      if (res.status === 403) return render(c, "errors/403", { title: "无权操作", message: res.errors._form }, 403);
      return programmeForm(c, id, f, res.errors, res.status as Status);
    }
    flash(c, "券种已保存");
    return c.redirect("/admin/programmes", 303);
  };
  r.post("/admin/programmes/new", requireAdmin(), (c) => saveProgramme(c, null));
  r.post("/admin/programmes/:id{[0-9a-f-]{36}}", requireAdmin(), (c) => saveProgramme(c, c.req.param("id")));

  // ---- 管理端: 年度额度分配 ----
  r.get("/admin/programmes/:id/allocation", requireAdmin("super_admin"), async (c) => {
    const p = await c.var.deps.vouchers.programme(c.req.param("id"));
    if (!p) return render(c, "errors/404", { title: "券种不存在" }, 404);
    return render(c, "admin/allocation", { title: "年度额度分配", programme: p, runs: await c.var.deps.vouchers.allocationRuns(p.id), labels });
  });
  r.post("/admin/programmes/:id/allocation", requireAdmin(), async (c) => {
    const res = await c.var.deps.vouchers.allocate(c.var.viewer.admin!, c.req.param("id"), c.var.requestId);
    if (!res.ok) {
      if (res.status === 403) return render(c, "errors/403", { title: "无权操作", message: res.errors._form }, 403);
      flash(c, res.errors._form ?? "分配失败", "error");
    } else {
      flash(c, `分配完成：符合条件的已认证企业 ${res.value.eligible} 家，新建配额申请 ${res.value.created} 条，已有申请跳过 ${res.value.eligible - res.value.created} 家。新建的申请待审核。`);
    }
    return c.redirect(`/admin/programmes/${c.req.param("id")}/allocation`, 303);
  });

  // ---- 管理端: 配额审核 ----
  r.get("/admin/quota", requireAdmin("reviewer", "super_admin"), async (c) => {
    const q = c.req.query();
    const status = q.status === undefined ? "pending" : q.status;
    const filter = {
      status: status in APPLICATION_STATUS_TEXT ? (status as QuotaApplicationStatus) : undefined,
      programmeId: q.programme && /^[0-9a-f-]{36}$/i.test(q.programme) ? q.programme : undefined,
      source: q.source === "self" || q.source === "allocation" ? (q.source as "self" | "allocation") : undefined,
      keyword: q.q ? q.q.slice(0, 50) : undefined,
    };
    const res = await c.var.deps.vouchers.reviewQueue(c.var.viewer.admin!, filter, Number(q.page ?? 1));
    if (!res.ok) return render(c, "errors/403", { title: "无权访问", message: res.errors._form }, 403);
    const params = new URLSearchParams();
    params.set("status", status);
    for (const k of ["programme", "source", "q"]) if (q[k]) params.set(k, q[k]!);
    const { page: pageNo, ...rest } = res.value;
    return render(c, "admin/quota", { title: "服务券配额审核", ...rest, pageNo, q: { ...q, status }, query: params.toString(), programmes: await c.var.deps.vouchers.programmes(), labels });
  });
  const quotaDetail = async (c: Ctx, errors: Record<string, string> = {}, values: Record<string, string> = {}, status: Status = 200) => {
    const res = await c.var.deps.vouchers.reviewDetail(c.var.viewer.admin!, c.req.param("id") ?? "");
    if (!res.ok) return render(c, res.status === 404 ? "errors/404" : "errors/403", { title: res.status === 404 ? "配额申请不存在" : "无权访问", message: res.errors._form }, res.status as Status);
    return render(c, "admin/quota-detail", { title: "配额申请详情", ...res.value, errors, values, labels, actionText: QUOTA_ACTION_TEXT }, status);
  };
  r.get("/admin/quota/:id", requireAdmin("reviewer", "super_admin"), (c) => quotaDetail(c));
  r.post("/admin/quota/:id/decision", requireAdmin(), async (c) => {
    const f = await formFields(c);
    const res = await c.var.deps.vouchers.decide(c.var.viewer.admin!, c.req.param("id"), { decision: f.decision ?? "", amount: f.amount ?? "", reason: f.reason ?? "" }, c.var.requestId);
    if (!res.ok) {
      if (res.status === 403) return render(c, "errors/403", { title: "无权操作", message: res.errors._form }, 403);
      return quotaDetail(c, res.errors, f, res.status as Status);
    }
    flash(c, res.value.status === "approved" ? "已通过该配额申请，服务券账户已开通" : "已驳回该配额申请");
    return c.redirect(`/admin/quota/${c.req.param("id")}`, 303);
  });

  return r;
}
