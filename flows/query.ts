// Flow queries: filter active and ended flows, sort, and page with offset/limit or a cursor.
//
// Per store (active table, then history): a selection vector of slots, narrowed by one tight
// loop per filter (query_filter.ts), then sort values for the survivors; the page is picked with a bounded heap of offset + limit entries, so a query costs
// O(n log(offset + limit)) and never sorts or materialises the whole match set.

import { type FlowRecord, flowRecord } from "./flow_record.ts";
import {
  F_BYTES_AB,
  F_BYTES_BA,
  F_FIRST,
  F_ID,
  F_LAST,
  type FlowStore,
  HISTORY_WORDS,
  W_PKTS_AB,
  W_PKTS_BA,
} from "./flow_store.ts";
import { checkPage, decodeCursor, encodeCursor } from "./flow_paging.ts";
import { CompiledFilter, type FilterLabels, type FlowFilter } from "./query_filter.ts";
import { flowRate } from "./second_accounting.ts";
import type { SortKey } from "./sort_keys.ts";

/** A set of flow records a query reads: the active table, the embryos, the history. */
export interface FlowSource {
  readonly store: FlowStore;
  /** Active flows (they have a current rate) or ended ones. */
  readonly active: boolean;
  /** Writes the slots holding records into `sel` and returns how many. */
  slots(sel: Int32Array): number;
  /** An upper bound of slots() (the size `sel` needs). */
  readonly bound: number;
}

/** A flow query: filters, order and page. */
export interface FlowQuery extends FlowFilter {
  /** Default "last" (sort_keys.ts says what each key means). */
  sort?: SortKey;
  /** Default "desc". */
  order?: "asc" | "desc";
  /** Rows to skip (after the cursor, when one is given). Default 0. */
  offset?: number;
  /** Rows per page, 1 to MAX_LIMIT (flow_paging.ts). Default 100. */
  limit?: number;
  /** next_cursor of the previous page, for the same sort and order. */
  cursor?: string;
  /** Also return each row's sort value (for merging pages of several engines). */
  withValues?: boolean;
}

/** One page of results. */
export interface FlowPage {
  /** Flows that pass the filters (all pages together). */
  total: number;
  flows: FlowRecord[];
  /**
   * Opaque cursor of the row after this page, or null at the end. The order is total (sort
   * value, then id), so a cursor never skips or repeats a row whose sort value did not change.
   */
  next_cursor: string | null;
  /**
   * With `withValues`: each row's sort value, negated for descending order, so rows are in
   * ascending (value, id) order.
   */
  values?: number[];
}

/** Reused scratch: the selection vector and the sort values of the selected slots. */
let scratchSel = new Int32Array(0);
let scratchVal = new Float64Array(0);

/**
 * Writes into `out` the sort value of each selected slot, negated for descending order so the
 * heap always keeps the smallest. Ties are broken by id, ascending.
 */
function sortValues(
  store: FlowStore,
  sel: Int32Array,
  n: number,
  sort: SortKey,
  sign: number,
  out: Float64Array,
  nowSec: number,
): void {
  const { f64, u32 } = store;
  const half = store.stride >> 1;
  switch (sort) {
    case "bytes":
      for (let i = 0; i < n; i++) {
        const f = sel[i] * half;
        out[i] = sign * (f64[f + F_BYTES_AB] + f64[f + F_BYTES_BA]);
      }
      break;
    case "packets":
      for (let i = 0; i < n; i++) {
        const r = sel[i] * store.stride;
        out[i] = sign * (u32[r + W_PKTS_AB] + u32[r + W_PKTS_BA]);
      }
      break;
    case "duration":
      for (let i = 0; i < n; i++) {
        const f = sel[i] * half;
        out[i] = sign * (f64[f + F_LAST] - f64[f + F_FIRST]);
      }
      break;
    case "first":
      for (let i = 0; i < n; i++) out[i] = sign * f64[sel[i] * half + F_FIRST];
      break;
    case "last":
      for (let i = 0; i < n; i++) out[i] = sign * f64[sel[i] * half + F_LAST];
      break;
    case "rate":
      for (let i = 0; i < n; i++) {
        const f = sel[i] * half;
        out[i] = sign * (f64[f + F_BYTES_AB] + f64[f + F_BYTES_BA]) /
          Math.max(1, f64[f + F_LAST] - f64[f + F_FIRST]);
      }
      break;
    case "rate_now": {
      // Ended records have no current rate: 0.
      const active = store.stride > HISTORY_WORDS;
      for (let i = 0; i < n; i++) {
        out[i] = active ? sign * flowRate(store, sel[i], nowSec) : 0;
      }
    }
  }
}

