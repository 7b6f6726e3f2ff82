import { Hono } from "hono";
import { requireAccount, requireAdmin } from "../../web/guards.ts";
import { type AppEnv, type Ctx, flash, formFields, formList, formUploads, isHtmx, render } from "../../web/http.ts";
import { checkCoverSvg, coverText } from "./cover-svg.ts";
import type { CoverChange } from "./service.ts";
import { CITIES } from "../enterprises/domain.ts";
import { categoryNamer, regionName } from "../catalog/domain.ts";
import { PREREVIEW_TEXT, PRODUCT_STATUS_TEXT, VOUCHER_KIND_SERVICE_TEXT } from "./domain.ts";
import { fenToYuanInput } from "../vouchers/domain.ts";

type Status = 200 | 400 | 403 | 404 | 409 | 422;

const labels = {
  status: PRODUCT_STATUS_TEXT,
  kinds: VOUCHER_KIND_SERVICE_TEXT,
  verdict: PREREVIEW_TEXT,
  regions: [["450000", "广西全区"], ...CITIES.map((c) => [c.code, c.name])] as [string, string][],
  cities: CITIES,
  regionName,
  revisionStatus: { draft: "草稿", pending: "待审核", approved: "已通过", rejected: "已驳回", withdrawn: "已撤回", superseded: "已被新版本替代" } as Record<string, string>,
};

export const PRODUCT_ACTION_TEXT: Record<string, string> = {
  product_created: "创建产品",
  product_edited: "修改产品",
  product_submitted: "提交审核",
  product_withdraw: "撤回审核",
  product_delist: "下架",
  product_relist: "重新上架",
  product_approved: "审核通过（上架）",
  product_rejected: "审核驳回",
  product_featured: "推荐到首页",
  product_unfeatured: "取消推荐",
};

async function productForm(c: Ctx) {
  const f = await formFields(c);
  return {
    title: f.title ?? "", category: f.category ?? "", voucherKinds: await formList(c, "voucherKinds"), price: f.price ?? "", unit: f.unit ?? "",
    content: f.content ?? "", deliverables: f.deliverables ?? "", acceptance: f.acceptance ?? "", duration: f.duration ?? "", regions: await formList(c, "regions"),
  };
}

/**
 * The cover part of the product form: a chosen .svg file, a checked cover carried over from a
 * failed submission (so a user without JavaScript does not pick the file again), or 不使用封面.
 */
async function coverForm(c: Ctx, f: Record<string, string>): Promise<{ change: CoverChange; pending: string; error?: string }> {
  const [upload] = await formUploads(c, "cover");
  let text: string | undefined;
  if (upload) {
    const read = /\.svg$/i.test(upload.name) ? coverText(upload.bytes) : null;
    // An empty SVG fails the service's check, so the whole form is validated and nothing is saved.
    if (read === null) return { change: { svg: "" }, pending: "", error: "封面请选择SVG格式的图片（.svg，UTF-8编码）" };
    text = read;
  } else if (f.coverPending) text = f.coverPending;
  if (text !== undefined) {
    const checked = checkCoverSvg(text);
    return checked.ok ? { change: { svg: checked.svg }, pending: checked.svg } : { change: { svg: text }, pending: "", error: checked.message };
  }
  return { change: f.coverRemove === "yes" ? { remove: true } : undefined, pending: "" };
}

const formFromRevision = (r: { title: string; category: string; voucherKinds: string[]; priceFen: number; unit: string; content: string; deliverables: string; acceptance: string; duration: string; regions: string[] }) => ({
  title: r.title, category: r.category, voucherKinds: r.voucherKinds, price: fenToYuanInput(r.priceFen), unit: r.unit, content: r.content,
  deliverables: r.deliverables, acceptance: r.acceptance, duration: r.duration, regions: r.regions,
});

