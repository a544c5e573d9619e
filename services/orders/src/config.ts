import Type from "typebox";

/** Orders' environment: variable name → schema (parsed once by the launcher). */
export const OrdersConfig = Type.Object({
  ORDERS_FINGERPRINT_KEY: Type.String({
    minLength: 16,
    default: "souk-development-fingerprint-key",
    description: "HMAC key for checkout request fingerprints (idempotency); set a secret in production",
  }),
  ORDERS_CHECKOUT_WAIT_MS: Type.Integer({
    minimum: 0,
    default: 5_000,
    description: "Default wait for a terminal state",
  }),
  ORDERS_RECOVERY_INTERVAL_MS: Type.Integer({
    minimum: 50,
    default: 1_000,
    description: "How often due sagas are resumed",
  }),
  ORDERS_SAGA_LEASE_MS: Type.Integer({
    minimum: 500,
    default: 15_000,
    description: "Saga lease; a crashed runner's sagas resume after it",
  }),
  ORDERS_SAGA_TIMEOUT_MS: Type.Integer({
    minimum: 1_000,
    default: 120_000,
    description: "Transient failures past this cancel a checkout",
  }),
  ORDERS_RETRY_BASE_MS: Type.Integer({ minimum: 1, default: 200 }),
  ORDERS_RETRY_MAX_MS: Type.Integer({ minimum: 1, default: 30_000 }),
  ORDERS_RESERVATION_TTL_MS: Type.Integer({ minimum: 1_000, default: 15 * 60 * 1000 }),
});
