/** The SMS gateway port. A real adapter sends through a provider; the development adapter keeps an outbox. */
export interface SmsSender {
  send(phone: string, text: string): Promise<void>;
}

export type SentSms = { phone: string; text: string; sentAt: Date };

/** Development outbox that /dev/sms shows. */
export interface SmsOutbox {
  latest(limit: number): Promise<SentSms[]>;
}
