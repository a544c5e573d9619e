import { createHmac } from "node:crypto";
import type { CardInput, ShippingAddress } from "./order.ts";

/**
 * Fingerprint of a checkout request, to tell a replay (same Idempotency-Key, same body) from
 * key reuse (same key, another body) — Stripe's idempotency semantics
 * (https://docs.stripe.com/api/idempotent_requests). It is an HMAC-SHA256 under a server key,
 * not a plain hash, because the body holds a card number (PCI DSS 4.0 req. 3.5.1.1: keyed
 * cryptographic hashes of the PAN). Fields are serialized in a fixed order.
 * @returns 64 hex characters.
 */
export function requestFingerprint(key: string, card: CardInput, address: ShippingAddress): string {
  const canonical = JSON.stringify([
    card.number.replace(/[\s-]/g, ""),
    card.expMonth,
    card.expYear,
    card.cvc,
    address.name,
    address.line1,
    address.city,
    address.postalCode,
    address.country,
  ]);
  return createHmac("sha256", key).update(canonical).digest("hex");
}
