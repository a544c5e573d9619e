import { Type, type TSchema } from "typebox";
import { describe, expect, test } from "vitest";
import { declaresDefault, validatorCompiler } from "./validator-compiler.ts";

/** The validator Fastify would compile for `schema` as the request's `httpPart`. */
function compile(schema: TSchema, httpPart: string) {
  const validate = validatorCompiler({ schema, httpPart, method: "GET", url: "/x" });
  return (data: unknown) => validate(data) as { value?: unknown; error?: unknown };
}

describe("the gateway's validator", () => {
  test("knows whether a schema declares a default, however deep", () => {
    expect(declaresDefault(Type.Object({ id: Type.String({ format: "uuid" }) }))).toBe(false);
    expect(declaresDefault(Type.Object({ limit: Type.Integer({ default: 20 }) }))).toBe(true);
    expect(declaresDefault(Type.Object({ a: Type.Array(Type.Object({ b: Type.String({ default: "x" }) })) }))).toBe(
      true,
    );
    expect(declaresDefault(Type.Union([Type.String(), Type.Integer({ default: 1 })]))).toBe(true);
  });

  test("takes a path or query that already checks against a schema without defaults as it is", () => {
    const params = { id: "01a21b30-2cec-7736-aed7-603a08a3ca73" };
    const result = compile(Type.Object({ id: Type.String({ format: "uuid" }) }), "params")(params);
    expect(result.error).toBeUndefined();
    expect(result.value).toBe(params);
  });

  test("does not walk a schema without defaults for a path that checks, and does for one that does not", () => {
    // TypeBox's Value.Default and Value.Convert read the schema on every call; the compiled check does not.
    let reads = 0;
    const tracked = <T extends object>(target: T): T =>
      new Proxy(target, {
        get(object, key, receiver) {
          reads += 1;
          const value = Reflect.get(object, key, receiver) as unknown;
          return typeof value === "object" && value !== null ? tracked(value) : value;
        },
      });
    const validate = compile(tracked(Type.Object({ id: Type.String({ format: "uuid" }) })), "params");
    reads = 0;
    expect(validate({ id: "01a21b30-2cec-7736-aed7-603a08a3ca73" }).error).toBeUndefined();
    expect(reads).toBe(0);
    expect(validate({ id: "nope" }).error).toBeDefined();
    expect(reads).toBeGreaterThan(0);
  });

  test("still converts a path or query that does not check as sent, and fills in defaults", () => {
    const count = compile(Type.Object({ n: Type.Integer({ minimum: 1 }) }), "params");
    expect(count({ n: "7" })).toEqual({ value: { n: 7 } });
    expect(count({ n: "0" }).error).toEqual([expect.objectContaining({ instancePath: "/n", keyword: "minimum" })]);
    expect(count({ n: "seven" }).error).toBeDefined();

    const page = compile(
      Type.Object({ limit: Type.Integer({ default: 20 }), q: Type.Optional(Type.String()) }),
      "querystring",
    );
    expect(page({})).toEqual({ value: { limit: 20 } });
    expect(page({ limit: "5", q: "mug" })).toEqual({ value: { limit: 5, q: "mug" } });
  });

  test("checks bodies and headers exactly as sent", () => {
    const body = compile(Type.Object({ quantity: Type.Integer() }), "body");
    expect(body({ quantity: 2 })).toEqual({ value: { quantity: 2 } });
    expect(body({ quantity: "2" }).error).toEqual([expect.objectContaining({ instancePath: "/quantity" })]);
  });
});
