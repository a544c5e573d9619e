import { invalidArgument, type FieldViolation, type Money } from "@souk/platform";

/**
 * A product of the catalog. `id` is a UUIDv7; `sku` is unique (`ELEC-000123`); `category` is
 * the slug of a `Category`; `price` is in integer minor units of an ISO 4217 currency;
 * `images` are absolute https URLs, first one the main picture. Timestamps are UTC instants.
 */
export interface Product {
  readonly id: string;
  readonly sku: string;
  readonly name: string;
  readonly description: string;
  readonly category: string;
  readonly price: Money;
  readonly images: readonly string[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A category of products: a URL-safe `slug` (`home-kitchen`) and a display `name` (`Home & Kitchen`). */
export interface Category {
  readonly slug: string;
  readonly name: string;
}

/** A category with how many products it holds (ListCategories). */
export interface CategorySummary extends Category {
  readonly productCount: number;
}

/**
 * SKU format: 2 to 5 upper-case letters naming the category, a dash, six digits (`ELEC-000123`).
 * Short, sortable, and readable over the phone; the letters let a warehouse tell departments apart.
 */
export const SKU_PATTERN = /^[A-Z]{2,5}-\d{6}$/;

/** Category slugs: lower-case words of letters and digits joined by single dashes (`video-games`). */
export const CATEGORY_SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** ISO 4217 alphabetic currency codes are exactly three upper-case Latin letters (`USD`). */
export const CURRENCY_PATTERN = /^[A-Z]{3}$/;

/** Longest product name, in characters (keeps cursors and search input bounded). */
export const MAX_PRODUCT_NAME_LENGTH = 200;

/** Most images one product may carry. */
export const MAX_PRODUCT_IMAGES = 10;

/** True when `sku` matches `SKU_PATTERN`. */
export function isValidSku(sku: string): boolean {
  return SKU_PATTERN.test(sku);
}

/** True when `currency` looks like an ISO 4217 alphabetic code (three upper-case letters). */
export function isValidCurrency(currency: string): boolean {
  return CURRENCY_PATTERN.test(currency);
}

/** True when `amountMinor` is a price Souk accepts: a non-negative safe integer of minor units. */
export function isValidPriceAmount(amountMinor: number): boolean {
  return Number.isSafeInteger(amountMinor) && amountMinor >= 0;
}

/** The parts of a product that the rules below check (what a seed or an admin write supplies). */
export type ProductFields = Pick<Product, "sku" | "name" | "description" | "category" | "price" | "images">;

function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === "https:";
  } catch {
    return false;
  }
}

/**
 * Every rule a product's fields break, as field violations prefixed by `path` (`products[3].price.currency`).
 * Rules: SKU format (`SKU_PATTERN`); name 1..200 characters; category slug format; price a
 * non-negative safe integer of minor units in a three-letter ISO 4217 currency (ARCHITECTURE:
 * "money is an integer count of minor units … never a float"); at most 10 images, each an https URL.
 */
export function productViolations(product: ProductFields, path = ""): FieldViolation[] {
  const at = (field: string) => (path === "" ? field : `${path}.${field}`);
  const violations: FieldViolation[] = [];
  if (!isValidSku(product.sku)) violations.push({ field: at("sku"), message: "must look like ABCD-000123" });
  const nameLength = [...product.name.trim()].length;
  if (nameLength === 0 || nameLength > MAX_PRODUCT_NAME_LENGTH) {
    violations.push({ field: at("name"), message: `must be 1..${MAX_PRODUCT_NAME_LENGTH} characters` });
  }
  if (!CATEGORY_SLUG_PATTERN.test(product.category)) {
    violations.push({ field: at("category"), message: "must be a lower-case slug" });
  }
  if (!isValidPriceAmount(product.price.amountMinor)) {
    violations.push({ field: at("price.amount_minor"), message: "must be a non-negative integer of minor units" });
  }
  if (!isValidCurrency(product.price.currency)) {
    violations.push({ field: at("price.currency"), message: "must be an ISO 4217 code such as USD" });
  }
  if (product.images.length > MAX_PRODUCT_IMAGES) {
    violations.push({ field: at("images"), message: `must hold at most ${MAX_PRODUCT_IMAGES} images` });
  }
  product.images.forEach((url, i) => {
    if (!isHttpsUrl(url)) violations.push({ field: at(`images[${i}]`), message: "must be an https URL" });
  });
  return violations;
}

/**
 * Checks products against `productViolations` and that no SKU repeats.
 * @throws SoukError invalid_argument CATALOG_INVALID_PRODUCT naming every bad field (`products[i].…`).
 */
export function assertValidProducts(products: readonly ProductFields[]): void {
  const violations: FieldViolation[] = [];
  const seen = new Set<string>();
  products.forEach((product, i) => {
    violations.push(...productViolations(product, `products[${i}]`));
    if (seen.has(product.sku)) violations.push({ field: `products[${i}].sku`, message: "is a duplicate" });
    seen.add(product.sku);
  });
  if (violations.length > 0) throw invalidArgument("CATALOG_INVALID_PRODUCT", "invalid products", violations);
}

/**
 * An admin's change to a product: each field given replaces the product's; the SKU and id never
 * change. `price` is integer minor units + ISO 4217 code; `category` a slug of an existing category.
 */
export interface ProductChanges {
  readonly name?: string;
  readonly description?: string;
  readonly category?: string;
  readonly price?: Money;
  readonly images?: readonly string[];
}

/**
 * The product after `changes`, stamped `updatedAt = at`, checked against the same rules as any
 * product (`productViolations`: name length, slug format, price, images). Whether the category
 * exists is the store's to check.
 * @throws SoukError invalid_argument CATALOG_INVALID_PRODUCT naming every bad field (`price.currency`).
 */
export function changeProduct(current: Product, changes: ProductChanges, at: Date): Product {
  const changed: Product = {
    ...current,
    ...(changes.name === undefined ? {} : { name: changes.name }),
    ...(changes.description === undefined ? {} : { description: changes.description }),
    ...(changes.category === undefined ? {} : { category: changes.category }),
    ...(changes.price === undefined ? {} : { price: changes.price }),
    ...(changes.images === undefined ? {} : { images: [...changes.images] }),
    updatedAt: at,
  };
  const violations = productViolations(changed);
  if (violations.length > 0) throw invalidArgument("CATALOG_INVALID_PRODUCT", "invalid product", violations);
  return changed;
}
