import type { Logger } from "pino";
import { type ESignature, ESignatureError } from "../ports/esignature.ts";

/**
 * Production without an e-signature provider configured: the platform starts (everything but
 * signing works), every verb is refused with a clear message to the user (and a warning in the
 * log), and callbacks are refused (401). A province's real adapter (e签宝, 法大大, 腾讯电子签 ...)
 * implements ESignature and passes tests/contract/esignature.contract.test.ts; the composition root
 * then picks it instead.
 */
export function unavailableEsign(log: Logger): ESignature {
  const refuse = async (): Promise<never> => {
    log.warn("no e-signature provider is configured; a signing step was refused");
    throw new ESignatureError("unavailable", "电子签章服务尚未开通，请联系平台运营人员");
  };
  return {
    provider: "unavailable",
    ensureParty: refuse,
    startIdentityCheck: refuse,
    identityStatus: refuse,
    createSeal: refuse,
    sealStatus: refuse,
    createSignFlow: refuse,
    signingLink: refuse,
    flowStatus: refuse,
    revoke: refuse,
    download: refuse,
    verify: refuse,
    async parseCallback() {
      return { ok: false, reason: "signature", ack: { status: 401, contentType: "application/json", body: '{"code":401,"message":"no provider"}' } };
    },
  };
}
