/**
 * The SMS notices of orders, as one table: for each action (提交订单 is `submit`), which party is
 * told and the text each gets. A text names the order by its number only: no party's name, phone,
 * amount or reason, since an SMS can be read by anyone holding the phone. See docs/orders.md "Notices".
 */
import type { OrderAction } from "./domain.ts";

/** Who a notice goes to: the ordering enterprise or the provider that sells the product. */
export type NoticeParty = "enterprise" | "provider";
/** The actions that have notices: every transition's action, and `submit` for 提交订单. */
export type NoticeAction = OrderAction | "submit" | SigningNotice | TerminationNotice;
/** Notices of 协商终止 that are no transition (a proposal, its refusal) and of a refund confirmed by the channel. */
export type TerminationNotice =
  | "terminate_proposed_enterprise"
  | "terminate_proposed_provider"
  | "terminate_rejected_enterprise"
  | "terminate_rejected_provider"
  | "refund_done"
  | "balance_reminder";
/** Notices of the signing module's steps that are no order transition: 待签署 (to the party whose turn it is), 签署已过期. */
export type SigningNotice = "sign_pending_enterprise" | "sign_pending_provider" | "sign_expired";
type Template = (orderNumber: string) => string;

const SIGN = "【服务券平台】";

/** Action -> recipient -> text. An action not listed (取消订单, 定金到账, ...) sends nothing. The reason of a 拒签 stays on the order's page. */
export const ORDER_NOTICES = {
  submit: { provider: (n) => `${SIGN}您有新的服务订单${n}待接单，请登录平台在“订单管理”中处理。` },
  accept: { enterprise: (n) => `${SIGN}您的订单${n}已被服务机构接单，服务机构将制定合同。` },
  decline: { enterprise: (n) => `${SIGN}您的订单${n}已被服务机构拒单，请登录平台在“我购买的服务”中查看。` },
  expire: {
    enterprise: (n) => `${SIGN}您的订单${n}超时未被接单，已自动关闭。`,
    provider: (n) => `${SIGN}订单${n}超时未接单，已自动关闭。`,
  },
  close: {
    enterprise: (n) => `${SIGN}您的订单${n}已被平台关闭，请登录平台查看。`,
    provider: (n) => `${SIGN}订单${n}已被平台关闭，请登录平台查看。`,
  },
  submit_contract: { enterprise: (n) => `${SIGN}服务机构已提交订单${n}的合同，请登录平台确认。` },
  return_contract: { provider: (n) => `${SIGN}企业已退回订单${n}的合同，请登录平台修改后重新提交。` },
  agree_contract: { provider: (n) => `${SIGN}企业已同意订单${n}的合同，请登录平台查看。` },
  signed: {
    enterprise: (n) => `${SIGN}订单${n}的合同已完成签署，请登录平台支付定金。`,
    provider: (n) => `${SIGN}订单${n}的合同已完成签署，请登录平台查看。`,
  },
  deposit_paid: {
    enterprise: (n) => `${SIGN}订单${n}的定金已支付成功，等待服务机构开始服务。`,
    provider: (n) => `${SIGN}订单${n}的定金已到账，请登录平台开始服务。`,
  },
  start_service: { enterprise: (n) => `${SIGN}服务机构已开始为订单${n}提供服务。` },
  complete_service: { enterprise: (n) => `${SIGN}订单${n}的服务已完成，请登录平台查看服务成果并支付尾款。` },
  dispute: { provider: (n) => `${SIGN}企业对订单${n}的服务成果提出异议，平台将介入处理，请登录平台查看。` },
  resume: {
    enterprise: (n) => `${SIGN}订单${n}的异议已由平台处理，请登录平台查看并继续履约。`,
    provider: (n) => `${SIGN}订单${n}的异议已由平台处理，订单继续履约。`,
  },
  balance_paid: {
    enterprise: (n) => `${SIGN}订单${n}的尾款已支付成功，请登录平台评价本次服务。`,
    provider: (n) => `${SIGN}订单${n}的尾款已到账。`,
  },
  terminate: {
    enterprise: (n) => `${SIGN}订单${n}已协商终止，如有退款将原路退回企业对公账户，请登录平台查看。`,
    provider: (n) => `${SIGN}订单${n}已协商终止，请登录平台查看。`,
  },
  terminate_proposed_enterprise: { provider: (n) => `${SIGN}企业申请协商终止订单${n}，请登录平台在“订单管理”中处理。` },
  terminate_proposed_provider: { enterprise: (n) => `${SIGN}服务机构申请协商终止订单${n}，请登录平台在“我购买的服务”中处理。` },
  terminate_rejected_enterprise: { enterprise: (n) => `${SIGN}您对订单${n}的协商终止申请已被服务机构拒绝，请登录平台查看。` },
  terminate_rejected_provider: { provider: (n) => `${SIGN}您对订单${n}的协商终止申请已被企业拒绝，请登录平台查看。` },
  balance_reminder: { enterprise: (n) => `${SIGN}订单${n}的服务已完成，尾款尚未支付，请登录平台查看服务成果并支付尾款；如有异议请提出异议。` },
  refund_done: { enterprise: (n) => `${SIGN}订单${n}的退款已原路退回企业对公账户，请登录平台查看。` },
  sign_pending_enterprise: { enterprise: (n) => `${SIGN}订单${n}的合同待您签署，请登录平台在“我购买的服务”中扫码签署。` },
  sign_pending_provider: { provider: (n) => `${SIGN}订单${n}的合同企业已签署，待您签署，请登录平台在“订单管理”中扫码签署。` },
  sign_expired: {
    enterprise: (n) => `${SIGN}订单${n}的合同签署已超时，请登录平台重新发起签署。`,
    provider: (n) => `${SIGN}订单${n}的合同签署已超时，请登录平台查看。`,
  },
  sign_refused: {
    enterprise: (n) => `${SIGN}订单${n}的合同签署被拒绝，请登录平台查看原因。`,
    provider: (n) => `${SIGN}订单${n}的合同签署被拒绝，请登录平台查看原因并修改合同。`,
  },
} as const satisfies Partial<Record<NoticeAction, Partial<Record<NoticeParty, Template>>>>;

/** The notices one action sends, for the order with this number (none for an action the table does not list). */
export function noticesFor(action: NoticeAction, orderNumber: string): { to: NoticeParty; text: string }[] {
  if (!Object.hasOwn(ORDER_NOTICES, action)) return [];
  const row: Partial<Record<NoticeParty, Template>> = ORDER_NOTICES[action as keyof typeof ORDER_NOTICES];
  return (["enterprise", "provider"] as const).flatMap((to) => {
    const t = row[to];
    return t ? [{ to, text: t(orderNumber) }] : [];
  });
}
