import type { Logger } from "pino";
import { type PaymentGateway, PaymentGatewayError } from "../ports/payments.ts";

/**
 * Production without a payment channel configured: the platform starts, every verb is refused with a
 * clear message (and a warning in the log), and notifications are refused (401). A province's real
 * adapter (银联, 通联, 微信支付 ...) implements PaymentGateway and passes
 * tests/contract/payments.contract.test.ts; the composition root then picks it instead.
 */
export function unavailablePay(log: Logger): PaymentGateway {
  const refuse = async (): Promise<never> => {
    log.warn("no payment channel is configured; a payment step was refused");
    throw new PaymentGatewayError("unavailable", "在线支付服务尚未开通，请联系平台运营人员");
  };
  return {
    provider: "unavailable",
    createPayment: refuse,
    queryPayment: refuse,
    closePayment: refuse,
    refund: refuse,
    queryRefund: refuse,
    payout: refuse,
    queryPayout: refuse,
    async parseNotification() {
      return { ok: false, reason: "signature", ack: { status: 401, contentType: "application/json", body: '{"code":"NO_PROVIDER"}' } };
    },
  };
}
