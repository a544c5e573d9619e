import type { ListingPosition } from "./cursor.ts";
import type { Listing } from "./listing.ts";
import type { Category, CategorySummary, Product } from "./product.ts";

/** A product of a listing page with its keyset position (what a cursor after it encodes). */
export interface ListedProduct {
  readonly product: Product;
  readonly position: ListingPosition;
}

/** Ports the catalog use cases need; implemented on PostgreSQL in `store/`. */
export interface CatalogStore {
  /**
   * Up to `count` products of `listing` strictly after `listing.after`, in the listing's order:
   * browse by (name, id) ascending; search by (relevance desc, id asc), matching products whose
   * full-text document matches the query or whose name is trigram-similar to it (typo tolerance).
   */
  list(listing: Listing, count: number): Promise<ListedProduct[]>;
  /** The products among `ids` (UUIDs) that exist, in no particular order. */
  findByIds(ids: readonly string[]): Promise<Product[]>;
  /** Every category with its product count, sorted by display name. */
  listCategories(): Promise<CategorySummary[]>;
  /** True when the catalog holds at least one product. */
  hasProducts(): Promise<boolean>;
  /**
   * In one transaction holding the product's row lock (so concurrent changes apply one after
   * the other, none lost): reads product `id` (a lower-case UUID), passes it to `change`, and
   * writes the name, description, category, price, images and updatedAt `change` returns.
   * A `change` that throws writes nothing and its error reaches the caller.
   * @returns the product as written, or undefined when there is no product `id`.
   * @throws SoukError invalid_argument CATALOG_UNKNOWN_CATEGORY (field `category`) when the new
   *   category does not exist.
   */
  updateProduct(id: string, change: (current: Product) => Product): Promise<Product | undefined>;
  /**
   * In one transaction, and serialized against other seeds: when the catalog has no product,
   * upserts `categories` and inserts `products`, returning true; otherwise writes nothing and
   * returns false (so concurrent seeds write the catalog once).
   */
  seedIfEmpty(categories: readonly Category[], products: readonly Product[]): Promise<boolean>;
}
