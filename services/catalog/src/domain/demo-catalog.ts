import type { Faker } from "@faker-js/faker";
import {
  ALBUM_FORMATS,
  BOOK_FORMATS,
  CLOSINGS,
  DEPARTMENTS,
  GAME_GENRES,
  GAME_OPENERS,
  GAME_PLATFORMS,
  GAME_SUBTITLES,
  MOVIE_FORMATS,
  MOVIE_GENRES,
  MOVIE_OPENERS,
  TITLE_NOUNS,
  type Department,
} from "./demo-departments.ts";
import type { Category, ProductFields } from "./product.ts";

/** The fixed seed of the demo catalog: every Souk install seeds the same products. */
export const DEMO_CATALOG_SEED = 20_260_101;

/** Currency of every demo price. */
export const DEMO_CURRENCY = "USD";

/** Where demo product images live: `<base>/<sku>-<n>.jpg`, n = 1..3. */
export const DEMO_IMAGE_BASE_URL = "https://images.souk.example/products";

/** Largest demo catalog the generator makes (SKUs have six digits per department; 100k is plenty). */
export const MAX_DEMO_PRODUCTS = 100_000;

/** A generated product: its fields plus the stock inventory should start with (units, ≥ 0). */
export interface DemoProduct extends ProductFields {
  readonly initialStock: number;
}

/** The demo catalog: every department as a category, and the products in generation order. */
export interface DemoCatalog {
  readonly categories: readonly Category[];
  readonly products: readonly DemoProduct[];
}

/**
 * A Faker with English data and a fixed seed: the random source `generateDemoCatalog` draws
 * from. Two instances made with the same seed produce the same sequence.
 *
 * Faker is loaded here, on the first call, and only its English entry (~9 MB of RSS): the package
 * root evaluates every locale (~40 MB), and a catalog process needs Faker only to seed an empty
 * catalog. That entry exports just a prebuilt, unseeded instance, so a fresh seeded one is built
 * with its class and its merged `en` + `base` data — the same data as `[en, base]`.
 */
export async function createDemoFaker(seed: number = DEMO_CATALOG_SEED): Promise<Faker> {
  const { faker: english } = await import("@faker-js/faker/locale/en");
  // The entry's instance is a `Faker`; its constructor is the root's `Faker` class.
  const EnglishFaker = english.constructor as typeof Faker;
  return new EnglishFaker({ locale: english.rawDefinitions, seed });
}

const PITCHES = [
  "is built for everyday use",
  "balances quality and value",
  "is one of our best sellers",
  "is made to last",
  "was designed with care down to the last detail",
] as const;

