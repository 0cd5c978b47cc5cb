// The WHERE clause of a stored-flows query, with its rowid range kept as numbers.

import type { SQLInputValue } from "node:sqlite";
import { LONG_FLOW_US, RID_PER_MINUTE } from "./schema.ts";

/** Above every rowid (an SQLite integer, exact in JavaScript). */
export const MAX_RID = Number.MAX_SAFE_INTEGER;

/**
 * WHERE terms and their arguments, with the rowid range kept apart as numbers: SQLite walks a
 * rowid range by one lower and one upper bound, and given several it may pick the looser one.
 * Past `longFrom` only flows longer than LONG_FLOW_US can match (they end well after a range's `to`
 * yet started before it): that part of the range is read through the flow_long index.
 */
export class Where {
  readonly terms: string[] = [];
  readonly args: SQLInputValue[] = [];
  ridLo = 0;
  ridHi = MAX_RID;
  longFrom = MAX_RID;
  add(term: string, ...args: SQLInputValue[]): void {
    this.terms.push(term);
    this.args.push(...args);
  }
  /** Narrows the rowid range to [lo, hi). */
  rids(lo: number, hi = MAX_RID): void {
    // Bounds past what a rowid can be (a year 9999 `from`) clamp to it; they stay integers.
    if (lo > this.ridLo) this.ridLo = Math.min(lo, MAX_RID);
    if (hi < this.ridHi) this.ridHi = Math.max(hi, 0);
  }
  /** A copy, with its rowid range narrowed to [lo, hi). */
  within(lo: number, hi = MAX_RID): Where {
    const where = new Where();
    where.terms.push(...this.terms);
    where.args.push(...this.args);
    where.rids(this.ridLo, this.ridHi);
    where.rids(lo, hi);
    where.longFrom = this.longFrom;
    return where;
  }
  /** `SELECT columns` of the matching rows: one SELECT, or two joined by UNION ALL. */
  select(columns: string): { sql: string; args: SQLInputValue[] } {
    const part = (lo: number, hi: number, long: boolean) => {
      const terms = [...this.terms];
      if (long) terms.unshift(`dur > ${LONG_FLOW_US}`);
      if (hi < MAX_RID) terms.unshift(`rid < ${hi}`);
      if (lo > 0) terms.unshift(`rid >= ${lo}`);
      const where = terms.length ? ` WHERE ${terms.join(" AND ")}` : "";
      return `SELECT ${columns} FROM flow${long ? " INDEXED BY flow_long" : ""}${where}`;
    };
    if (this.longFrom >= this.ridHi) {
      return { sql: part(this.ridLo, this.ridHi, false), args: this.args };
    }
    const split = Math.max(this.ridLo, this.longFrom);
    return {
      sql: `${part(this.ridLo, split, false)} UNION ALL ${part(split, this.ridHi, true)}`,
      args: [...this.args, ...this.args],
    };
  }
}

/** The rowids whose rows certainly meet a query's time bounds: [sureLo, sureHi). */
export interface SureRids {
  sureLo: number;
  sureHi: number;
}

/**
 * The whole minutes [first, end) of `window`, and `where` narrowed to the rows outside them,
 * `before` and `after` (the range's edges, read row by row); null when it holds no whole minute.
 */
export function byWholeMinutes(
  where: Where,
  window: SureRids,
): { first: number; end: number; before: Where; after: Where } | null {
  const first = Math.ceil(window.sureLo / RID_PER_MINUTE);
  const end = Math.floor(window.sureHi / RID_PER_MINUTE);
  if (end <= first) return null;
  return {
    first,
    end,
    before: where.within(0, first * RID_PER_MINUTE),
    after: where.within(end * RID_PER_MINUTE),
  };
}
