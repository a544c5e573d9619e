// The command line of `npm run shop`: flags, defaults and their validation.
import { parseArgs } from "node:util";

/** What one shop run does; built by `parseShopArgs` or by hand in tests. */
export interface ShopOptions {
  /** How many customers walk through the store, each exactly once (1..1,000,000). */
  readonly customers: number;
  /** How many customers shop at the same time (1..1,000). */
  readonly concurrency: number;
  /** The store's public REST base, e.g. `http://127.0.0.1:8080` (no trailing slash); nothing else is contacted. */
  readonly baseUrl: string;
  /** Seeds every choice (products, quantities, cards); the same seed makes the same choices. 0..2^32-1. */
  readonly seed: number;
  /** Accepts a self-signed TLS certificate from an `https:` base URL. */
  readonly insecure: boolean;
  /** `--help` was given: print `SHOP_USAGE` instead of shopping. */
  readonly help: boolean;
}

/** The help text of `npm run shop`. */
export const SHOP_USAGE = `Usage: npm run shop -- [options]

A scripted crowd of customers that registers, browses, searches, fills carts and checks out
through the store's public REST API, then prints latencies and outcomes.

Options:
  --customers <n>     customers to run, each once (default 50)
  --concurrency <n>   customers shopping at the same time (default 10)
  --base-url <url>    the store's REST base (default $SOUK_BASE_URL or http://127.0.0.1:8080)
  --seed <n>          seed of every random choice (default 1)
  --insecure          accept a self-signed TLS certificate (https base URLs)
  --help              print this help`;

const DEFAULT_BASE_URL = "http://127.0.0.1:8080";

/**
 * Parses the flags after `shop` (e.g. `process.argv.slice(3)`). `env` supplies `SOUK_BASE_URL`,
 * the default of `--base-url`. Throws an `Error` whose message names the offending flag for an
 * unknown flag, a missing value, a stray argument or a value out of range.
 */
export function parseShopArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ShopOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        customers: { type: "string", default: "50" },
        concurrency: { type: "string", default: "10" },
        "base-url": { type: "string", default: env.SOUK_BASE_URL || DEFAULT_BASE_URL },
        seed: { type: "string", default: "1" },
        insecure: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    // parseArgs' own messages already name the flag ("Unknown option '--custmers'").
    throw new Error(`shop: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return {
    customers: integerFlag("--customers", values.customers, 1, 1_000_000),
    concurrency: integerFlag("--concurrency", values.concurrency, 1, 1_000),
    baseUrl: baseUrlFlag(values["base-url"]),
    seed: integerFlag("--seed", values.seed, 0, 0xffff_ffff),
    insecure: values.insecure,
    help: values.help,
  };
}

function integerFlag(flag: string, raw: string, min: number, max: number): number {
  const value = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(`shop: ${flag} must be an integer from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}

function baseUrlFlag(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`shop: --base-url must be an absolute http(s) URL, got '${raw}'`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`shop: --base-url must use http or https, got '${url.protocol}'`);
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    throw new Error("shop: --base-url must not carry credentials, a query or a fragment");
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}
