import { type MockPayGateway, asMockPay } from "../../src/adapters/mock-pay/mock-pay.ts";
import { type SigningWorld, makeSeal, sign, signingOrder } from "./signing.ts";
import { TEST_CAPTCHA } from "./app.ts";
import { Browser, SAMPLE_PDF } from "./client.ts";
import { pageToken, pathOf } from "./esign.ts";

/**
 * Payment tests' shared steps: 支付认证 accounts for both parties, and an order taken through
 * signing to 待支付定金 (both seals made once per world).
 */
export const mockPayOf = (w: SigningWorld): MockPayGateway => asMockPay(w.t.deps.pay)!;

/** 支付认证 for an account's enterprise through the use case (the account number distinct per enterprise). */
export async function registerBankAccount(w: SigningWorld, accountId: string, accountNumber: string) {
  const e = await w.t.deps.enterprises.ofAccount(accountId);
  const res = await w.t.deps.enterprises.saveBankAccount(accountId, {
    accountName: e!.name,
    bankName: "中国工商银行",
    bankCityCode: "450100",
    branchName: "南宁民族大道支行",
    accountNumber,
  });
  if (!res.ok) throw new Error(JSON.stringify(res.errors));
}

const sealed = new WeakSet<SigningWorld>();

/** An order of the world's enterprise signed by both parties: 待支付定金 (or 待开始服务 without a deposit); its id. */
export async function signedOrder(w: SigningWorld, contract?: { depositFen?: number; contractFen?: number }): Promise<string> {
  if (!sealed.has(w)) {
    await makeSeal(w, w.ent);
    await makeSeal(w, w.pro);
    sealed.add(w);
  }
  const id = await signingOrder(w, { contract });
  const started = await w.t.deps.signing.startFlow(id);
  if (!started.ok) throw new Error(JSON.stringify(started.errors));
  await sign(w, w.ent, id, "enterprise");
  await sign(w, w.pro, id, "provider");
  return id;
}

/** Pays one part of an order on the mock cashier's page as the signed-in enterprise would, the bank's notice delivered. */
export async function payOnCashier(w: SigningWorld, b: Browser, orderId: string, kind: "deposit" | "balance") {
  await b.get(`/me/orders/${orderId}`);
  const res = await b.post(`/me/orders/${orderId}/pay`, { kind });
  if (res.status !== 303) throw new Error(`支付${kind} answers ${res.status}`);
  const cashier = pathOf(res.headers.get("Location")!);
  await b.get(cashier);
  const paid = await b.post(cashier, { _mt: pageToken(b.lastHtml), outcome: "paid" }, { csrf: null });
  if (paid.status !== 303) throw new Error(`the cashier answers ${paid.status}`);
  await mockPayOf(w).deliverDue();
}

/**
 * An order of the world's enterprise (1) with its provider (8) taken to 已完成 through the use cases
 * and the mock cashier: 定金 and 尾款 paid, 服务成果 delivered, 评价 given, the voucher part consumed.
 */
export async function completedOrder(w: SigningWorld) {
  const id = await signedOrder(w);
  const [acc] = await w.t.deps.db.query<{ phone: string }>("select phone from accounts where id = $1", [w.ent]);
  const ent = new Browser(w.t, "http://localhost", `10.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`);
  await ent.get("/login");
  const login = await ent.post("/login/password", { phone: acc!.phone, password: "Demo#2026", captcha: TEST_CAPTCHA, captchaId: ent.captchaId() });
  if (login.status !== 303) throw new Error(`login answers ${login.status}`);
  await payOnCashier(w, ent, id, "deposit");
  const o = w.t.deps.orders;
  const must = (r: { ok: boolean }, what: string) => {
    if (!r.ok) throw new Error(`${what}: ${JSON.stringify(r)}`);
  };
  must(await o.startService(w.pro, id, undefined), "开始服务");
  must(await o.completeService(w.pro, id, { summary: "检测完成", files: [{ name: "报告.pdf", bytes: SAMPLE_PDF }] }, undefined), "完成服务");
  await payOnCashier(w, ent, id, "balance");
  must(await o.submitReview(w.ent, id, { quality: "5", timeliness: "5", attitude: "4", comment: "" }, undefined), "评价");
  const [r] = await w.t.deps.db.query<{ number: string; status: string; contract_fen: string; deduction_fen: string; voucher_account_id: string }>(
    "select number, status, contract_fen::text, deduction_fen::text, voucher_account_id from orders where id = $1",
    [id],
  );
  if (r!.status !== "completed") throw new Error(`the order is ${r!.status}, not completed`);
  return { id, number: r!.number, contractFen: Number(r!.contract_fen), deductionFen: Number(r!.deduction_fen), accountId: r!.voucher_account_id };
}
