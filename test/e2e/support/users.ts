import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import type { Api } from "./http.ts";
import type { TokenPair } from "./types.ts";

/** A registered, logged-in customer. */
export interface Customer {
  readonly id: string;
  readonly email: string;
  readonly password: string;
  readonly name: string;
  readonly tokens: TokenPair;
  /** The access token, for `{ token }` request options. */
  readonly token: string;
}

/** Registers a new customer with a unique email (`label` makes logs readable) and logs them in. */
export async function registerAndLogin(api: Api, label = "shopper"): Promise<Customer> {
  const email = `${label}-${randomUUID()}@example.test`;
  const password = `pw-${randomUUID()}`;
  const name = `${label} ${email.slice(label.length + 1, label.length + 9)}`;
  const registered = await api.post<{ user: { id: string; email: string; name: string } }>("/v1/auth/register", {
    email,
    password,
    name,
  });
  expect(registered.status, registered.text).toBe(201);
  const login = await api.post<TokenPair>("/v1/auth/login", { email, password });
  expect(login.status, login.text).toBe(200);
  return { id: registered.body.user.id, email, password, name, tokens: login.body, token: login.body.accessToken };
}
