import { Code, ConnectError } from "@connectrpc/connect";

/**
 * Transport-neutral error kinds. Only the platform maps a kind to a gRPC status
 * (`grpcCodeOf`) or an HTTP status (`httpStatusOf`).
 */
export type ErrorKind =
  | "invalid_argument"
  | "unauthenticated"
  | "permission_denied"
  | "not_found"
  | "conflict"
  | "failed_precondition"
  | "resource_exhausted"
  | "unavailable"
  | "deadline_exceeded"
  | "internal";

/** One invalid input field: `field` is a dotted path into the request (`payment.card.number`). */
export interface FieldViolation {
  readonly field: string;
  readonly message: string;
}

/**
 * The one error type of Souk. `code` is a stable, upper-snake string owned by the
 * throwing service (`ORDERS_NOT_CANCELLABLE`); `kind` decides the transport status.
 */
export class SoukError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  readonly fields: readonly FieldViolation[];

  constructor(
    kind: ErrorKind,
    code: string,
    message: string,
    options?: { fields?: FieldViolation[]; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SoukError";
    this.kind = kind;
    this.code = code;
    this.fields = options?.fields ?? [];
  }
}

/** Input failed validation; `fields` names every bad field. Maps to 400 / INVALID_ARGUMENT. */
export function invalidArgument(code: string, message: string, fields: FieldViolation[] = []): SoukError {
  return new SoukError("invalid_argument", code, message, { fields });
}

/** The thing asked for does not exist (or belongs to someone else). Maps to 404 / NOT_FOUND. */
export function notFound(code: string, message: string): SoukError {
  return new SoukError("not_found", code, message);
}

/** The request clashes with existing state (duplicate email). Maps to 409 / ALREADY_EXISTS. */
export function conflict(code: string, message: string): SoukError {
  return new SoukError("conflict", code, message);
}

/** The system is not in a state that allows the operation. Maps to 409 / FAILED_PRECONDITION. */
export function failedPrecondition(code: string, message: string): SoukError {
  return new SoukError("failed_precondition", code, message);
}

/** Missing or bad credentials. Maps to 401 / UNAUTHENTICATED. */
export function unauthenticated(code: string, message: string): SoukError {
  return new SoukError("unauthenticated", code, message);
}

/** A dependency is down or the process is draining. Maps to 503 / UNAVAILABLE. */
export function unavailable(code: string, message: string, cause?: unknown): SoukError {
  return new SoukError("unavailable", code, message, { cause });
}

const GRPC_CODES: Record<ErrorKind, Code> = {
  invalid_argument: Code.InvalidArgument,
  unauthenticated: Code.Unauthenticated,
  permission_denied: Code.PermissionDenied,
  not_found: Code.NotFound,
  conflict: Code.AlreadyExists,
  failed_precondition: Code.FailedPrecondition,
  resource_exhausted: Code.ResourceExhausted,
  unavailable: Code.Unavailable,
  deadline_exceeded: Code.DeadlineExceeded,
  internal: Code.Internal,
};

const KIND_OF_GRPC = new Map<Code, ErrorKind>(
  (Object.entries(GRPC_CODES) as [ErrorKind, Code][]).map(([kind, code]) => [code, kind]),
);

const HTTP_STATUS: Record<ErrorKind, number> = {
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  conflict: 409,
  failed_precondition: 409,
  resource_exhausted: 429,
  unavailable: 503,
  deadline_exceeded: 504,
  internal: 500,
};

/** The gRPC status code for an error kind. */
export function grpcCodeOf(kind: ErrorKind): Code {
  return GRPC_CODES[kind];
}

/** The HTTP status for an error kind. */
export function httpStatusOf(kind: ErrorKind): number {
  return HTTP_STATUS[kind];
}

const CODE_HEADER = "souk-error-code";
const FIELDS_HEADER = "souk-error-fields";

/**
 * Converts any thrown value into a ConnectError for the wire (or the in-process call).
 * A SoukError keeps its kind, code and fields (as metadata); anything else becomes
 * INTERNAL with a generic message, so no internal detail leaks to a caller.
 */
export function toConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof SoukError) {
    const metadata = new Headers({ [CODE_HEADER]: error.code });
    if (error.fields.length > 0) metadata.set(FIELDS_HEADER, JSON.stringify(error.fields));
    return new ConnectError(error.message, grpcCodeOf(error.kind), metadata, undefined, error);
  }
  if (isDatabaseUnreachable(error)) {
    return toConnectError(unavailable("DATABASE_UNAVAILABLE", "the database is unavailable; retry later", error));
  }
  if (isPostgresDataException(error)) {
    return toConnectError(
      new SoukError("invalid_argument", "INVALID_VALUE", "a value is not valid text or number", { cause: error }),
    );
  }
  return new ConnectError("internal error", Code.Internal, undefined, undefined, error);
}

/**
 * True when the database could not be reached or dropped the connection: SQLSTATE class 08
 * (connection exception), 57P01–57P03 (administrator/crash shutdown, cannot connect now), a
 * refused or reset socket, or node-postgres's "Connection terminated" (which carries no code).
 * A restart of PostgreSQL is an outage to retry through, not a server bug.
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && (/^08[0-9A-Z]{3}$/.test(code) || /^57P0[123]$/.test(code))) return true;
  if (code === "ECONNREFUSED" || code === "ECONNRESET" || code === "EPIPE" || code === "ETIMEDOUT") return true;
  const message = error instanceof Error ? error.message : "";
  return /Connection terminated|is not queryable|timeout exceeded when trying to connect/.test(message);
}

/**
 * True for PostgreSQL's "data exception" errors (SQLSTATE class 22, e.g. 22021 for a NUL
 * byte in text, 22003 for an out-of-range number): the caller sent a value the database
 * cannot hold — bad input, not a server fault.
 */
function isPostgresDataException(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^22[0-9A-Z]{3}$/.test(code);
}

/**
 * Converts an error received from a service call back into a SoukError, keeping its
 * stable code. Network failures (Unavailable, DeadlineExceeded, Canceled) become
 * `unavailable`/`deadline_exceeded` so the gateway answers 503/504.
 */
export function fromConnectError(error: unknown): SoukError {
  if (error instanceof SoukError) return error;
  if (error instanceof ConnectError) {
    const cause = error.cause;
    if (cause instanceof SoukError) return cause;
    const kind = KIND_OF_GRPC.get(error.code) ?? (error.code === Code.Canceled ? "unavailable" : "internal");
    const code = error.metadata.get(CODE_HEADER) ?? `UPSTREAM_${Code[error.code].toUpperCase()}`;
    const fieldsJson = error.metadata.get(FIELDS_HEADER);
    const fields = fieldsJson === null ? [] : (JSON.parse(fieldsJson) as FieldViolation[]);
    return new SoukError(kind, code, error.rawMessage, { fields, cause: error });
  }
  return new SoukError("internal", "INTERNAL", "internal error", { cause: error });
}
