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

/**
 * The gateway's schema validator (TypeBox's compiler). Bodies are checked exactly as sent — no
 * type coercion, so `"quantity": "2"` or `true` is a 400, unlike Fastify's default Ajv setup which
 * coerces body types too. Query strings and path parameters, which are text on the wire, get
 * schema defaults and are converted to the schema's types (`?limit=20` → 20) before the check;
 * headers are only checked.
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const validator = Compile(schema);
  return (data: unknown) => {
    if (httpPart === "body" || httpPart === "headers") {
      return validator.Check(data) ? { value: data } : { error: toFastifyErrors(validator.Errors(data)) };
    }
    const converted = Value.Convert(schema, Value.Default(schema, data));
    return validator.Check(converted) ? { value: converted } : { error: toFastifyErrors(validator.Errors(converted)) };
  };
};
