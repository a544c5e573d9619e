import type { FastifySchemaCompiler, FastifySchemaValidationError } from "fastify";
import type { TSchema } from "typebox";
import { Compile } from "typebox/compile";
import type { TLocalizedValidationError } from "typebox/error";
import Value from "typebox/value";
import { PRINTABLE_TEXT_PATTERN } from "./schemas/common.schemas.ts";

/**
 * TypeBox errors → the Ajv-shaped errors Fastify and the platform's problem mapping read: one
 * error per missing property (`params.missingProperty`) and per unknown property
 * (`params.additionalProperty`); TypeBox's duplicate "schema is false" entries for unknown
 * properties are dropped.
 */
function toFastifyErrors(errors: readonly TLocalizedValidationError[]): FastifySchemaValidationError[] {
  return errors.flatMap((error): FastifySchemaValidationError[] => {
    const base = { keyword: error.keyword, instancePath: error.instancePath, schemaPath: error.schemaPath };
    if (error.keyword === "boolean" && error.schemaPath.endsWith("/additionalProperties")) return [];
    if (error.keyword === "required" && "requiredProperties" in error.params) {
      return error.params.requiredProperties.map((property) => ({
        ...base,
        params: { missingProperty: property },
        message: "is required",
      }));
    }
    if (error.keyword === "additionalProperties" && "additionalProperties" in error.params) {
      return error.params.additionalProperties.map((property) => ({
        ...base,
        params: { additionalProperty: property },
        message: "is not a known field",
      }));
    }
    const message =
      error.keyword === "pattern" && "pattern" in error.params && error.params.pattern === PRINTABLE_TEXT_PATTERN
        ? "must not contain control characters"
        : error.message;
    return [{ ...base, params: { ...error.params }, message }];
  });
}

/** Whether `schema` or any schema inside it declares a `default` (a property named so counts too). */
export function declaresDefault(schema: unknown): boolean {
  if (typeof schema !== "object" || schema === null) return false;
  if (Array.isArray(schema)) return schema.some(declaresDefault);
  return Object.hasOwn(schema, "default") || Object.values(schema).some(declaresDefault);
}

/**
 * The gateway's schema validator (TypeBox's compiler). Bodies are checked exactly as sent — no
 * type coercion, so `"quantity": "2"` or `true` is a 400, unlike Fastify's default Ajv setup which
 * coerces body types too. Query strings and path parameters, which are text on the wire, get
 * schema defaults and are converted to the schema's types (`?limit=20` → 20) before the check;
 * headers are only checked. A query or path that already checks against a schema without
 * defaults is taken as it is: TypeBox's `Value.Default` and `Value.Convert` walk the schema on
 * every call (~4 % of the embedded store's busy time on a product page, whose only parameter is a
 * UUID), and there is nothing for them to add or convert.
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const validator = Compile(schema);
  const textOnTheWire = httpPart !== "body" && httpPart !== "headers";
  const checksAsSent = textOnTheWire && !declaresDefault(schema);
  return (data: unknown) => {
    if (!textOnTheWire) {
      return validator.Check(data) ? { value: data } : { error: toFastifyErrors(validator.Errors(data)) };
    }
    if (checksAsSent && validator.Check(data)) return { value: data };
    const converted = Value.Convert(schema, Value.Default(schema, data));
    return validator.Check(converted) ? { value: converted } : { error: toFastifyErrors(validator.Errors(converted)) };
  };
};