/** A max-heap of the `capacity` smallest (value, id) pairs seen, over typed arrays. */
class PageHeap {
  size = 0;
  readonly value: Float64Array;
  readonly id: Float64Array;
  readonly source: Uint8Array;
  readonly slot: Int32Array;

  constructor(readonly capacity: number) {
    this.value = new Float64Array(capacity);
    this.id = new Float64Array(capacity);
    this.source = new Uint8Array(capacity);
    this.slot = new Int32Array(capacity);
  }

  offer(v: number, id: number, source: number, slot: number): void {
    const value = this.value;
    const ids = this.id;
    if (this.size < this.capacity) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        const pv = value[parent];
        if (!(v > pv || (v === pv && id > ids[parent]))) break;
        this.move(parent, i);
        i = parent;
      }
      this.put(i, v, id, source, slot);
      return;
    }
    if (this.capacity === 0 || !(value[0] > v || (value[0] === v && ids[0] > id))) return;
    // Replace the largest and sift down.
    const size = this.size;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) break;
      const r = l + 1;
      let c = l;
      if (r < size && (value[r] > value[l] || (value[r] === value[l] && ids[r] > ids[l]))) c = r;
      if (!(value[c] > v || (value[c] === v && ids[c] > id))) break;
      value[i] = value[c];
      ids[i] = ids[c];
      this.source[i] = this.source[c];
      this.slot[i] = this.slot[c];
      i = c;
    }
    this.put(i, v, id, source, slot);
  }

  /** Entry positions in ascending (value, id) order. */
  sorted(): number[] {
    const order = Array.from({ length: this.size }, (_, i) => i);
    return order.sort((a, b) => this.value[a] - this.value[b] || this.id[a] - this.id[b]);
  }

  private move(from: number, to: number): void {
    this.value[to] = this.value[from];
    this.id[to] = this.id[from];
    this.source[to] = this.source[from];
    this.slot[to] = this.slot[from];
  }

  private put(i: number, v: number, id: number, source: number, slot: number): void {
    this.value[i] = v;
    this.id[i] = id;
    this.source[i] = source;
    this.slot[i] = slot;
  }
}

/** True when row i sorts before row j by (value, id). */
function before(vals: Float64Array, sel: Int32Array, store: FlowStore, i: number, j: number) {
  return vals[i] < vals[j] || (vals[i] === vals[j] && store.id(sel[i]) < store.id(sel[j]));
}

function swap(vals: Float64Array, sel: Int32Array, i: number, j: number): void {
  const v = vals[i];
  vals[i] = vals[j];
  vals[j] = v;
  const s = sel[i];
  sel[i] = sel[j];
  sel[j] = s;
}

/** Rows sampled to guess the k-th smallest value before selecting. */
const SAMPLE = 1024;

/**
 * Moves to the front the rows whose value is at most a bound guessed from a sample of SAMPLE
 * rows (a little above the k-th smallest's rank in it) and returns how many: so the exact
 * selection after it works on a few times k rows instead of all n. When fewer than `k` rows
 * pass (the guess was low), it returns `n`: every row stays a candidate.
 * Rows left out have a value above the bound, so they cannot be among the k smallest.
 */
export function keepBelowSample(vals: Float64Array, sel: Int32Array, n: number, k: number): number {
  if (n < SAMPLE * 8 || k * 4 > n) return n;
  const sample = new Float64Array(SAMPLE);
  const stride = n / SAMPLE;
  for (let i = 0; i < SAMPLE; i++) sample[i] = vals[Math.floor(i * stride)];
  sample.sort();
  // The rank k has in the sample, plus four standard deviations of a binomial count.
  const p = k / n;
  const rank = Math.ceil(SAMPLE * p + 4 * Math.sqrt(SAMPLE * p * (1 - p)) + 1);
  if (rank >= SAMPLE) return n;
  const bound = sample[rank];
  let store = 0;
  for (let i = 0; i < n; i++) {
    if (vals[i] <= bound) {
      if (i !== store) swap(vals, sel, i, store);
      store++;
    }
  }
  // Too few: the rows are only reordered, and all of them stay candidates.
  return store < k ? n : store;
}

