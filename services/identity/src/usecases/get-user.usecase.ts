import { isUuid, notFound } from "@souk/platform";
import type { User, UserStore } from "../domain/user.ts";

/**
 * The account with `id`.
 * @throws SoukError not_found IDENTITY_USER_NOT_FOUND when there is none (or `id` is not a UUID).
 */
export function getUser(users: UserStore) {
  return async (id: string): Promise<User> => {
    const user = isUuid(id) ? await users.findById(id) : undefined;
    if (user === undefined) throw notFound("IDENTITY_USER_NOT_FOUND", "no user with this id");
    return user;
  };
}
