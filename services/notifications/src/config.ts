import Type from "typebox";

/** Notifications' environment: variable name → schema (parsed once by the launcher). */
export const NotificationsConfig = Type.Object({
  SMTP_URL: Type.String({
    pattern: "^(smtps?://.+|log://.*)$",
    default: "log://",
    description:
      "Where emails go: an SMTP server as a nodemailer connection URL (smtp://user:pass@host:587, " +
      "smtps://host:465), or log:// to render each email and log it instead of sending (the " +
      "offline default: deliveries are marked sent)",
  }),
  NOTIFICATIONS_EMAIL_FROM: Type.String({
    minLength: 3,
    default: "Souk <no-reply@souk.example>",
    description: "The From: of customer emails (RFC 5322 mailbox)",
  }),
  NOTIFICATIONS_STORE_NAME: Type.String({
    minLength: 1,
    default: "Souk",
    description: "The store's name in email subjects and bodies",
  }),
  NOTIFICATIONS_EMAIL_MAX_ATTEMPTS: Type.Integer({
    minimum: 1,
    // 1 s doubling to the cap: ten attempts span about eight and a half minutes, enough to ride out
    // a restart of identity or of the SMTP server.
    default: 10,
    description: "Attempts at an email (first included) before it is dead-lettered",
  }),
  NOTIFICATIONS_WEBHOOK_MAX_ATTEMPTS: Type.Integer({
    minimum: 1,
    default: 8,
    description: "Attempts at a webhook (first included) before it is dead-lettered",
  }),
  NOTIFICATIONS_RETRY_BASE_MS: Type.Integer({
    minimum: 1,
    default: 1_000,
    description: "Delay before the first retry of a failed delivery; doubles at each retry",
  }),
  NOTIFICATIONS_RETRY_MAX_MS: Type.Integer({
    minimum: 1,
    default: 600_000,
    description: "Longest delay between retries of a delivery",
  }),
  NOTIFICATIONS_WEBHOOK_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    default: 10_000,
    description: "Time a webhook endpoint has to answer; longer counts as a failed attempt",
  }),
  NOTIFICATIONS_SMTP_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    default: 15_000,
    description: "Connection, greeting and socket timeout of the SMTP client",
  }),
  NOTIFICATIONS_STALLED_SWEEP_INTERVAL_MS: Type.Integer({
    minimum: 100,
    default: 60_000,
    description:
      "How often pending deliveries whose job was lost (idle longer than any retry delay) are enqueued again",
  }),
  NOTIFICATIONS_WORKER_CONCURRENCY: Type.Integer({
    minimum: 1,
    default: 8,
    description: "Deliveries attempted at once per queue by this process",
  }),
});
