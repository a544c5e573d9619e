import Type from "typebox";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.ts";

const Schema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  HOST: Type.String({ minLength: 1, default: "127.0.0.1" }),
  RETRIES: Type.Integer({ minimum: 0, default: 3 }),
});

describe("loadConfig", () => {
  it("fills defaults and converts strings to numbers", () => {
    expect(loadConfig(Schema, { PORT: "9090", UNRELATED: "x" })).toEqual({ PORT: 9090, HOST: "127.0.0.1", RETRIES: 3 });
  });

  it("names every bad variable in one error", () => {
    try {
      loadConfig(Schema, { PORT: "eighty", RETRIES: "-1" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).variables).toEqual(["PORT", "RETRIES"]);
      expect((error as ConfigError).message).toMatch(/PORT: .*; RETRIES: /);
    }
  });

  it("treats an empty variable as unset", () => {
    expect(loadConfig(Schema, { HOST: "" }).HOST).toBe("127.0.0.1");
  });
});
