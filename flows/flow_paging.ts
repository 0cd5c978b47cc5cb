// The page rules every flow query shares: sort, order and page bounds, and the cursor format.
//
// Flows in memory (query.ts), stored flows (history/flows_query.ts) and merged pages
// (pipeline/merge.ts) all order rows by (signed sort value, id) and check a page the same way,
// so they fail with the same messages and a cursor made by one works on the others.

import { SORT_KEYS, type SortKey } from "./sort_keys.ts";
import { ParameterError } from "./param_error.ts";

/** Largest page the engine gives (the API pages by at most 1000, from offsets up to 100,000; merging shards or history asks for offset + limit + 1 rows). */
export const MAX_LIMIT = 200_000;

/** A checked page request, defaults filled in. */
export interface PageSpec {
  sort: SortKey;
  order: "asc" | "desc";
  /** 1 for ascending, -1 for descending: sort values are multiplied by it. */
  sign: 1 | -1;
  offset: number;
  limit: number;
}

/**
 * Checks the sort, order and page of a flow query and fills in the defaults (last, desc,
 * offset 0, limit 100). Throws TypeError or RangeError (an HTTP 400) naming the bad value.
 */
export function checkPage(query: {
  sort?: string;
  order?: string;
  offset?: number;
  limit?: number;
}): PageSpec {
  const sort = (query.sort ?? "last") as SortKey;
  if (!SORT_KEYS.includes(sort)) {
    throw new TypeError(`Invalid sort "${sort}": expected ${SORT_KEYS.join(", ")}`);
  }
  const order = query.order ?? "desc";
  if (order !== "asc" && order !== "desc") {
    throw new TypeError(`Invalid order "${order}": expected asc or desc`);
  }
  const limit = query.limit ?? 100;
  const offset = query.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new RangeError(`Invalid limit "${limit}": expected 1-${MAX_LIMIT}`);
  }
  if (!Number.isInteger(offset) || offset < 0) {
    throw new RangeError(`Invalid offset "${offset}": expected a whole number`);
  }
  return { sort, order, sign: order === "asc" ? 1 : -1, offset, limit };
}

/** The opaque cursor of the row after (`value`, `id`) in a `sort`/`order` listing. */
export function encodeCursor(sort: SortKey, order: string, value: number, id: number): string {
  return btoa(`${sort}|${order}|${value}|${id}`).replace(/=+$/, "");
}

/** What a cursor must be. */
const NOT_A_CURSOR = "expected the next_cursor of a /flows page";

/**
 * The (value, id) a cursor of encodeCursor() stands after. Throws ParameterError when it is
 * not one, or was made for another sort or order.
 */
export function decodeCursor(cursor: string, sort: SortKey, order: string): [number, number] {
  let parts: string[];
  try {
    parts = atob(cursor).split("|");
  } catch {
    throw new ParameterError("cursor", cursor, NOT_A_CURSOR);
  }
  const value = Number(parts[2]);
  const id = Number(parts[3]);
  if (parts.length !== 4 || !Number.isFinite(value) || !Number.isFinite(id)) {
    throw new ParameterError("cursor", cursor, NOT_A_CURSOR);
  }
  if (parts[0] !== sort || parts[1] !== order) {
    throw new ParameterError(
      "cursor",
      cursor,
      `it was made for sort=${parts[0]}&order=${parts[1]}; page with the same sort and order`,
    );
  }
  return [value, id];
}
