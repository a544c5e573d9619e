import type { MoneyData, NotificationEvent, OrderEventData } from "./notification-event.ts";

/** Who an email goes to: the customer of the order, from identity. */
export interface Recipient {
  readonly email: string;
  readonly name: string;
}

/** A rendered email: subject, plain text and the same content as HTML. */
export interface RenderedEmail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** Store-wide facts the templates print. */
export interface EmailBranding {
  /** The store's name, e.g. `Souk`. */
  readonly storeName: string;
}

/**
 * Formats money in major units with its ISO 4217 code, exactly (integer arithmetic, never a
 * float): `{ amount: 123456, currency: "USD" }` → `USD 1,234.56`; JPY has no minor unit
 * (`JPY 500`), KWD three (`KWD 1.250`). The digits come from the ICU currency data (ISO 4217).
 */
export function formatMoney(money: MoneyData): string {
  const digits = minorDigits(money.currency);
  const negative = money.amount < 0;
  const absolute = Math.abs(money.amount);
  const scale = 10 ** digits;
  const major = Math.floor(absolute / scale).toLocaleString("en-US");
  const minor = digits === 0 ? "" : `.${String(absolute % scale).padStart(digits, "0")}`;
  return `${negative ? "-" : ""}${money.currency} ${major}${minor}`;
}

/**
 * Minor unit digits by currency code, as ICU answered them. Building an `Intl.NumberFormat` costs
 * ~20 µs and an email formats several amounts; only well-formed codes (three capitals: at most
 * 17,576) are kept, so the map stays bounded whatever an event carries.
 */
const minorDigitsByCurrency = new Map<string, number>();

/** Minor unit digits of an ISO 4217 currency (2 when the code is unknown). */
function minorDigits(currency: string): number {
  const known = minorDigitsByCurrency.get(currency);
  if (known !== undefined) return known;
  let digits: number;
  try {
    digits =
      new Intl.NumberFormat("en-US", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    // Not a well-formed currency code: print the amount as hundredths, the common case.
    digits = 2;
  }
  if (/^[A-Z]{3}$/.test(currency)) minorDigitsByCurrency.set(currency, digits);
  return digits;
}

/** Cancellation and refund reasons (Souk's codes, Stripe's decline codes) in the customer's words. */
const REASONS: Readonly<Record<string, string>> = {
  card_declined: "your card was declined",
  insufficient_funds: "your card has insufficient funds",
  fraudulent: "the payment was flagged by our fraud checks",
  processing_error: "the payment could not be processed",
  insufficient_stock: "an item in your order is out of stock",
  reservation_expired: "the items could not be held long enough to complete the payment",
  saga_timeout: "the order could not be completed in time",
  customer_requested: "you asked us to cancel it",
};

/**
 * Explains a cancellation or refund reason code to a customer: known codes in words, any
 * `fraud_*` code as the fraud checks, anything else (or nothing) as a generic apology — never
 * the raw code, which may name internal steps.
 */
export function describeReason(reason: string | null): string {
  if (reason === null || reason === "") return "we could not complete it";
  const known = REASONS[reason];
  if (known !== undefined) return known;
  if (reason.startsWith("fraud_")) return "the payment was flagged by our fraud checks";
  return "we could not complete it";
}

/** Escapes text for HTML element content and attribute values (OWASP XSS prevention, rule 1). */
export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/**
 * The order number customers see: the last 12 hex digits of the order id, upper-case. Order ids
 * are UUIDv7 (RFC 9562 §5.7), whose leading digits are a millisecond timestamp shared by every
 * order of the same minute; the trailing 48 bits are random, so numbers stay distinct.
 */
export function orderNumber(orderId: string): string {
  return orderId.replaceAll("-", "").slice(-12).toUpperCase();
}

interface Paragraphs {
  readonly subject: string;
  readonly intro: string;
  /** Text rows of a table of lines (may be empty). */
  readonly lines: readonly string[];
  readonly closing: readonly string[];
}

function orderParagraphs(data: OrderEventData, branding: EmailBranding): Paragraphs {
  const number = orderNumber(data.orderId);
  const total = formatMoney(data.total);
  switch (data.status) {
    case "confirmed":
      return {
        subject: `Your ${branding.storeName} order ${number} is confirmed`,
        intro: `Thank you for your order ${number}. Your payment was accepted and we are preparing it.`,
        lines: data.lines.map(
          (line) => `${line.quantity} × ${line.name} (${line.sku}): ${formatMoney(line.lineTotal)}`,
        ),
        closing: [`Total: ${total}`],
      };
    case "cancelled":
      return {
        subject: `Your ${branding.storeName} order ${number} was cancelled`,
        intro: `We are sorry: your order ${number} was cancelled because ${describeReason(data.reason)}.`,
        lines: [],
        closing: [`You have not been charged the ${total}.`],
      };
    case "refunded":
      return {
        subject: `Your ${branding.storeName} order ${number} was refunded`,
        intro: `Your order ${number} was cancelled because ${describeReason(data.reason)}.`,
        lines: [],
        closing: [`We refunded ${total} to your card; it may take a few days to appear.`],
      };
    case "placed":
      return {
        subject: `We received your ${branding.storeName} order ${number}`,
        intro: `We received your order ${number} and are processing the payment.`,
        lines: [],
        closing: [`Total: ${total}`],
      };
  }
}

/**
 * Renders the customer email of an order event (`order.confirmed`: its lines and total;
 * `order.cancelled`: the reason in words, not charged; `order.refunded`: the refund) as a
 * subject, a plain-text body and an HTML body whose every interpolated value is escaped.
 *
 * @throws TypeError for a payment event (payments do not email the customer; see `emailsCustomer`).
 */
export function renderOrderEmail(
  event: NotificationEvent,
  recipient: Recipient,
  branding: EmailBranding,
): RenderedEmail {
  if (event.data.object !== "order") throw new TypeError(`${event.type} has no email template`);
  const p = orderParagraphs(event.data, branding);
  const greeting = recipient.name.trim() === "" ? "Hello," : `Hello ${recipient.name.trim()},`;
  const signature = `The ${branding.storeName} team`;
  const text = [greeting, "", p.intro, ...(p.lines.length > 0 ? ["", ...p.lines] : []), "", ...p.closing, "", signature]
    .join("\n")
    .concat("\n");
  const html = [
    "<!doctype html>",
    `<html><body>`,
    `<p>${escapeHtml(greeting)}</p>`,
    `<p>${escapeHtml(p.intro)}</p>`,
    ...(p.lines.length > 0 ? [`<ul>${p.lines.map((line) => `<li>${escapeHtml(line)}</li>`).join("")}</ul>`] : []),
    ...p.closing.map((line) => `<p>${escapeHtml(line)}</p>`),
    `<p>${escapeHtml(signature)}</p>`,
    `</body></html>`,
  ].join("\n");
  return { subject: p.subject, text, html };
}
