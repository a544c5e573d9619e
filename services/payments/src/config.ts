import Type from "typebox";

/** Payments' environment: variable name → schema (parsed once by the launcher). */
export const PaymentsConfig = Type.Object({
  PAYMENTS_FINGERPRINT_KEY: Type.String({
    minLength: 16,
    default: "souk-dev-card-fingerprint-key-not-for-production",
    description:
      "HMAC-SHA256 key of card fingerprints (same card → same fingerprint). Set a secret of 32+ random bytes in production; changing it makes old fingerprints (and the block list) unmatchable",
  }),
  PAYMENTS_FRAUD_MAX_AMOUNT_MINOR: Type.Integer({
    minimum: 1,
    default: 500_000,
    description: "Largest amount, in minor units, authorized without review (default 500000 = USD 5,000.00)",
  }),
  PAYMENTS_FRAUD_VELOCITY_MAX: Type.Integer({
    minimum: 1,
    default: 10,
    description: "Most authorization attempts per user within the velocity window; more fail fraud_velocity",
  }),
  PAYMENTS_FRAUD_VELOCITY_WINDOW_MS: Type.Integer({
    minimum: 1_000,
    default: 600_000,
    description: "Length of the sliding velocity window, in milliseconds",
  }),
  PAYMENTS_SIMULATOR_LATENCY_MS: Type.Integer({
    minimum: 0,
    maximum: 20_000,
    default: 0,
    description: "Artificial latency of the card simulator's authorizations, in milliseconds (a slow PSP)",
  }),
});
