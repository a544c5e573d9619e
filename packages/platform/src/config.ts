import Type, { type Static, type TObject } from "typebox";
import Value from "typebox/value";

/**
 * Thrown by `loadConfig` when the environment does not match the schema. The message names
 * every bad variable with what was wrong, e.g. `PORT: must be integer; LOG_LEVEL: must be one of …`.
 */
export class ConfigError extends Error {
  readonly variables: readonly string[];

  constructor(problems: { variable: string; message: string }[]) {
    super(`invalid configuration: ${problems.map((p) => `${p.variable}: ${p.message}`).join("; ")}`);
    this.name = "ConfigError";
    this.variables = problems.map((p) => p.variable);
  }
}

/**
 * Parses environment variables against a TypeBox object schema whose keys are variable
 * names. Defaults from the schema fill absent variables; strings are converted to the
 * schema's numbers and booleans. Unknown variables are ignored.
 *
 * @throws ConfigError naming every bad variable.
 */
export function loadConfig<T extends TObject>(schema: T, env: Record<string, string | undefined>): Static<T> {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== "") picked[key] = value;
  }
  const withDefaults = Value.Default(schema, picked);
  const converted = Value.Convert(schema, withDefaults);
  const errors = Value.Errors(schema, converted);
  if (errors.length > 0) {
    const problems = errors.map((error) => ({
      variable: error.instancePath.replace(/^\//, "") || error.keyword,
      message: error.message,
    }));
    throw new ConfigError(problems);
  }
  return converted as Static<T>;
}

/** Log levels accepted by `LOG_LEVEL`. */
export const LogLevel = Type.Union([
  Type.Literal("fatal"),
  Type.Literal("error"),
  Type.Literal("warn"),
  Type.Literal("info"),
  Type.Literal("debug"),
  Type.Literal("trace"),
  Type.Literal("silent"),
]);
