import { invalidArgument, isUuid, type SoukError } from "@souk/platform";

/**
 * Where a page of a listing ended: the keyset of its last product, in the listing's sort order.
 * Browsing sorts by (name ascending, id ascending); searching by (score descending, id ascending),
 * `score` being the relevance the store computed (a finite float8, compared exactly).
 */
export type ListingPosition =
  | { readonly kind: "browse"; readonly name: string; readonly id: string }
  | { readonly kind: "search"; readonly score: number; readonly id: string };

/** Longest cursor accepted, in characters: a position holds at most a 200-character name and a UUID. */
export const MAX_CURSOR_LENGTH = 2048;

const CURSOR_VERSION = 1;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * A 32-bit FNV-1a hash (hex) of the listing's normalized query and category. A cursor carries
 * the fingerprint of the listing that issued it, so replaying it against another query or
 * category is refused instead of silently skipping or repeating products.
 */
export function listingFingerprint(text: string, category: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(`${text}\u0000${category}`)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}

interface CursorPayload {
  v: number;
  f: string;
  k: "b" | "s";
  n?: string;
  s?: number;
  i: string;
}

/**
 * Encodes a position as an opaque cursor: base64url (RFC 4648 §5, no padding) of a small JSON
 * object `{v, f, k, n|s, i}` (version, listing fingerprint, kind, name or score, id). Clients
 * must treat it as opaque; only `decodeCursor` reads it.
 */
export function encodeCursor(position: ListingPosition, fingerprint: string): string {
  const payload: CursorPayload =
    position.kind === "browse"
      ? { v: CURSOR_VERSION, f: fingerprint, k: "b", n: position.name, i: position.id }
      : { v: CURSOR_VERSION, f: fingerprint, k: "s", s: position.score, i: position.id };
  return Buffer.from(JSON.stringify(payload), "utf8").toString("base64url");
}

function invalidCursor(message: string): SoukError {
  return invalidArgument("CATALOG_INVALID_CURSOR", message, [
    { field: "cursor", message: "must be a cursor returned by a previous page of the same listing" },
  ]);
}

function parsePayload(cursor: string): Record<string, unknown> {
  if (cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) throw invalidCursor("the cursor is malformed");
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalidCursor("the cursor is malformed");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw invalidCursor("the cursor is malformed");
  }
  return parsed as Record<string, unknown>;
}

/**
 * Decodes a cursor made by `encodeCursor` for the listing with `fingerprint`, whose positions are
 * of `kind` (browse or search).
 * @throws SoukError invalid_argument CATALOG_INVALID_CURSOR (field `cursor`) when the cursor is
 * not base64url JSON of the expected shape, has another version, or belongs to another listing.
 */
export function decodeCursor(cursor: string, fingerprint: string, kind: ListingPosition["kind"]): ListingPosition {
  const payload = parsePayload(cursor);
  if (payload["v"] !== CURSOR_VERSION) throw invalidCursor("the cursor is from an unsupported version");
  if (payload["f"] !== fingerprint) throw invalidCursor("the cursor belongs to another query or category");
  const id = payload["i"];
  if (typeof id !== "string" || !isUuid(id)) throw invalidCursor("the cursor is malformed");
  const name = payload["n"];
  const score = payload["s"];
  if (kind === "browse" && payload["k"] === "b" && typeof name === "string") return { kind, name, id };
  if (kind === "search" && payload["k"] === "s" && typeof score === "number" && Number.isFinite(score)) {
    return { kind, score, id };
  }
  throw invalidCursor("the cursor is malformed");
}
