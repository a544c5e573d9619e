import Type, { type TSchema } from "typebox";

/**
 * JSON Schema pattern of text without control characters (C0 and DEL). PostgreSQL text cannot
 * hold NUL at all, and no name, address, id or query needs a control character.
 */
export const PRINTABLE_TEXT_PATTERN = "^[^\\u0000-\\u001F\\u007F]*$";

/** A string input without control characters (see PRINTABLE_TEXT_PATTERN), with length limits. */
export function Text(options: { minLength?: number; maxLength: number; description?: string }) {
  return Type.String({ ...options, pattern: PRINTABLE_TEXT_PATTERN });
}

/** Money on the REST surface: an integer count of minor units (cents for USD) and an ISO 4217 code. Never a float. */
export const MoneyDto = Type.Object(
  {
    amount: Type.Integer({ description: "Amount in minor units of `currency`, e.g. 1999 for USD 19.99" }),
    currency: Type.String({ pattern: "^[A-Z]{3}$", description: "ISO 4217 alphabetic code, e.g. USD" }),
  },
  { description: "An amount of money in integer minor units" },
);

/** The cursor of the next page, `null` on the last page. Opaque: pass it back as `cursor`. */
export const NextCursor = Type.Union([Type.String(), Type.Null()], {
  description: "Opaque cursor of the next page; null on the last page",
});

/** Page size of a list: 1..100; the service default (20) when absent. */
export const PageLimit = Type.Integer({ minimum: 1, maximum: 100, description: "Page size (1..100, default 20)" });

/** Opaque cursor from a previous page's `nextCursor`. */
export const PageCursor = Text({
  maxLength: 512,
  description: "`nextCursor` of the previous page; absent or empty for the first page",
});

/**
 * An opaque resource id (the services answer 404 for unknown ids). 100 characters at most: the
 * router's limit for a path parameter.
 */
export const ResourceId = Text({ minLength: 1, maxLength: 100 });

/**
 * RFC 9457 problem details, as every error of the API is answered (`application/problem+json`),
 * with Souk's stable `code` and, for validation errors, the list of bad fields (dotted paths
 * into the request, e.g. `payment.card.number`).
 */
export const ProblemDto = Type.Object(
  {
    type: Type.String({ description: "URN naming the problem type, e.g. urn:souk:problem:validation-failed" }),
    title: Type.String({ description: "Short summary of the HTTP status" }),
    status: Type.Integer({ description: "HTTP status code" }),
    detail: Type.String({ description: "Human-readable explanation of this occurrence" }),
    code: Type.String({ description: "Stable machine-readable error code, e.g. VALIDATION_FAILED" }),
    instance: Type.Optional(Type.String({ description: "Path of the request" })),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          field: Type.String({ description: "Dotted path of the bad field, e.g. payment.card.number" }),
          message: Type.String(),
        }),
        { description: "Every invalid field (validation errors only)" },
      ),
    ),
  },
  { description: "RFC 9457 problem details" },
);

const PROBLEM_DESCRIPTIONS = {
  400: "The request is invalid: malformed JSON, or `errors` lists every bad field",
  401: "The bearer token is missing, invalid or expired (or the credentials are wrong)",
  404: "Not found (or not yours)",
  409: "The request conflicts with the current state",
  413: "The body is larger than 1 MiB",
  415: "The body is not application/json",
  422: "The Idempotency-Key was already used with a different request",
  503: "A service the gateway depends on is unavailable",
} as const;

/** An HTTP status the API answers with a problem body. */
export type ProblemStatus = keyof typeof PROBLEM_DESCRIPTIONS;

/** A response answered with `application/problem+json`: used for OpenAPI and for serialization. */
export function problemResponse(status: ProblemStatus) {
  return {
    description: PROBLEM_DESCRIPTIONS[status],
    content: { "application/problem+json": { schema: ProblemDto } },
  };
}

/**
 * The problem responses of a route, keyed by status: every route may answer 400 and 503;
 * routes with a body also 413 and 415; add the statuses specific to the route.
 */
export function problemResponses<S extends ProblemStatus>(
  ...statuses: S[]
): Record<S | 400 | 503, ReturnType<typeof problemResponse>> {
  const all = [...new Set<ProblemStatus>([400, ...statuses, 503])].sort((a, b) => a - b);
  return Object.fromEntries(all.map((status) => [status, problemResponse(status)])) as Record<
    S | 400 | 503,
    ReturnType<typeof problemResponse>
  >;
}

/** A JSON success response with a description (OpenAPI) and a schema (serialization). */
export function jsonResponse<T extends TSchema>(description: string, schema: T) {
  return { description, content: { "application/json": { schema } } };
}

/** The OpenAPI security requirement of routes that need `Authorization: Bearer <access token>`. */
export const BEARER_SECURITY = [{ bearerAuth: [] }];
