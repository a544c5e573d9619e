import { invalidArgument, type FieldViolation } from "@souk/platform";
import { ALL_EVENT_TYPES, isNotificationEventType, type NotificationEventType } from "./notification-event.ts";

/** A registered webhook receiver. */
export interface WebhookEndpoint {
  readonly id: string;
  readonly url: string;
  /** The HMAC-SHA256 signing secret, `whsec_…`. */
  readonly secret: string;
  /** Subscribed event types, or `["*"]` for all. */
  readonly eventTypes: readonly string[];
  /** False once deleted: no new deliveries are made to it. */
  readonly active: boolean;
  readonly createdAt: Date;
}

/** Longest accepted endpoint URL, in characters (the de-facto limit of browsers and proxies). */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** Error code of an invalid endpoint registration. */
export const INVALID_WEBHOOK_ENDPOINT = "NOTIFICATIONS_INVALID_WEBHOOK_ENDPOINT";

/** A validated endpoint registration. */
export interface WebhookEndpointInput {
  readonly url: string;
  readonly eventTypes: readonly string[];
}

/**
 * Checks an endpoint registration and normalises it (URL serialised by WHATWG URL, event types
 * deduplicated and sorted; `*` alone when present).
 *
 * Rules: the URL is absolute `http:` or `https:` (no `file:`, `ftp:`, `javascript:` …: the
 * worker only speaks HTTP), at most 2048 characters, without user info (a password in a URL
 * ends up in logs) and without a fragment (never sent to a server). Loopback and private hosts
 * are allowed: tests and on-premises receivers use them; only operators register endpoints.
 * Event types: at least one, each one of `WEBHOOK_EVENT_TYPES` or `*`.
 *
 * @throws SoukError invalid_argument NOTIFICATIONS_INVALID_WEBHOOK_ENDPOINT naming every bad field
 *   (`url`, `event_types`, `event_types[i]`).
 */
export function validateWebhookEndpoint(url: string, eventTypes: readonly string[]): WebhookEndpointInput {
  const fields: FieldViolation[] = [];
  let normalizedUrl = url;
  if (url.length > MAX_WEBHOOK_URL_LENGTH) {
    fields.push({ field: "url", message: `must be at most ${MAX_WEBHOOK_URL_LENGTH} characters` });
  } else {
    const parsed = URL.parse(url);
    if (parsed === null) fields.push({ field: "url", message: "must be an absolute URL" });
    else if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      fields.push({ field: "url", message: "must be an http or https URL" });
    } else if (parsed.username !== "" || parsed.password !== "") {
      fields.push({ field: "url", message: "must not carry credentials" });
    } else if (parsed.hash !== "") {
      fields.push({ field: "url", message: "must not have a fragment" });
    } else normalizedUrl = parsed.href;
  }
  if (eventTypes.length === 0) fields.push({ field: "event_types", message: "must name at least one event type" });
  eventTypes.forEach((type, i) => {
    if (type !== ALL_EVENT_TYPES && !isNotificationEventType(type)) {
      fields.push({ field: `event_types[${i}]`, message: `unknown event type "${type}"` });
    }
  });
  if (fields.length > 0) throw invalidArgument(INVALID_WEBHOOK_ENDPOINT, "the webhook endpoint is invalid", fields);
  const unique = [...new Set(eventTypes)].sort();
  return { url: normalizedUrl, eventTypes: unique.includes(ALL_EVENT_TYPES) ? [ALL_EVENT_TYPES] : unique };
}

/** True when `endpoint` is active and subscribed to `type`. */
export function endpointWants(endpoint: WebhookEndpoint, type: NotificationEventType): boolean {
  return endpoint.active && (endpoint.eventTypes.includes(ALL_EVENT_TYPES) || endpoint.eventTypes.includes(type));
}
