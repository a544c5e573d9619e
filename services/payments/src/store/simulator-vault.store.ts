import type { Kysely } from "kysely";
import { prepareQuery } from "@souk/platform";
import type { SimulatorVault } from "../provider/card-simulator.provider.ts";
import type { PaymentsDatabase } from "./payments.tables.ts";

const behaviourOfToken = prepareQuery((db: Kysely<PaymentsDatabase>, p: { token: string }) =>
  db.selectFrom("simulator_vault").select("behaviour").where("token", "=", p.token),
);

/** The card simulator's vault in the `simulator_vault` table (token → behaviour; never a card number). */
export function createSimulatorVault(db: Kysely<PaymentsDatabase>): SimulatorVault {
  return {
    async save(token, behaviour, at) {
      await db.insertInto("simulator_vault").values({ token, behaviour, created_at: at }).execute();
    },
    async find(token) {
      return (await behaviourOfToken.first(db, { token }))?.behaviour;
    },
  };
}
