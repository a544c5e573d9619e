import { randomFillSync } from "node:crypto";
import { V7Generator } from "uuidv7";

/** A source of the current time, passed in so domain code is deterministic under test. */
export type Clock = () => Date;

/** The real wall clock (UTC instants). */
export const systemClock: Clock = () => new Date();

/** A source of new ids, passed in like the clock. */
export type IdGenerator = () => string;

/** How many random 32-bit words `PooledRandom` draws from the CSPRNG at once (4 KiB). */
const POOLED_WORDS = 1024;

/**
 * Random 32-bit words from Node's CSPRNG (`crypto.randomFillSync`), drawn `POOLED_WORDS` at a
 * time and each handed out once. uuidv7's default draws 8 words per `crypto.getRandomValues`
 * call (Web Crypto, which validates its argument on every call): with one id per HTTP request,
 * that was ~2.4 % of the embedded store's busy CPU on the product page.
 */
class PooledRandom {
  private readonly words = new Uint32Array(POOLED_WORDS);
  private cursor = POOLED_WORDS;

  /** A uniformly random integer in [0, 2^32). */
  nextUint32(): number {
    if (this.cursor === POOLED_WORDS) {
      randomFillSync(this.words);
      this.cursor = 0;
    }
    return this.words[this.cursor++]!;
  }
}

const ids = new V7Generator(new PooledRandom());

/** Character codes of the lowercase hex digits, by value. */
const HEX_CODES = Uint8Array.from("0123456789abcdef", (digit) => digit.charCodeAt(0));
const high = (byte: number) => HEX_CODES[byte >>> 4]!;
const low = (byte: number) => HEX_CODES[byte & 15]!;
const DASH = 45;

/**
 * The canonical text of a UUID (RFC 9562 §4: 8-4-4-4-12 lowercase hex digits) from its 16 bytes,
 * made as one string by one `String.fromCharCode` call. uuidv7's `toString` appends 40 pieces
 * one by one (a chain of 40 cons strings, flattened when first read): ~430 ns and ~1.3 KB per
 * id against ~65 ns here, and 3.3 % of the bytes an embedded product page allocated (one id per
 * request).
 *
 * @param bytes exactly 16 bytes, most significant first
 * @throws RangeError when there are not 16 bytes
 */
export function uuidText(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new RangeError(`a UUID has 16 bytes, got ${bytes.length}`);
  const b = bytes;
  // prettier-ignore
  return String.fromCharCode(
    high(b[0]!), low(b[0]!), high(b[1]!), low(b[1]!), high(b[2]!), low(b[2]!), high(b[3]!), low(b[3]!), DASH,
    high(b[4]!), low(b[4]!), high(b[5]!), low(b[5]!), DASH,
    high(b[6]!), low(b[6]!), high(b[7]!), low(b[7]!), DASH,
    high(b[8]!), low(b[8]!), high(b[9]!), low(b[9]!), DASH,
    high(b[10]!), low(b[10]!), high(b[11]!), low(b[11]!), high(b[12]!), low(b[12]!),
    high(b[13]!), low(b[13]!), high(b[14]!), low(b[14]!), high(b[15]!), low(b[15]!),
  );
}

/**
 * New UUIDv7 ids (RFC 9562 §5.7): time-ordered, so B-tree inserts stay local; within a process
 * each id sorts after the one before (uuidv7's monotonic counter, method 1 of RFC 9562 §6.2).
 */
export const newId: IdGenerator = () => uuidText(ids.generate().bytes);

/** True when `value` is a UUID in canonical textual form (any version). */
export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
