import { conflict, invalidArgument, unauthenticated, type FieldViolation, type SoukError } from "@souk/platform";

/** A customer account. `id` is a UUIDv7; `email` is trimmed and lowercased; `createdAt` is UTC. */
export interface User {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly createdAt: Date;
}

/** An account with its credential: `passwordHash` is an argon2id PHC string, never the password. */
export interface UserWithCredentials extends User {
  readonly passwordHash: string;
}

/** What a registration asks for, as received (untrimmed, unvalidated). */
export interface RegistrationInput {
  readonly email: string;
  readonly password: string;
  readonly name: string;
}

/** A registration that passed `validateRegistration`: email and name normalized, password NFKC-normalized. */
export interface Registration {
  readonly email: string;
  readonly password: string;
  readonly name: string;
}

/**
 * Longest accepted email address: 254 characters, the longest address that fits SMTP's
 * 256-octet forward-path including its angle brackets (RFC 5321 §4.5.3.1.3, RFC 3696 errata 1690).
 */
export const MAX_EMAIL_LENGTH = 254;
/** Longest local part (before the `@`): 64 octets (RFC 5321 §4.5.3.1.1). */
export const MAX_EMAIL_LOCAL_PART_LENGTH = 64;
/**
 * Password length bounds in Unicode code points. At least 8 (NIST SP 800-63B-3 §5.1.1.2;
 * revision 4 asks 15 for a password that is the only factor — Souk's product choice is 8);
 * at most 256, well above NIST's "at least 64" so passphrases fit, while bounding the work
 * one request can ask of the hasher.
 */
export const PASSWORD_MIN_LENGTH = 8;
/** See `PASSWORD_MIN_LENGTH`. */
export const PASSWORD_MAX_LENGTH = 256;
/** Display name length bounds in Unicode code points, after trimming. */
export const NAME_MAX_LENGTH = 100;

// dot-atom of RFC 5322 §3.2.3 (atext runs separated by single dots), after lowercasing.
// Quoted local parts and internationalized addresses (RFC 6531) are deliberately refused:
// real mailboxes almost never use them and they are a common source of injection bugs.
const LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
// A host name label (RFC 1035 §2.3.1 as relaxed by RFC 1123 §2.1): 1..63 letters, digits
// and inner hyphens.
const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const CONTROL_CHARACTER = /\p{Cc}/u;

/** Lowercases and trims an email address: the canonical form Souk stores and looks up by. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Normalizes a password to NFKC before it is hashed or verified, so the same password typed
 * on two keyboards (composed vs decomposed "é") matches (NIST SP 800-63B-3 §5.1.1.2).
 */
export function normalizePassword(password: string): string {
  return password.normalize("NFKC");
}

function codePoints(value: string): number {
  return [...value].length;
}

/**
 * What is wrong with a normalized email address, or undefined when it is acceptable: a
 * dot-atom local part of at most 64 characters, `@`, and a domain of at least two host name
 * labels whose last (the top-level domain) is not all digits (RFC 3696 §2).
 */
export function emailProblem(email: string): string | undefined {
  if (email === "") return "must not be empty";
  if (email.length > MAX_EMAIL_LENGTH) return `must be at most ${MAX_EMAIL_LENGTH} characters`;
  const at = email.lastIndexOf("@");
  const local = email.slice(0, Math.max(at, 0));
  const domain = email.slice(at + 1);
  if (local.length > MAX_EMAIL_LOCAL_PART_LENGTH) {
    return `must have at most ${MAX_EMAIL_LOCAL_PART_LENGTH} characters before the @`;
  }
  const labels = domain.split(".");
  const valid =
    at > 0 &&
    LOCAL_PART.test(local) &&
    labels.length >= 2 &&
    labels.every((label) => DOMAIN_LABEL.test(label)) &&
    !/^[0-9]+$/.test(labels[labels.length - 1] ?? "");
  return valid ? undefined : "must be an email address like name@example.com";
}

/**
 * Validates and normalizes a registration: email trimmed and lowercased (see `emailProblem`),
 * password 8..256 code points after NFKC (never trimmed), name 1..100 code points after
 * trimming and free of control characters.
 * @throws SoukError invalid_argument IDENTITY_INVALID_REGISTRATION listing every bad field
 *   ("email", "password", "name").
 */
export function validateRegistration(input: RegistrationInput): Registration {
  const email = normalizeEmail(input.email);
  const password = normalizePassword(input.password);
  const name = input.name.trim();
  const violations: FieldViolation[] = [];

  const emailMessage = emailProblem(email);
  if (emailMessage !== undefined) violations.push({ field: "email", message: emailMessage });

  const passwordLength = codePoints(password);
  if (passwordLength < PASSWORD_MIN_LENGTH || passwordLength > PASSWORD_MAX_LENGTH) {
    violations.push({
      field: "password",
      message: `must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`,
    });
  }

  const nameLength = codePoints(name);
  if (nameLength < 1 || nameLength > NAME_MAX_LENGTH) {
    violations.push({ field: "name", message: `must be 1 to ${NAME_MAX_LENGTH} characters` });
  } else if (CONTROL_CHARACTER.test(name)) {
    violations.push({ field: "name", message: "must not contain control characters" });
  }

  if (violations.length > 0) {
    throw invalidArgument("IDENTITY_INVALID_REGISTRATION", "invalid registration", violations);
  }
  return { email, password, name };
}

/** conflict IDENTITY_EMAIL_TAKEN: the email is registered already. */
export function emailTaken(): SoukError {
  return conflict("IDENTITY_EMAIL_TAKEN", "an account with this email already exists");
}

/**
 * unauthenticated IDENTITY_INVALID_CREDENTIALS: one answer, one message for an unknown email
 * and a wrong password, so a login does not reveal which emails have accounts.
 */
export function invalidCredentials(): SoukError {
  return unauthenticated("IDENTITY_INVALID_CREDENTIALS", "invalid email or password");
}

/**
 * Hashes and verifies passwords (implemented with argon2id in `crypto/`). Inputs are
 * already NFKC-normalized.
 */
export interface PasswordHasher {
  /** A fresh PHC-format hash of `password` with a random salt. */
  hash(password: string): Promise<string>;
  /**
   * True when `password` matches `encoded`. With `encoded` undefined (no such user) it spends
   * the same work against a dummy hash and returns false, so the answer time does not reveal
   * whether an account exists (OWASP Authentication Cheat Sheet, "Authentication Responses").
   */
  verify(encoded: string | undefined, password: string): Promise<boolean>;
  /** True when `encoded` was made with other parameters than the current policy (rehash on login). */
  needsRehash(encoded: string): boolean;
}

/** Ports the user use cases need; implemented in `store/user.store.ts`. */
export interface UserStore {
  /**
   * Inserts a new account.
   * @throws SoukError conflict IDENTITY_EMAIL_TAKEN when the email is already registered
   *   (enforced by a unique index, so concurrent registrations cannot both succeed).
   */
  insert(user: UserWithCredentials): Promise<void>;
  /** The account with `id` (a UUID), or undefined. */
  findById(id: string): Promise<User | undefined>;
  /** The account with the normalized `email`, with its password hash, or undefined. */
  findByEmail(email: string): Promise<UserWithCredentials | undefined>;
  /** Replaces the password hash of `userId` (a rehash with current parameters). */
  updatePasswordHash(userId: string, passwordHash: string, now: Date): Promise<void>;
}