export function productRoutes() {
  const r = new Hono<AppEnv>();
  r.use("/provider/*", requireAccount);

  const refused = (c: Ctx, res: { status: number; errors: Record<string, string> }) =>
    render(c, res.status === 404 ? "errors/404" : "errors/403", { title: res.status === 404 ? "服务产品不存在" : "无权访问", message: res.errors._form }, res.status === 404 ? 404 : 403);

  // ---- 服务机构中心: 服务产品 ----
  r.get("/provider/products", async (c) => {
    const res = await c.var.deps.products.myProducts(c.var.viewer.account!.id);
    if (!res.ok) return refused(c, res);
    return render(c, "provider/products", { title: "服务产品", ...res.value, labels });
  });
  const editPage = async (c: Ctx, productId: string | null, form: Record<string, unknown> | null, errors: Record<string, string> = {}, status: Status = 200) => {
    const categories = await c.var.deps.catalog.categories();
    let state = null;
    if (productId) {
      const res = await c.var.deps.products.myProduct(c.var.viewer.account!.id, productId);
      if (!res.ok) return refused(c, res);
      state = res.value;
    } else {
      const res = await c.var.deps.products.myProducts(c.var.viewer.account!.id);
      if (!res.ok) return refused(c, res);
    }
    const f = form ?? (state ? formFromRevision(state.working) : { voucherKinds: ["general"], regions: ["450000"], unit: "项" });
    return render(c, "provider/product-form", { title: productId ? "编辑服务产品" : "发布服务产品", productId, state, form: f, errors, labels, categories }, status);
  };
  r.get("/provider/products/new", (c) => editPage(c, null, null));
  r.post("/provider/products/new", async (c) => {
    const f = await productForm(c);
    const cover = await coverForm(c, await formFields(c));
    const res = await c.var.deps.products.saveProduct(c.var.viewer.account!.id, null, f, cover.change, c.var.requestId);
    if (!res.ok) {
      if (res.status === 403) return refused(c, res);
      return editPage(c, null, { ...f, coverPending: cover.pending }, cover.error ? { ...res.errors, cover: cover.error } : res.errors, res.status as Status);
    }
    flash(c, "已保存为草稿。预览无误后请提交审核。");
    return c.redirect(`/provider/products/${res.value.productId}`, 303);
  });
  r.get("/provider/products/:id{[0-9a-f-]{36}}", (c) => editPage(c, c.req.param("id"), null));
  r.post("/provider/products/:id{[0-9a-f-]{36}}", async (c) => {
    const f = await productForm(c);
    const fields = await formFields(c);
    const cover = await coverForm(c, fields);
    const again = { ...f, coverPending: cover.pending, coverRemove: fields.coverRemove ?? "" };
    const res = await c.var.deps.products.saveProduct(c.var.viewer.account!.id, c.req.param("id"), f, cover.change, c.var.requestId);
    if (!res.ok) {
      if (res.status === 403 || res.status === 404) return refused(c, res);
      return editPage(c, c.req.param("id"), again, cover.error ? { ...res.errors, cover: cover.error } : res.errors, res.status as Status);
    }
    flash(c, "已保存");
    return c.redirect(`/provider/products/${res.value.productId}`, 303);
  });
  r.get("/provider/products/:id/preview", async (c) => {
    const res = await c.var.deps.products.myProduct(c.var.viewer.account!.id, c.req.param("id"));
    if (!res.ok) return refused(c, res);
    const categories = await c.var.deps.catalog.categories();
    return render(c, "public/product", {
      title: `预览：${res.value.working.title}`,
      preview: true,
      revision: res.value.working,
      provider: res.value.provider,
      priceFen: res.value.working.priceFen,
      productId: res.value.product.id,
      categoryName: categoryNamer(categories),
      labels,
      detail: { programmes: [], vouchers: [], enterpriseState: "anonymous" },
    });
  });
  r.post("/provider/products/:id/:action{submit|withdraw|delist|relist}", async (c) => {
    const action = c.req.param("action");
    const accountId = c.var.viewer.account!.id;
    const res = action === "submit" ? await c.var.deps.products.submit(accountId, c.req.param("id"), c.var.requestId) : await c.var.deps.products.providerAction(accountId, c.req.param("id"), action, c.var.requestId);
    if (!res.ok) {
      if (res.status === 403 || res.status === 404) return refused(c, res);
      flash(c, res.errors._form ?? "操作失败", "error");
    } else if (action === "submit") {
      flash(c, `已提交审核。自动预审结果：${PREREVIEW_TEXT[(res.value as { verdict: keyof typeof PREREVIEW_TEXT }).verdict]}，平台审核人员将作出决定。`);
    } else {
      flash(c, { withdraw: "已撤回，可修改后重新提交", delist: "已下架", relist: "已重新上架" }[action]!);
    }
    return c.redirect(`/provider/products/${c.req.param("id")}`, 303);
  });

  // ---- 管理端: 服务产品审核 ----
  r.get("/admin/products", requireAdmin("reviewer", "super_admin"), async (c) => {
    const res = await c.var.deps.products.productQueue(c.var.viewer.admin!, Number(c.req.query("page") ?? 1));
    if (!res.ok) return render(c, "errors/403", { title: "无权访问", message: res.errors._form }, 403);
    return render(c, "admin/products", { title: "服务产品审核", ...res.value, query: "", labels });
  });
  const reviewPage = async (c: Ctx, errors: Record<string, string> = {}, values: Record<string, string> = {}, status: Status = 200) => {
    const res = await c.var.deps.products.productReview(c.var.viewer.admin!, c.req.param("id") ?? "");
    if (!res.ok) return render(c, res.status === 404 ? "errors/404" : "errors/403", { title: res.status === 404 ? "服务产品不存在" : "无权访问", message: res.errors._form }, res.status as Status);
    const categories = await c.var.deps.catalog.categories();
    return render(c, "admin/product", { title: "服务产品审核", ...res.value, errors, values, labels, actionText: PRODUCT_ACTION_TEXT, categoryName: categoryNamer(categories) }, status);
  };
  r.get("/admin/products/:id", requireAdmin("reviewer", "super_admin"), (c) => reviewPage(c));
  r.post("/admin/products/:id/decision", requireAdmin(), async (c) => {
    const f = await formFields(c);
    const res = await c.var.deps.products.decideProduct(c.var.viewer.admin!, c.req.param("id"), { decision: f.decision ?? "", reason: f.reason ?? "" }, c.var.requestId);
    if (!res.ok) {
      if (res.status === 403) return render(c, "errors/403", { title: "无权操作", message: res.errors._form }, 403);
      return reviewPage(c, res.errors, f, res.status as Status);
    }
    flash(c, res.value.status === "approved" ? "已通过，产品已上架" : "已驳回");
    return c.redirect(`/admin/products/${c.req.param("id")}`, 303);
  });

  r.post("/admin/products/:id/feature", requireAdmin(), async (c) => {
    const f = await formFields(c);
    const res = await c.var.deps.products.setFeatured(c.var.viewer.admin!, c.req.param("id"), f.action === "feature", c.var.requestId);
    if (!res.ok) {
      if (res.status === 403 || res.status === 404) return render(c, res.status === 404 ? "errors/404" : "errors/403", { title: "无法操作", message: res.errors._form }, res.status);
      flash(c, res.errors._form ?? "操作失败", "error");
    } else flash(c, res.value.featured ? "已推荐到首页" : "已取消推荐");
    return c.redirect(`/admin/products/${c.req.param("id")}`, 303);
  });

  // ---- 封面: public for listed revisions; the owning provider and review staff for the others ----
  const sendCover = (c: Ctx, cover: { svg: string; public: boolean } | undefined) => {
    if (!cover) return c.body("", 404, { "Content-Type": "text/plain; charset=utf-8" });
    return c.body(cover.svg, 200, {
      "Content-Type": "image/svg+xml",
      // An SVG opened on its own is a document: no script, no requests, sandboxed.
      "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
      "X-Content-Type-Options": "nosniff",
      "Cache-Control": cover.public ? "public, max-age=86400" : "private, no-store",
    });
  };
  const coverId = (c: Ctx) => (c.req.param("file") ?? "").slice(0, 36);
  r.get("/covers/:file{[0-9a-f-]{36}\\.svg}", async (c) => sendCover(c, await c.var.deps.products.cover(coverId(c), { accountId: c.var.viewer.account?.id })));
  r.get("/admin/covers/:file{[0-9a-f-]{36}\\.svg}", requireAdmin("reviewer", "super_admin"), async (c) =>
    sendCover(c, await c.var.deps.products.cover(coverId(c), { staff: c.var.viewer.admin! })),
  );

  // ---- 公众端: 服务产品列表与详情 ----
  const list = (kind?: "general" | "special") => async (c: Ctx) => {
    const q = c.req.query();
    const data = await c.var.deps.products.listings({ ...q, kind: kind ?? q.kind });
    const params = new URLSearchParams();
    for (const k of ["category", "region", "min", "max", "q", "sort"]) if (q[k]) params.set(k, q[k]!);
    if (!kind && q.kind) params.set("kind", q.kind);
    const base = kind === "general" ? "/services/general" : kind === "special" ? "/services/special" : "/services";
    c.header("Vary", "HX-Request");
    const view = isHtmx(c) && c.req.header("HX-Target") === "results" ? "public/product-results" : "public/products";
    return render(c, view, {
      title: kind ? VOUCHER_KIND_SERVICE_TEXT[kind] : "全部服务",
      kind: kind ?? "",
      base,
      q,
      query: params.toString(),
      ...data,
      labels,
      categoryName: categoryNamer(data.categories),
    });
  };
  r.get("/services", list());
  r.get("/services/general", list("general"));
  r.get("/services/special", list("special"));

  r.get("/products/:id", async (c) => {
    const detail = await c.var.deps.products.productDetail(c.req.param("id"), c.var.viewer.account?.id);
    if (!detail) return render(c, "errors/404", { title: "服务产品不存在" }, 404);
    const categories = await c.var.deps.catalog.categories();
    return render(c, "public/product", {
      title: detail.revision.title,
      preview: false,
      revision: detail.revision,
      provider: detail.provider,
      priceFen: detail.listing.priceFen,
      productId: detail.listing.productId,
      detail,
      labels,
      categoryName: categoryNamer(categories),
    });
  });
  r.post("/products/:id/apply", requireAccount, (c) => {
    flash(c, "在线下单功能即将开放。开放后，点击“申请服务”即可进入订单详情、勾选使用补贴券并提交订单。", "info");
    return c.redirect(`/products/${c.req.param("id")}`, 303);
  });
  return r;
}
