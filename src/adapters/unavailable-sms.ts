import type { Logger } from "pino";
import type { SmsSender } from "../ports/sms.ts";

/**
 * Production without an SMS gateway configured: sending fails with a clear message to the user
 * (and a warning in the log) instead of silently dropping codes. A real gateway adapter
 * implements SmsSender and passes tests/contract/sms.contract.test.ts.
 */
export function unavailableSms(log: Logger): SmsSender {
  return {
    async send() {
      log.warn("no SMS gateway is configured; an SMS code could not be sent");
      throw new Error("SMS gateway not configured");
    },
  };
}
