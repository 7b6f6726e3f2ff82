import { Hono } from "hono";
import { z } from "zod";
import { fenToYuanInput, parseYuanToFen, readYuan } from "../../lib/money.ts";
import { requireAccount, requireAdmin } from "../../web/guards.ts";
import { type AppEnv, type Ctx, flash, formList, formUploads, isHtmx, render } from "../../web/http.ts";
import { publicPage } from "../../web/page-cache.ts";
import {
  checkbox,
  enumFilter,
  enumList,
  enumOf,
  form,
  optionalText,
  pageNo,
  params,
  query,
  searchText,
  text,
  uuid,
  uuidFilter,
} from "../../web/validate.ts";
import { checkCoverSvg, coverText, COVER_MAX_BYTES } from "./cover-svg.ts";
import type { CoverChange } from "./service.ts";
import { CITIES } from "../enterprises/domain.ts";
import { categoryNamer, regionName } from "../catalog/domain.ts";
import { PREREVIEW_TEXT, PRODUCT_STATUS_TEXT, VOUCHER_KIND_SERVICE_TEXT, priceProblem } from "./domain.ts";

type Status = 200 | 400 | 403 | 404 | 409 | 422;

const labels = {
  status: PRODUCT_STATUS_TEXT,
  kinds: VOUCHER_KIND_SERVICE_TEXT,
  verdict: PREREVIEW_TEXT,
  regions: [["450000", "广西全区"], ...CITIES.map((c) => [c.code, c.name])] as [string, string][],
  cities: CITIES,
  regionName,
  revisionStatus: {
    draft: "草稿",
    pending: "待审核",
    approved: "已通过",
    rejected: "已驳回",
    withdrawn: "已撤回",
    superseded: "已被新版本替代",
  } as Record<string, string>,
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

/** 服务区域: 广西全区 or one of its cities. */
const REGION_TEXT: Record<string, string> = Object.fromEntries([["450000", "广西全区"], ...CITIES.map((c) => [c.code, c.name])]);
const CITY_TEXT: Record<string, string> = Object.fromEntries(CITIES.map((c) => [c.code, c.name]));
/** 排序 options of the public list (none: 最新上架); 评分 is the highest average first, unrated last, ties newest first. */
const SORT_TEXT = { price_asc: "价格从低到高", price_desc: "价格从高到低", rating: "评分从高到低" } as const;
const VERDICT_DECISION = { approve: "通过", reject: "驳回" } as const;

/** The product form: single-field rules here (the domain keeps the managed-list and whitespace rules). */
const productSchema = z.object({
  title: text({ max: 60, label: "产品名称", min: 4 }),
  category: text({ max: 40, label: "服务类别", required: "请选择服务类别" }),
  voucherKinds: enumList(VOUCHER_KIND_SERVICE_TEXT, "服务券类型不正确"),
  price: optionalText(40, "价格").transform((raw, ctx) => {
    const read = readYuan(raw);
    const problem = priceProblem(read);
    if (problem || !("fen" in read)) {
      ctx.addIssue({ code: "custom", message: problem ?? "价格应为金额（元），最多两位小数" });
      return z.NEVER;
    }
    return read.fen;
  }),
  unit: text({ max: 10, label: "计价单位", required: "请输入计价单位，如“项”“次”“套”" }),
  content: text({ max: 5000, label: "服务内容", min: 20 }),
  deliverables: optionalText(2000, "交付清单"),
  acceptance: optionalText(2000, "验收标准"),
  duration: optionalText(30, "服务周期"),
  regions: enumList(REGION_TEXT, "服务区域不正确"),
  /** A checked cover carried over from a failed submission (checked again by the service). */
  coverPending: searchText(COVER_MAX_BYTES + 1),
  coverRemove: checkbox,
});
type ProductFields = z.output<typeof productSchema>;
const toInput = (f: ProductFields) => ({
  title: f.title,
  category: f.category,
  voucherKinds: f.voucherKinds,
  priceFen: f.price,
  unit: f.unit,
  content: f.content,
  deliverables: f.deliverables,
  acceptance: f.acceptance,
  duration: f.duration,
  regions: f.regions,
});
const decisionSchema = z.object({
  decision: enumOf(VERDICT_DECISION, "请选择通过或驳回"),
  reason: optionalText(500, "原因"),
});
const idParam = z.object({ id: uuid() });
const listQuery = z.object({
  page: pageNo,
  category: searchText(40),
  kind: enumFilter(VOUCHER_KIND_SERVICE_TEXT),
  region: enumFilter(CITY_TEXT),
  min: searchText(20),
  max: searchText(20),
  q: searchText(50),
  sort: enumFilter(SORT_TEXT),
  provider: uuidFilter,
  /** 去使用: a voucher account of the signed-in enterprise (checked by the service). */
  voucher: searchText(40),
});
const pageQuery = z.object({ page: pageNo });
const featureSchema = z.object({ action: enumOf({ feature: "推荐", unfeature: "取消推荐" }, "操作不正确") });
/** An amount filter: fen when the text is an amount (lib/money.ts), otherwise no filter. */
/** The typed form as the page shows it again (the price in yuan as the service wants to redisplay it). */
const toForm = (f: ProductFields) => ({ ...toInput(f), price: fenToYuanInput(f.price) });
const fenFilter = (raw: string) => (raw ? (parseYuanToFen(raw) ?? undefined) : undefined);

/**
 * The cover part of the product form: a chosen .svg file, a checked cover carried over from a
 * failed submission (so a user without JavaScript does not pick the file again), or 不使用封面.
 */
async function coverForm(
  c: Ctx,
  f: { coverPending?: string; coverRemove?: boolean | string },
): Promise<{ change: CoverChange; pending: string; error?: string }> {
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
  return { change: f.coverRemove === true || f.coverRemove === "yes" ? { remove: true } : undefined, pending: "" };
}

const formFromRevision = (r: {
  title: string;
  category: string;
  voucherKinds: readonly string[];
  priceFen: number;
  unit: string;
  content: string;
  deliverables: string;
  acceptance: string;
  duration: string;
  regions: readonly string[];
}) => ({
  title: r.title,
  category: r.category,
  voucherKinds: r.voucherKinds,
  price: fenToYuanInput(r.priceFen),
  unit: r.unit,
  content: r.content,
  deliverables: r.deliverables,
  acceptance: r.acceptance,
  duration: r.duration,
  regions: r.regions,
});

export function productRoutes() {
  const r = new Hono<AppEnv>();
  r.use("/provider/*", requireAccount);

  const refused = (c: Ctx, res: { status: number; errors: Record<string, string> }) =>
    render(
      c,
      res.status === 404 ? "errors/404" : "errors/403",
      { title: res.status === 404 ? "服务产品不存在" : "无权访问", message: res.errors._form },
      res.status === 404 ? 404 : 403,
    );
  const notFound = (c: Ctx) => render(c, "errors/404", { title: "服务产品不存在" }, 404);
  const id = params(idParam, notFound);

  // ---- 服务机构中心: 服务产品 ----
  r.get("/provider/products", async (c) => {
    const res = await c.var.deps.products.myProducts(c.var.viewer.account!.id);
    if (!res.ok) return refused(c, res);
    return render(c, "provider/products", { title: "服务产品", ...res.value, labels });
  });
  const editPage = async (
    c: Ctx,
    productId: string | null,
    form: Record<string, unknown> | null,
    errors: Record<string, string> = {},
    status: Status = 200,
  ) => {
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
    return render(
      c,
      "provider/product-form",
      { title: productId ? "编辑服务产品" : "发布服务产品", productId, state, form: f, errors, labels, categories },
      status,
    );
  };
  /** The form again with the schema's messages: what was typed, both checkbox groups, and the cover checked too. */
  const invalidProduct = (productId: (c: Ctx) => string | null) => async (c: Ctx, errors: Record<string, string>, values: Record<string, string>) => {
    const cover = await coverForm(c, values);
    const again = {
      ...values,
      voucherKinds: await formList(c, "voucherKinds"),
      regions: await formList(c, "regions"),
      coverPending: cover.pending,
      coverRemove: values.coverRemove ?? "",
    };
    return editPage(c, productId(c), again, cover.error ? { ...errors, cover: cover.error } : errors, 422);
  };
  r.get("/provider/products/new", (c) => editPage(c, null, null));
  r.post(
    "/provider/products/new",
    form(
      productSchema,
      invalidProduct(() => null),
    ),
    async (c) => {
      const f = c.req.valid("form");
      const cover = await coverForm(c, f);
      const res = await c.var.deps.products.saveProduct(c.var.viewer.account!.id, null, toInput(f), cover.change, c.var.requestId);
      if (!res.ok) {
        if (res.status === 403) return refused(c, res);
        return editPage(
          c,
          null,
          { ...toForm(f), coverPending: cover.pending },
          cover.error ? { ...res.errors, cover: cover.error } : res.errors,
          res.status as Status,
        );
      }
      flash(c, "已保存为草稿。预览无误后请提交审核。");
      return c.redirect(`/provider/products/${res.value.productId}`, 303);
    },
  );
  r.get("/provider/products/:id{[0-9a-f-]{36}}", id, (c) => editPage(c, c.req.valid("param").id, null));
  r.post(
    "/provider/products/:id{[0-9a-f-]{36}}",
    id,
    form(
      productSchema,
      invalidProduct((c) => c.req.param("id") ?? null),
    ),
    async (c) => {
      const productId = c.req.valid("param").id;
      const f = c.req.valid("form");
      const cover = await coverForm(c, f);
      const again = { ...toForm(f), coverPending: cover.pending, coverRemove: f.coverRemove ? "yes" : "" };
      const res = await c.var.deps.products.saveProduct(c.var.viewer.account!.id, productId, toInput(f), cover.change, c.var.requestId);
      if (!res.ok) {
        if (res.status === 403 || res.status === 404) return refused(c, res);
        return editPage(c, productId, again, cover.error ? { ...res.errors, cover: cover.error } : res.errors, res.status as Status);
      }
      flash(c, "已保存");
      return c.redirect(`/provider/products/${res.value.productId}`, 303);
    },
  );
  r.get("/provider/products/:id/preview", id, async (c) => {
    const res = await c.var.deps.products.myProduct(c.var.viewer.account!.id, c.req.valid("param").id);
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
  r.post("/provider/products/:id/:action{submit|withdraw|delist|relist}", id, async (c) => {
    const action = c.req.param("action");
    const productId = c.req.valid("param").id;
    const accountId = c.var.viewer.account!.id;
    const res =
      action === "submit"
        ? await c.var.deps.products.submit(accountId, productId, c.var.requestId)
        : await c.var.deps.products.providerAction(accountId, productId, action, c.var.requestId);
    if (!res.ok) {
      if (res.status === 403 || res.status === 404) return refused(c, res);
      flash(c, res.errors._form ?? "操作失败", "error");
    } else if (action === "submit") {
      flash(c, `已提交审核。自动预审结果：${PREREVIEW_TEXT[(res.value as { verdict: keyof typeof PREREVIEW_TEXT }).verdict]}，平台审核人员将作出决定。`);
    } else {
      flash(c, { withdraw: "已撤回，可修改后重新提交", delist: "已下架", relist: "已重新上架" }[action]!);
    }
    return c.redirect(`/provider/products/${productId}`, 303);
  });

  // ---- 管理端: 服务产品审核 ----
  r.get("/admin/products", requireAdmin("reviewer", "super_admin"), query(pageQuery), async (c) => {
    const res = await c.var.deps.products.productQueue(c.var.viewer.admin!, c.req.valid("query").page);
    if (!res.ok) return render(c, "errors/403", { title: "无权访问", message: res.errors._form }, 403);
    return render(c, "admin/products", { title: "服务产品审核", ...res.value, query: "", labels });
  });
  const reviewPage = async (c: Ctx, errors: Record<string, string> = {}, values: Record<string, string> = {}, status: Status = 200) => {
    const res = await c.var.deps.products.productReview(c.var.viewer.admin!, c.req.param("id") ?? "");
    if (!res.ok) return refused(c, res);
    const categories = await c.var.deps.catalog.categories();
    return render(
      c,
      "admin/product",
      { title: "服务产品审核", ...res.value, errors, values, labels, actionText: PRODUCT_ACTION_TEXT, categoryName: categoryNamer(categories) },
      status,
    );
  };
  r.get("/admin/products/:id", requireAdmin("reviewer", "super_admin"), id, (c) => reviewPage(c));
  r.post(
    "/admin/products/:id/decision",
    requireAdmin(),
    id,
    form(decisionSchema, (c, errors, values) => reviewPage(c, errors, values, 422)),
    async (c) => {
      const f = c.req.valid("form");
      const productId = c.req.valid("param").id;
      const res = await c.var.deps.products.decideProduct(c.var.viewer.admin!, productId, f, c.var.requestId);
      if (!res.ok) {
        if (res.status === 403) return render(c, "errors/403", { title: "无权操作", message: res.errors._form }, 403);
        return reviewPage(c, res.errors, f, res.status as Status);
      }
      flash(c, res.value.status === "approved" ? "已通过，产品已上架" : "已驳回");
      return c.redirect(`/admin/products/${productId}`, 303);
    },
  );

  r.post(
    "/admin/products/:id/feature",
    requireAdmin(),
    id,
    form(featureSchema, (c) => {
      flash(c, "操作不正确", "error");
      return c.redirect(`/admin/products/${c.req.param("id")}`, 303);
    }),
    async (c) => {
      const productId = c.req.valid("param").id;
      const res = await c.var.deps.products.setFeatured(c.var.viewer.admin!, productId, c.req.valid("form").action === "feature", c.var.requestId);
      if (!res.ok) {
        if (res.status === 403 || res.status === 404)
          return render(c, res.status === 404 ? "errors/404" : "errors/403", { title: "无法操作", message: res.errors._form }, res.status);
        flash(c, res.errors._form ?? "操作失败", "error");
      } else flash(c, res.value.featured ? "已推荐到首页" : "已取消推荐");
      return c.redirect(`/admin/products/${productId}`, 303);
    },
  );

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
  r.get("/covers/:file{[0-9a-f-]{36}\\.svg}", async (c) =>
    sendCover(c, await c.var.deps.products.cover(coverId(c), { accountId: c.var.viewer.account?.id })),
  );
  r.get("/admin/covers/:file{[0-9a-f-]{36}\\.svg}", requireAdmin("reviewer", "super_admin"), async (c) =>
    sendCover(c, await c.var.deps.products.cover(coverId(c), { staff: c.var.viewer.admin! })),
  );

  // ---- 公众端: 服务产品列表与详情 ----
  const list = (kind?: "general" | "special") => async (c: Ctx, q: z.output<typeof listQuery>) => {
    const data = await c.var.deps.products.listings({
      category: q.category,
      kind: kind ?? q.kind,
      region: q.region,
      minFen: fenFilter(q.min),
      maxFen: fenFilter(q.max),
      q: q.q,
      sort: q.sort,
      providerId: q.provider,
      page: q.page,
      voucher: q.voucher,
      viewerAccountId: c.var.viewer.account?.id,
    });
    const voucher = data.voucher;
    // What the filter form shows again: the values as typed when they were understood.
    const shown = {
      category: data.filter.category ?? "",
      kind: q.kind ?? "",
      region: q.region ?? "",
      min: q.min,
      max: q.max,
      q: q.q,
      sort: q.sort ?? "",
    };
    const link = new URLSearchParams();
    for (const k of ["category", "region", "min", "max", "q", "sort"] as const) if (shown[k]) link.set(k, shown[k]);
    if (!kind && shown.kind) link.set("kind", shown.kind);
    // 清除服务券筛选 keeps the other filters; the pager and the form keep the voucher.
    const clearQuery = link.toString();
    if (voucher) link.set("voucher", voucher.accountId);
    // A voucher's list is the list of its kind (通用券服务 or 专项券服务).
    if (voucher && voucher.kind !== kind) {
      link.delete("kind");
      return c.redirect(`/services/${voucher.kind}?${link}`, 303);
    }
    const base = kind === "general" ? "/services/general" : kind === "special" ? "/services/special" : "/services";
    c.header("Vary", "HX-Request");
    const view = isHtmx(c) && c.req.header("HX-Target") === "results" ? "public/product-results" : "public/products";
    return render(c, view, {
      title: kind ? VOUCHER_KIND_SERVICE_TEXT[kind] : "全部服务",
      kind: kind ?? "",
      base,
      q: shown,
      query: link.toString(),
      clearHref: clearQuery ? `${base}?${clearQuery}` : base,
      // 筛选 starts open when a filter of the form is in use (folded on a phone otherwise; docs/decisions.md).
      filtersOpen: clearQuery !== "",
      ...data,
      sortText: SORT_TEXT,
      categoryOptions: data.categories.filter((c) => !voucher || voucher.categories.includes(c.code)).map((c) => [c.code, c.name]),
      labels,
      categoryName: categoryNamer(data.categories),
    });
  };
  for (const [path, kind] of [
    ["/services", undefined],
    ["/services/general", "general"],
    ["/services/special", "special"],
  ] as const) {
    r.get(path, publicPage(["products", "catalog", "programmes"]), query(listQuery), (c) => list(kind)(c, c.req.valid("query")));
  }

  r.get("/products/:id", publicPage(["products", "catalog", "programmes", "reviews"]), id, async (c) => {
    const detail = await c.var.deps.products.productDetail(c.req.valid("param").id, c.var.viewer.account?.id);
    if (!detail) return notFound(c);
    const [categories, ratings] = await Promise.all([c.var.deps.catalog.categories(), c.var.deps.orders.productRatings(detail.listing.productId)]);
    return render(c, "public/product", {
      title: detail.revision.title,
      preview: false,
      ratings,
      revision: detail.revision,
      provider: detail.provider,
      priceFen: detail.listing.priceFen,
      productId: detail.listing.productId,
      detail,
      labels,
      categoryName: categoryNamer(categories),
    });
  });
  // 申请服务 leads to 订单详情 (the orders module); signed out, to the login page and back there.
  r.post("/products/:id/apply", id, (c) => {
    const next = `/me/orders/new?product=${c.req.valid("param").id}`;
    if (!c.var.viewer.account) return c.redirect(`/login?next=${encodeURIComponent(next)}`, 303);
    return c.redirect(next, 303);
  });
  return r;
}
