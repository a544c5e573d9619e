import type { Clock, IdGenerator } from "@souk/platform";
import {
  emailTaken,
  validateRegistration,
  type PasswordHasher,
  type RegistrationInput,
  type User,
  type UserStore,
} from "../domain/user.ts";

/** What `registerUser` needs. */
export interface RegisterUserDeps {
  readonly users: UserStore;
  readonly hasher: PasswordHasher;
  readonly clock: Clock;
  readonly newId: IdGenerator;
}

/**
 * Creates an account: validates and normalizes the input, hashes the password (argon2id) and
 * stores the user under a new UUIDv7. Returns the user (never the hash).
 * @throws SoukError invalid_argument IDENTITY_INVALID_REGISTRATION listing every bad field;
 *   conflict IDENTITY_EMAIL_TAKEN when the (normalized) email has an account.
 */
export function registerUser(deps: RegisterUserDeps) {
  return async (input: RegistrationInput): Promise<User> => {
    const registration = validateRegistration(input);
    // Spares an argon2 hash for the common duplicate; the unique index settles races.
    if ((await deps.users.findByEmail(registration.email)) !== undefined) throw emailTaken();
    const passwordHash = await deps.hasher.hash(registration.password);
    const user: User = {
      id: deps.newId(),
      email: registration.email,
      name: registration.name,
      createdAt: deps.clock(),
    };
    await deps.users.insert({ ...user, passwordHash });
    return user;
  };
}
