import { type MockPayGateway, asMockPay } from "../../src/adapters/mock-pay/mock-pay.ts";
import { type SigningWorld, makeSeal, sign, signingOrder } from "./signing.ts";

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