/**
 * Reorders rows [0, n) of (vals, sel) so the `k` smallest by (value, id) come first, in no
 * particular order (quickselect, median-of-three pivots), and returns `k`.
 */
function smallestFirst(
  vals: Float64Array,
  sel: Int32Array,
  ids: FlowStore,
  n: number,
  k: number,
): number {
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // Median of three to the `hi` position as the pivot.
    if (before(vals, sel, ids, mid, lo)) swap(vals, sel, mid, lo);
    if (before(vals, sel, ids, hi, lo)) swap(vals, sel, hi, lo);
    if (before(vals, sel, ids, mid, hi)) swap(vals, sel, mid, hi);
    let store = lo;
    for (let i = lo; i < hi; i++) {
      if (before(vals, sel, ids, i, hi)) swap(vals, sel, i, store++);
    }
    swap(vals, sel, store, hi);
    if (store === k || store === k - 1) break;
    if (store > k) hi = store - 1;
    else lo = store + 1;
  }
  return k;
}

/**
 * Runs `query` over `sources` (active flows, one-packet flows, history; source numbers are
 * their positions). Throws TypeError or RangeError on a filter, sort or page it cannot accept
 * (an HTTP 400). `nowSec` (the engine's clock) gives active flows their current rate.
 */
export function queryFlows(
  sources: FlowSource[],
  query: FlowQuery,
  nowSec: number,
  labels?: FilterLabels,
): FlowPage {
  const { sort, order, sign, offset, limit } = checkPage(query);
  let afterValue = -Infinity;
  let afterId = -Infinity;
  if (query.cursor) [afterValue, afterId] = decodeCursor(query.cursor, sort, order);
  const filter = new CompiledFilter(query, labels);
  // One extra row tells whether a next page exists.
  const heap = new PageHeap(offset + limit + 1);
  const need = Math.max(...sources.map((source) => source.bound));
  if (scratchSel.length < need) {
    scratchSel = new Int32Array(need);
    scratchVal = new Float64Array(need);
  }
  const sel = scratchSel;
  const vals = scratchVal;
  let total = 0;
  for (let source = 0; source < sources.length; source++) {
    const { store, active } = sources[source];
    let n = sources[source].slots(sel);
    n = filter.select(store, sel, n, active);
    total += n;
    sortValues(store, sel, n, sort, sign, vals, nowSec);
    const f64 = store.f64;
    const half = store.stride >> 1;
    if (query.cursor) {
      // Keep only rows after the cursor in the (value, id) order.
      let k = 0;
      for (let i = 0; i < n; i++) {
        const v = vals[i];
        const id = f64[sel[i] * half + F_ID];
        if (v > afterValue || (v === afterValue && id > afterId)) {
          vals[k] = v;
          sel[k++] = sel[i];
        }
      }
      n = k;
    }
    // Partition the heap's capacity of smallest rows to the front (linear on average), so
    // the heap sees few rows even when the scan order matches the sort order.
    if (n > heap.capacity) {
      n = smallestFirst(
        vals,
        sel,
        store,
        keepBelowSample(vals, sel, n, heap.capacity),
        heap.capacity,
      );
    }
    for (let i = 0; i < n; i++) heap.offer(vals[i], f64[sel[i] * half + F_ID], source, sel[i]);
  }
  const rows = heap.sorted().slice(offset);
  const page = rows.slice(0, limit);
  const flows = page.map((i) => {
    const source = sources[heap.source[i]];
    return flowRecord(source.store, heap.slot[i], source.active, nowSec, labels);
  });
  let nextCursor: string | null = null;
  if (rows.length > limit) {
    const last = page[page.length - 1];
    nextCursor = encodeCursor(sort, order, heap.value[last], heap.id[last]);
  }
  const answer: FlowPage = { total, flows, next_cursor: nextCursor };
  if (query.withValues) answer.values = page.map((i) => heap.value[i]);
  return answer;
}
