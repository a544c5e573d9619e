import { invalidArgument, type Clock, type IdGenerator } from "@souk/platform";
import { validateCard, type CardInput } from "../domain/card.ts";
import type { PaymentMethod, PaymentMethodStore } from "../domain/payment-method.ts";
import type { PaymentProvider } from "../domain/payment-provider.ts";

/**
 * Tokenizes a card for `userId`: validates it at the clock's now, vaults it with the provider
 * and stores what the provider returned (token, brand, last4, expiry, fingerprint). The card
 * number goes to the provider and nowhere else.
 * @throws SoukError invalid_argument PAYMENTS_INVALID_REQUEST when `userId` is empty;
 *   PAYMENTS_INVALID_CARD naming every bad card field (see `validateCard`).
 */
export function createPaymentMethod(deps: {
  provider: PaymentProvider;
  methods: PaymentMethodStore;
  clock: Clock;
  newId: IdGenerator;
}) {
  return async (userId: string, card: CardInput): Promise<PaymentMethod> => {
    if (userId.trim() === "") {
      throw invalidArgument("PAYMENTS_INVALID_REQUEST", "invalid payment method request", [
        { field: "user_id", message: "is required" },
      ]);
    }
    const valid = validateCard(card, deps.clock());
    const tokenized = await deps.provider.createPaymentMethod(valid);
    const method: PaymentMethod = { id: deps.newId(), userId, ...tokenized };
    await deps.methods.insert(method);
    return method;
  };
}
