import { describe, expect, it } from "vitest";
import { SoukError } from "@souk/platform";
import { emailProblem, normalizeEmail, normalizePassword, validateRegistration } from "./user.ts";

function violationsOf(input: { email: string; password: string; name: string }): Record<string, string> {
  try {
    validateRegistration(input);
  } catch (error) {
    expect(error).toBeInstanceOf(SoukError);
    expect((error as SoukError).code).toBe("IDENTITY_INVALID_REGISTRATION");
    expect((error as SoukError).kind).toBe("invalid_argument");
    return Object.fromEntries((error as SoukError).fields.map((f) => [f.field, f.message]));
  }
  return {};
}

const valid = { email: "ada@example.com", password: "correct horse", name: "Ada" };

describe("registration rules", () => {
  it("normalizes email (trim + lowercase) and name (trim), never the password's spaces", () => {
    expect(
      validateRegistration({ email: "  Ada.Lovelace@Example.COM ", password: " 12345678 ", name: "  Ada L. " }),
    ).toEqual({ email: "ada.lovelace@example.com", password: " 12345678 ", name: "Ada L." });
  });

  it("lists every bad field in one error", () => {
    expect(violationsOf({ email: "nope", password: "short", name: "   " })).toEqual({
      email: "must be an email address like name@example.com",
      password: "must be 8 to 256 characters",
      name: "must be 1 to 100 characters",
    });
  });

  it("bounds the password at 8..256 code points, counting an emoji as one", () => {
    expect(violationsOf({ ...valid, password: "1234567" })).toHaveProperty("password");
    expect(violationsOf({ ...valid, password: "12345678" })).toEqual({});
    expect(violationsOf({ ...valid, password: "🔑".repeat(8) })).toEqual({}); // 16 UTF-16 units, 8 code points
    expect(violationsOf({ ...valid, password: "🔑".repeat(7) })).toHaveProperty("password");
    expect(violationsOf({ ...valid, password: "x".repeat(256) })).toEqual({});
    expect(violationsOf({ ...valid, password: "x".repeat(257) })).toHaveProperty("password");
  });

  it("bounds the name at 1..100 characters after trimming and refuses control characters", () => {
    expect(violationsOf({ ...valid, name: "n".repeat(100) })).toEqual({});
    expect(violationsOf({ ...valid, name: "n".repeat(101) })).toHaveProperty("name");
    expect(violationsOf({ ...valid, name: ` ${"n".repeat(100)} ` })).toEqual({});
    expect(violationsOf({ ...valid, name: "Ada\nAdmin" })).toEqual({ name: "must not contain control characters" });
    expect(violationsOf({ ...valid, name: "Zoë 👩‍💻" })).toEqual({});
  });

  it("NFKC-normalizes passwords so composed and decomposed forms match", () => {
    expect(normalizePassword("caf\u0065\u0301 au lait")).toBe(normalizePassword("caf\u00e9 au lait"));
    expect(normalizeEmail("  MiXeD@Example.Org\t")).toBe("mixed@example.org");
  });
});

describe("email addresses", () => {
  it.each([
    "a@b.co",
    "first.last@example.com",
    "user+tag@sub.example.co.uk",
    "o'brien@example.ie",
    "x_y-z@xn--bcher-kva.example",
    "1234@123.example",
  ])("accepts %s", (email) => {
    expect(emailProblem(email)).toBeUndefined();
  });

  it.each([
    ["", "must not be empty"],
    ["plainaddress", "must be an email address like name@example.com"],
    ["@example.com", "must be an email address like name@example.com"],
    ["user@", "must be an email address like name@example.com"],
    ["user@localhost", "must be an email address like name@example.com"],
    ["user@example..com", "must be an email address like name@example.com"],
    ["user@-example.com", "must be an email address like name@example.com"],
    ["user@example-.com", "must be an email address like name@example.com"],
    ["user@192.168.0.1", "must be an email address like name@example.com"],
    [".user@example.com", "must be an email address like name@example.com"],
    ["us..er@example.com", "must be an email address like name@example.com"],
    ["user.@example.com", "must be an email address like name@example.com"],
    ["us er@example.com", "must be an email address like name@example.com"],
    ['"quoted"@example.com', "must be an email address like name@example.com"],
    ["a@b@example.com", "must be an email address like name@example.com"],
    ["üser@example.com", "must be an email address like name@example.com"],
    [`${"l".repeat(65)}@example.com`, "must have at most 64 characters before the @"],
  ])("refuses %j", (email, message) => {
    expect(emailProblem(email)).toBe(message);
  });

  it("accepts 254 characters and refuses 255", () => {
    // Two 63-character labels, then a last label filling up to `length` (61 or 62 characters).
    const domainOf = (length: number) => `${"d".repeat(63)}.${"d".repeat(63)}.${"d".repeat(length - 128)}`;
    const at254 = `${"l".repeat(64)}@${domainOf(254 - 65)}`;
    expect(at254).toHaveLength(254);
    expect(emailProblem(at254)).toBeUndefined();
    expect(emailProblem(`${"l".repeat(64)}@${domainOf(255 - 65)}`)).toBe("must be at most 254 characters");
  });
});
