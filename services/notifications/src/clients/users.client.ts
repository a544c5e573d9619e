import type { Client } from "@connectrpc/connect";
import type { UsersService } from "@souk/contracts/identity";
import { fromConnectError } from "@souk/platform";
import type { Recipients } from "../domain/ports.ts";

/** Calls to identity get this long before an attempt fails (and is retried), in ms. */
const GET_USER_TIMEOUT_MS = 5_000;

/**
 * Recipients from identity's UsersService.GetUser: the customer's email and name. NOT_FOUND is
 * "no such user" (undefined); any other error is rethrown as a SoukError (an outage: the job is retried).
 */
export function usersRecipients(users: Client<typeof UsersService>): Recipients {
  return {
    async find(userId) {
      try {
        const { user } = await users.getUser({ id: userId }, { timeoutMs: GET_USER_TIMEOUT_MS });
        return user === undefined ? undefined : { email: user.email, name: user.name };
      } catch (error) {
        const souk = fromConnectError(error);
        if (souk.kind === "not_found") return undefined;
        throw souk;
      }
    },
  };
}
