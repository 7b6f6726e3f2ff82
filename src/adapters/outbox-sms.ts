import type { SentSms, SmsOutbox, SmsSender } from "../ports/sms.ts";

/** Development SMS adapter: keeps the latest messages for /dev/sms instead of sending them. */
export function outboxSms(capacity = 200): SmsSender & SmsOutbox {
  const messages: SentSms[] = [];
  return {
    async send(phone, text) {
      messages.unshift({ phone, text, sentAt: new Date() });
      if (messages.length > capacity) messages.length = capacity;
    },
    async latest(limit) {
      return messages.slice(0, limit);
    },
  };
}
