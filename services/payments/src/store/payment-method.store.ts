import type { Kysely, Selectable } from "kysely";
import { prepareQuery } from "@souk/platform";
import type { PaymentMethod, PaymentMethodStore } from "../domain/payment-method.ts";
import type { PaymentsDatabase } from "./payments.tables.ts";

const paymentMethodById = prepareQuery((db: Kysely<PaymentsDatabase>, p: { id: string }) =>
  db.selectFrom("payment_methods").selectAll().where("id", "=", p.id),
);

function toPaymentMethod(row: Selectable<PaymentsDatabase["payment_methods"]>): PaymentMethod {
  return {
    id: row.id,
    userId: row.user_id,
    brand: row.brand,
    last4: row.last4,
    expMonth: row.exp_month,
    expYear: row.exp_year,
    fingerprint: row.fingerprint,
    providerToken: row.provider_token,
  };
}

/** Payment methods in the `payment_methods` table (no card numbers: brand, last4, fingerprint, token). */
export function createPaymentMethodStore(db: Kysely<PaymentsDatabase>): PaymentMethodStore {
  return {
    async insert(method) {
      await db
        .insertInto("payment_methods")
        .values({
          id: method.id,
          user_id: method.userId,
          brand: method.brand,
          last4: method.last4,
          exp_month: method.expMonth,
          exp_year: method.expYear,
          fingerprint: method.fingerprint,
          provider_token: method.providerToken,
        })
        .execute();
    },
    async find(id) {
      const row = await paymentMethodById.first(db, { id });
      return row === undefined ? undefined : toPaymentMethod(row);
    },
  };
}
