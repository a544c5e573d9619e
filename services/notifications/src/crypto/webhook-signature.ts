import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** The request header carrying a webhook's signature. */
export const SIGNATURE_HEADER = "Souk-Signature";

/** Default tolerance between a signature's timestamp and the receiver's clock, in seconds (Stripe's default). */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

/** Prefix of webhook signing secrets (as Stripe's `whsec_`). */
export const SECRET_PREFIX = "whsec_";

/**
 * A new signing secret: `whsec_` followed by 32 random bytes in base64url (RFC 2104 §3: an HMAC
 * key should be at least as long as the hash output, 32 bytes for SHA-256).
 */
export function newWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString("base64url");
}

function hmacHex(secret: string, timestampSeconds: number, body: string | Uint8Array): string {
  return createHmac("sha256", secret).update(`${timestampSeconds}.`).update(body).digest("hex");
}

/**
 * The `Souk-Signature` header value of `body` sent at `timestampSeconds`, in Stripe's scheme
 * (https://docs.stripe.com/webhooks#verify-manually): `t=<unix seconds>,v1=<hex>`, where `<hex>`
 * is HMAC-SHA256 keyed with the whole secret (prefix included) over `"<t>.<body>"`. Binding the
 * timestamp into the MAC lets receivers refuse replays of old deliveries.
 */
export function signWebhook(secret: string, body: string | Uint8Array, timestampSeconds: number): string {
  return `t=${timestampSeconds},v1=${hmacHex(secret, timestampSeconds, body)}`;
}

/** The result of `verifyWebhookSignature`. */
export type WebhookVerification =
  | { readonly valid: true; readonly timestampSeconds: number }
  | {
      readonly valid: false;
      readonly reason: "malformed_header" | "timestamp_out_of_tolerance" | "signature_mismatch";
    };

/**
 * Verifies a `Souk-Signature` header as a receiver should, compatible with Stripe's scheme:
 * parses `t` and every `v1` (several may be present while a secret rotates; other schemes such as
 * `v0` are ignored), refuses a timestamp more than `toleranceSeconds` away from `now` (either way:
 * a stale delivery may be a replay), and compares the expected HMAC with each `v1` in constant
 * time. `body` must be the raw request body, byte for byte — not re-serialised JSON.
 *
 * @param toleranceSeconds 0 disables the timestamp check.
 * @param now the receiver's clock.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string,
  body: string | Uint8Array,
  toleranceSeconds: number = DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
  now: Date = new Date(),
): WebhookVerification {
  let timestampSeconds: number | undefined;
  const signatures: string[] = [];
  for (const item of header.split(",")) {
    const separator = item.indexOf("=");
    if (separator < 0) continue;
    const key = item.slice(0, separator).trim();
    const value = item.slice(separator + 1).trim();
    if (key === "t" && /^\d{1,12}$/.test(value)) timestampSeconds = Number(value);
    else if (key === "v1" && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestampSeconds === undefined || signatures.length === 0) return { valid: false, reason: "malformed_header" };
  if (toleranceSeconds > 0 && Math.abs(Math.floor(now.getTime() / 1000) - timestampSeconds) > toleranceSeconds) {
    return { valid: false, reason: "timestamp_out_of_tolerance" };
  }
  const expected = Buffer.from(hmacHex(secret, timestampSeconds, body), "hex");
  const matches = signatures.some((signature) => timingSafeEqual(expected, Buffer.from(signature, "hex")));
  return matches ? { valid: true, timestampSeconds } : { valid: false, reason: "signature_mismatch" };
}
