import { describe, expect, it } from "vitest";
import {
  DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
  newWebhookSecret,
  signWebhook,
  verifyWebhookSignature,
} from "./webhook-signature.ts";

const secret = "whsec_test_secret";
const body = JSON.stringify({ id: "evt_1", type: "order.confirmed", created: 1_700_000_000, data: { total: 1999 } });
const t = 1_700_000_000;
const at = (seconds: number) => new Date(seconds * 1000);

/** HMAC-SHA256 through WebCrypto: an implementation independent of node:crypto's createHmac. */
async function webCryptoHex(key: string, message: string): Promise<string> {
  const imported = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(key),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", imported, new TextEncoder().encode(message));
  return Buffer.from(mac).toString("hex");
}

describe("webhook signatures (Stripe's t=…,v1=… scheme)", () => {
  it("signs HMAC-SHA256(secret, '<t>.<body>') in hex", async () => {
    const header = signWebhook(secret, body, t);
    expect(header).toBe(`t=${t},v1=${await webCryptoHex(secret, `${t}.${body}`)}`);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
  });

  it("verifies its own signature, from a string or the raw bytes", () => {
    const header = signWebhook(secret, body, t);
    expect(verifyWebhookSignature(secret, header, body, 300, at(t + 10))).toEqual({ valid: true, timestampSeconds: t });
    expect(verifyWebhookSignature(secret, header, Buffer.from(body), 300, at(t)).valid).toBe(true);
  });

  it("refuses a tampered body, another secret and a swapped timestamp", () => {
    const header = signWebhook(secret, body, t);
    expect(verifyWebhookSignature(secret, header, body.replace("1999", "1"), 300, at(t))).toEqual({
      valid: false,
      reason: "signature_mismatch",
    });
    expect(verifyWebhookSignature("whsec_other", header, body, 300, at(t)).valid).toBe(false);
    // The timestamp is inside the MAC: moving it (to defeat the tolerance) breaks the signature.
    const moved = header.replace(`t=${t}`, `t=${t + 1000}`);
    expect(verifyWebhookSignature(secret, moved, body, 300, at(t + 1000))).toEqual({
      valid: false,
      reason: "signature_mismatch",
    });
  });

  it("refuses timestamps outside the tolerance, either way; 0 disables the check", () => {
    const header = signWebhook(secret, body, t);
    const tolerance = DEFAULT_SIGNATURE_TOLERANCE_SECONDS;
    expect(verifyWebhookSignature(secret, header, body, tolerance, at(t + tolerance)).valid).toBe(true);
    expect(verifyWebhookSignature(secret, header, body, tolerance, at(t + tolerance + 1))).toEqual({
      valid: false,
      reason: "timestamp_out_of_tolerance",
    });
    expect(verifyWebhookSignature(secret, header, body, tolerance, at(t - tolerance - 1)).valid).toBe(false);
    expect(verifyWebhookSignature(secret, header, body, 0, at(t + 86_400)).valid).toBe(true);
  });

  it("accepts any matching v1 among several (secret rotation) and ignores other schemes", async () => {
    const mine = signWebhook(secret, body, t).split(",v1=")[1];
    const stale = await webCryptoHex("whsec_old", `${t}.${body}`);
    const header = `t=${t},v0=${"0".repeat(64)},v1=${stale},v1=${mine}`;
    expect(verifyWebhookSignature(secret, header, body, 300, at(t)).valid).toBe(true);
  });

  it("refuses malformed headers", () => {
    for (const header of ["", "t=abc,v1=00", `v1=${"a".repeat(64)}`, `t=${t}`, `t=${t},v1=short`, "garbage"]) {
      expect(verifyWebhookSignature(secret, header, body, 300, at(t))).toEqual({
        valid: false,
        reason: "malformed_header",
      });
    }
  });

  it("generates distinct whsec_ secrets of 256 bits", () => {
    const a = newWebhookSecret();
    const b = newWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
  });
});
