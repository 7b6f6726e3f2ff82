import { Hono } from "hono";
import { z } from "zod";
import { fenToYuanInput } from "../../lib/money.ts";
import { requireAccount } from "../../web/guards.ts";
import { type AppEnv, type Ctx, flash, render } from "../../web/http.ts";
import { form, optionalText, params, text, yuanFen } from "../../web/validate.ts";
import { CONTRACT_FIELD_TEXT, CONTRACT_VERSION_TEXT, type ContractTerms } from "./domain.ts";
import { type Status, idParam, labels, versionField, versionNumber } from "./routes.ts";

// ---- the edge schemas ----

const contractVersionField = versionNumber("合同已更新，请查看最新版本后再操作");

/** 制定合同's form: the terms the provider writes (the domain checks presence, lengths, dates and the money rules). */
const contractForm = z.object({
  serviceContent: text({ max: 5000, label: CONTRACT_FIELD_TEXT.serviceContent! }),
  deliverables: text({ max: 2000, label: CONTRACT_FIELD_TEXT.deliverables! }),
  acceptance: text({ max: 2000, label: CONTRACT_FIELD_TEXT.acceptance! }),
  contractAmount: yuanFen("合同金额", { required: "请填写合同金额" }),
  depositAmount: yuanFen("定金"),
  serviceFrom: text({ max: 10, label: "服务期限开始日期", maxMessage: "请填写服务期限开始日期" }),
  serviceTo: text({ max: 10, label: "服务期限结束日期", maxMessage: "请填写服务期限结束日期" }),
  paymentTerms: text({ max: 1000, label: CONTRACT_FIELD_TEXT.paymentTerms! }),
  liability: text({ max: 2000, label: CONTRACT_FIELD_TEXT.liability! }),
  disputeResolution: text({ max: 1000, label: CONTRACT_FIELD_TEXT.disputeResolution! }),
  otherTerms: optionalText(2000, CONTRACT_FIELD_TEXT.otherTerms!),
});
type ContractFormValues = z.output<typeof contractForm>;

/** 提交企业确认 and 同意: the order's version and the contract version the page showed. */
const versionsForm = z.object({ version: versionField, contractVersion: contractVersionField });
const returnForm = z.object({ version: versionField, contractVersion: contractVersionField, reason: optionalText(200, "退回修改原因") });

/** The domain names the money fields in fen; the form in yuan. */
const FIELD_OF_DOMAIN: Record<string, string> = { contractFen: "contractAmount", depositFen: "depositAmount" };
const formErrors = (errors: Record<string, string>) => Object.fromEntries(Object.entries(errors).map(([k, v]) => [FIELD_OF_DOMAIN[k] ?? k, v]));

const toTerms = (f: ContractFormValues): ContractTerms => ({
  serviceContent: f.serviceContent,
  deliverables: f.deliverables,
  acceptance: f.acceptance,
  contractFen: f.contractAmount ?? 0,
  depositFen: f.depositAmount ?? 0,
  serviceFrom: f.serviceFrom,
  serviceTo: f.serviceTo,
  paymentTerms: f.paymentTerms,
  liability: f.liability,
  disputeResolution: f.disputeResolution,
  otherTerms: f.otherTerms ?? "",
});

/** A contract's terms as the form shows them (amounts in yuan). */
const formValues = (c: ContractTerms): Record<string, string> => ({
  serviceContent: c.serviceContent,
  deliverables: c.deliverables,
  acceptance: c.acceptance,
  contractAmount: fenToYuanInput(c.contractFen),
  depositAmount: fenToYuanInput(c.depositFen),
  serviceFrom: c.serviceFrom,
  serviceTo: c.serviceTo,
  paymentTerms: c.paymentTerms,
  liability: c.liability,
  disputeResolution: c.disputeResolution,
  otherTerms: c.otherTerms,
});

const contractLabels = { ...labels, versionStatus: CONTRACT_VERSION_TEXT, field: CONTRACT_FIELD_TEXT };