interface Titled {
  readonly name: string;
  readonly lead: string;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Brand + optional qualifier + noun, optionally " - <variant>"; the lead sentence pitches it. */
function nameGoods(faker: Faker, department: Department): Titled & { minDollars: number; maxDollars: number } {
  const [noun, minDollars, maxDollars, qualifiers] = faker.helpers.arrayElement(department.kinds);
  const brand = faker.helpers.arrayElement(department.brands);
  const qualifier =
    qualifiers.length > 0 && faker.datatype.boolean({ probability: 0.85 })
      ? faker.helpers.arrayElement(qualifiers)
      : undefined;
  const variant =
    department.variants.length > 0 && faker.datatype.boolean({ probability: 0.35 })
      ? faker.helpers.arrayElement(department.variants)
      : undefined;
  const kind = qualifier === undefined ? noun : `${qualifier} ${noun}`;
  const name = `${brand} ${kind}${variant === undefined ? "" : ` - ${variant}`}`;
  const lead = `The ${brand} ${kind.toLowerCase()} ${faker.helpers.arrayElement(PITCHES)}.`;
  return { name, lead, minDollars, maxDollars };
}

/** Titles of books, albums, movies and games, with a lead naming the author, artist or genre. */
function nameMedia(faker: Faker, style: NonNullable<Department["titleStyle"]>): Titled {
  switch (style) {
    case "book":
      return {
        name: `${faker.book.title()} (${faker.helpers.arrayElement(BOOK_FORMATS)})`,
        lead: `A ${faker.book.genre().toLowerCase()} book by ${faker.book.author()}.`,
      };
    case "album":
      return {
        name: `${faker.music.album()} (${faker.helpers.arrayElement(ALBUM_FORMATS)})`,
        lead: `A ${faker.music.genre().toLowerCase()} album by ${faker.music.artist()}.`,
      };
    case "movie":
      return {
        name: `${faker.helpers.arrayElement(MOVIE_OPENERS)} ${faker.helpers.arrayElement(TITLE_NOUNS)} (${faker.helpers.arrayElement(MOVIE_FORMATS)})`,
        lead: `${capitalize(faker.helpers.arrayElement(MOVIE_GENRES))} film directed by ${faker.person.fullName()}.`,
      };
    case "game": {
      const platform = faker.helpers.arrayElement(GAME_PLATFORMS);
      return {
        name: `${faker.helpers.arrayElement(GAME_OPENERS)} the ${faker.helpers.arrayElement(TITLE_NOUNS)}: ${faker.helpers.arrayElement(GAME_SUBTITLES)} (${platform})`,
        lead: `${capitalize(faker.helpers.arrayElement(GAME_GENRES))} game for ${platform}.`,
      };
    }
  }
}

/**
 * A price between `minDollars` and `maxDollars` + 0.99, skewed towards the low end (shops sell
 * more cheap items than expensive ones) and ending in .99, .95, .49 or .00 like shelf prices.
 * Returns integer cents.
 */
function priceCents(faker: Faker, minDollars: number, maxDollars: number): number {
  const r = faker.number.float({ min: 0, max: 1 });
  const dollars = minDollars + Math.round((maxDollars - minDollars) * r * r);
  return dollars * 100 + faker.helpers.arrayElement([99, 99, 99, 95, 49, 0]);
}

/** Initial stock: 3 % of SKUs start sold out, the rest hold 5..200 units. */
function initialStock(faker: Faker): number {
  return faker.datatype.boolean({ probability: 0.03 }) ? 0 : faker.number.int({ min: 5, max: 200 });
}

/**
 * Generates the demo catalog: `count` products over the 22 departments of `DEPARTMENTS`
 * (drawn by weight; the first 22 products visit each department once so every category is
 * populated when `count` ≥ 22). Each product has a SKU `<prefix>-<6 digits>` numbered per
 * department from 1, a brand-qualifier-noun name (or a title for media), a 3–4 sentence
 * description, a USD price in cents within its kind's range, 1–3 image URLs and an initial
 * stock. Pure: the output depends only on `faker`'s seed and `count`.
 * @throws RangeError when `count` is not an integer in 1..100,000.
 */
export function generateDemoCatalog(faker: Faker, count: number): DemoCatalog {
  if (!Number.isInteger(count) || count < 1 || count > MAX_DEMO_PRODUCTS) {
    throw new RangeError(`count must be an integer in 1..${MAX_DEMO_PRODUCTS}, got ${count}`);
  }
  const weighted = DEPARTMENTS.map((department) => ({ weight: department.weight, value: department }));
  const nextNumber = new Map<string, number>();
  const products: DemoProduct[] = [];
  for (let i = 0; i < count; i += 1) {
    const department =
      i < DEPARTMENTS.length && count >= DEPARTMENTS.length
        ? (DEPARTMENTS[i] as Department)
        : faker.helpers.weightedArrayElement(weighted);
    const number = (nextNumber.get(department.skuPrefix) ?? 0) + 1;
    nextNumber.set(department.skuPrefix, number);
    const sku = `${department.skuPrefix}-${String(number).padStart(6, "0")}`;

    let titled: Titled;
    let price: number;
    if (department.titleStyle === undefined) {
      const goods = nameGoods(faker, department);
      titled = goods;
      price = priceCents(faker, goods.minDollars, goods.maxDollars);
    } else {
      const [, minDollars, maxDollars] = department.kinds[0] ?? ["", 5, 50];
      titled = nameMedia(faker, department.titleStyle);
      price = priceCents(faker, minDollars, maxDollars);
    }
    const description = [
      titled.lead,
      ...faker.helpers.arrayElements(department.features, 2),
      faker.helpers.arrayElement(CLOSINGS),
    ].join(" ");
    const imageCount = faker.number.int({ min: 1, max: 3 });
    products.push({
      sku,
      name: titled.name,
      description,
      category: department.slug,
      price: { amountMinor: price, currency: DEMO_CURRENCY },
      images: Array.from({ length: imageCount }, (_, k) => `${DEMO_IMAGE_BASE_URL}/${sku}-${k + 1}.jpg`),
      initialStock: initialStock(faker),
    });
  }
  return {
    categories: DEPARTMENTS.map((department) => ({ slug: department.slug, name: department.name })),
    products,
  };
}
