import { describe, expect, it } from "vitest";
import { parseShopArgs } from "./shop.args.ts";

describe("parseShopArgs", () => {
  it("has the documented defaults", () => {
    expect(parseShopArgs([], {})).toEqual({
      customers: 50,
      concurrency: 10,
      baseUrl: "http://127.0.0.1:8080",
      seed: 1,
      insecure: false,
      help: false,
    });
  });

  it("takes the base URL default from SOUK_BASE_URL", () => {
    expect(parseShopArgs([], { SOUK_BASE_URL: "https://127.0.0.1:8443/" }).baseUrl).toBe("https://127.0.0.1:8443");
  });

  it("reads every flag, and --base-url wins over the environment", () => {
    const options = parseShopArgs(
      [
        "--customers",
        "7",
        "--concurrency=3",
        "--base-url",
        "https://shop.local:8443/api/",
        "--seed",
        "42",
        "--insecure",
        "--help",
      ],
      { SOUK_BASE_URL: "http://elsewhere:1" },
    );
    expect(options).toEqual({
      customers: 7,
      concurrency: 3,
      baseUrl: "https://shop.local:8443/api",
      seed: 42,
      insecure: true,
      help: true,
    });
    expect(parseShopArgs(["-h"], {}).help).toBe(true);
  });

  it.each([
    [["--customers", "0"], "--customers"],
    [["--customers", "ten"], "--customers"],
    [["--customers", "2.5"], "--customers"],
    [["--customers", "1000001"], "--customers"],
    [["--customers"], "--customers"],
    [["--concurrency", "0"], "--concurrency"],
    [["--concurrency", "1001"], "--concurrency"],
    [["--seed", "-1"], "--seed"],
    [["--seed", "4294967296"], "--seed"],
    [["--base-url", "not a url"], "--base-url"],
    [["--base-url", "ftp://127.0.0.1"], "--base-url"],
    [["--base-url", "http://user:secret@127.0.0.1"], "--base-url"],
    [["--custmers", "5"], "--custmers"],
    [["--insecure=yes"], "--insecure"],
    [["stray"], "stray"],
  ])("rejects %j naming %s", (argv, flag) => {
    expect(() => parseShopArgs(argv, {})).toThrow(flag);
  });

  it("never echoes a password given in the base URL", () => {
    expect(() => parseShopArgs(["--base-url", "http://user:secret@127.0.0.1"], {})).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining("secret") as unknown }),
    );
  });
});