export function contractRoutes() {
  const r = new Hono<AppEnv>();
  const noOrder = (c: Ctx) => render(c, "errors/404", { title: "订单不存在" }, 404);
  const notProvider = (c: Ctx, message?: string) =>
    render(c, "errors/403", { title: "制定合同", message: message ?? "服务机构中心仅对审核通过的服务商开放。" }, 403);

  // ---- the provider: 制定合同 (form), 合同预览, 提交企业确认 ----

  /** The provider's contract as a document (the version being written, or the last one) with 编辑 / 提交企业确认. */
  const providerView = async (c: Ctx, id: string, errors: Record<string, string> = {}, status: Status = 200) => {
    const res = await c.var.deps.orders.providerContract(c.var.viewer.account!.id, id);
    if (!res.ok) return res.status === 404 ? noOrder(c) : notProvider(c, res.errors._form);
    const d = res.value;
    return render(c, "provider/contract", { title: `合同 ${d.order.number}`, ...d, errors, labels: contractLabels }, status);
  };

  /** 制定合同's form with the values shown (the draft, or what was typed with the messages beside the fields). */
  const editPage = async (c: Ctx, id: string, errors: Record<string, string> = {}, typed?: Record<string, string>, status: Status = 200) => {
    const res = await c.var.deps.orders.providerContract(c.var.viewer.account!.id, id);
    if (!res.ok) return res.status === 404 ? noOrder(c) : notProvider(c, res.errors._form);
    const d = res.value;
    if (!d.editable) return providerView(c, id, { _form: d.editRefusal ?? "不能修改合同" }, 409);
    const values = typed ?? formValues(d.content);
    return render(c, "provider/contract-form", { title: "制定合同", ...d, values, errors, labels: contractLabels }, status);
  };

  r.get("/provider/orders/:id/contract", requireAccount, params(idParam, noOrder), (c) => providerView(c, c.req.valid("param").id));
  r.get("/provider/orders/:id/contract/edit", requireAccount, params(idParam, noOrder), (c) => editPage(c, c.req.valid("param").id));

  /** 保存并预览: the terms checked and saved to the draft, then the document to read before 提交企业确认. */
  r.post(
    "/provider/orders/:id/contract",
    requireAccount,
    params(idParam, noOrder),
    form(contractForm, (c: Ctx, errors, values) => editPage(c, c.req.param("id") ?? "", errors, values, 422)),
    async (c) => {
      const { id } = c.req.valid("param");
      const f = c.req.valid("form");
      const res = await c.var.deps.orders.saveContract(c.var.viewer.account!.id, id, toTerms(f));
      if (!res.ok) {
        if (res.status === 404) return noOrder(c);
        if (res.status === 403) return notProvider(c, res.errors._form);
        if (res.status === 409) return providerView(c, id, res.errors, 409);
        const typed = Object.fromEntries(Object.entries(f).map(([k, v]) => [k, typeof v === "number" ? fenToYuanInput(v) : String(v ?? "")]));
        return editPage(c, id, formErrors(res.errors), typed, 422);
      }
      flash(c, `合同第${res.value.version}版已保存，请核对后提交企业确认`);
      return c.redirect(`/provider/orders/${id}/contract`, 303);
    },
  );

  r.post(
    "/provider/orders/:id/contract/submit",
    requireAccount,
    params(idParam, noOrder),
    form(versionsForm, (c: Ctx, errors) => providerView(c, c.req.param("id") ?? "", errors, 409)),
    async (c) => {
      const { id } = c.req.valid("param");
      const f = c.req.valid("form");
      const res = await c.var.deps.orders.submitContract(c.var.viewer.account!.id, id, f.contractVersion, f.version, c.var.requestId);
      if (!res.ok) {
        if (res.status === 404) return noOrder(c);
        if (res.status === 403) return notProvider(c, res.errors._form);
        return providerView(c, id, res.errors, res.status === 409 ? 409 : 422);
      }
      flash(c, "合同已提交企业确认");
      return c.redirect(`/provider/orders/${id}`, 303);
    },
  );

  // ---- the enterprise: the contract, 同意, 退回修改 ----

  const enterpriseView = async (
    c: Ctx,
    id: string,
    view: string,
    errors: Record<string, string> = {},
    values: Record<string, string> = {},
    status: Status = 200,
  ) => {
    const res = await c.var.deps.orders.myContract(c.var.viewer.account!.id, id);
    if (!res.ok) return noOrder(c);
    const d = res.value;
    const returning = view === "me/contract-return";
    // 退回修改 opened on an order with nothing to return: say why, as a conflict.
    const shown: Status = returning && status === 200 && !d.actions.includes("return_contract") ? 409 : status;
    return render(
      c,
      view,
      { title: returning ? "退回修改" : `合同 ${d.order.number}`, menu: "orders", ...d, errors, values, labels: contractLabels },
      shown,
    );
  };

  r.get("/me/orders/:id/contract", requireAccount, params(idParam, noOrder), (c) => enterpriseView(c, c.req.valid("param").id, "me/contract"));

  r.post(
    "/me/orders/:id/contract/agree",
    requireAccount,
    params(idParam, noOrder),
    form(versionsForm, (c: Ctx, errors) => enterpriseView(c, c.req.param("id") ?? "", "me/contract", errors, {}, 409)),
    async (c) => {
      const { id } = c.req.valid("param");
      const f = c.req.valid("form");
      const res = await c.var.deps.orders.agreeContract(c.var.viewer.account!.id, id, f.contractVersion, f.version, c.var.requestId);
      if (!res.ok) {
        if (res.status === 404) return noOrder(c);
        return enterpriseView(c, id, "me/contract", res.errors, {}, res.status === 403 ? 403 : 409);
      }
      flash(c, "已同意合同，请等待签署");
      return c.redirect(`/me/orders/${id}`, 303);
    },
  );

  const returnPage = (c: Ctx, errors: Record<string, string> = {}, values: Record<string, string> = {}, status: Status = 200) =>
    enterpriseView(c, c.req.param("id") ?? "", "me/contract-return", errors, values, status);
  r.get("/me/orders/:id/contract/return", requireAccount, params(idParam, noOrder), (c) => returnPage(c));
  r.post(
    "/me/orders/:id/contract/return",
    requireAccount,
    params(idParam, noOrder),
    form(returnForm, (c: Ctx, errors, values) => returnPage(c, errors, values, errors.version || errors.contractVersion ? 409 : 422)),
    async (c) => {
      const { id } = c.req.valid("param");
      const f = c.req.valid("form");
      const res = await c.var.deps.orders.returnContract(c.var.viewer.account!.id, id, f.contractVersion, f.reason, f.version, c.var.requestId);
      if (!res.ok) {
        if (res.status === 404) return noOrder(c);
        return returnPage(c, res.errors, { reason: f.reason ?? "" }, res.status === 409 ? 409 : res.status === 403 ? 403 : 422);
      }
      flash(c, "合同已退回服务商修改");
      return c.redirect(`/me/orders/${id}`, 303);
    },
  );

  return r;
}
