// flows(): the /flows filters, sort keys and pages over stored flows, as SQL.
//
// Sort values and the tie-break (flow id, ascending) are those of flows/query.ts, and the page
// checks and the cursor are flows/flow_paging.ts's, so a page of stored flows and a page of
// flows in memory merge into one order and one cursor works on both.
//
// How each part stays cheap on millions of rows:
// - Time bounds become rowid bounds, plus an exact test that only rows near the edges need
//   (the rest are known to match from their rowid alone).
// - The total of a query bounded only in time is the per-minute counts of flow_minute for the
//   minutes wholly inside, plus a count of the rows at the edges.
// - The default sort (last) walks the table in rowid order, which is end order to the
//   millisecond, and sorts exactly only the rows near the page's edge.
// - The biggest flows of a range (by bytes, from the top, no cursor, the page within
//   TOP_PER_MINUTE) come from flow_top for the minutes wholly inside the range and from a
//   scan of the edges; only rows tied at the page's edge value may need their minute read.

import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import { protoName, protoNumber } from "../flows/flow_record.ts";
import { checkPage, decodeCursor, encodeCursor } from "../flows/flow_paging.ts";
import { CompiledFilter } from "../flows/query_filter.ts";
import type { SortKey } from "../flows/sort_keys.ts";
import { blobAddress, prefixRange } from "./address_blob.ts";
import { FLOW_COLUMNS, flowOfRow } from "./flow_rows.ts";
import type { Labels } from "./interning.ts";
import { LabelKind, LONG_FLOW_US, RID_PER_MINUTE, RID_PER_MS, TOP_PER_MINUTE } from "./schema.ts";
import type { FlowsQuery, FlowsResult } from "./types.ts";

/** End and start time in seconds, computed as flowOfRow() computes last_ts and first_ts. */
const LAST = `(((rid / ${RID_PER_MS}) * 1000 + lus) / 1e6)`;
const FIRST = `(((rid / ${RID_PER_MS}) * 1000 + lus - dur) / 1e6)`;

/** The sort value of each key, as flows/query.ts computes it. */
const SORT_VALUE: Record<SortKey, string> = {
  bytes: "(bc + bs)",
  packets: "(pc + ps)",
  duration: "(dur / 1e6)",
  first: FIRST,
  last: LAST,
  rate: "((bc + bs) / max(1.0, dur / 1e6))",
  // Ended flows have no current rate: 0, as flows/query.ts gives its ended records.
  rate_now: "0",
};

const withIpText = new WeakSet<DatabaseSync>();

/** flow_top entries read past a page's depth, to find the flows tied at its edge with them. */
const TIE_SLACK = 64;

/** Above every rowid (an SQLite integer, exact in JavaScript). */
const MAX_RID = Number.MAX_SAFE_INTEGER;
/** Flows longer than this (µs) are in the flow_long index (see schema.ts). */
const LONG_US = LONG_FLOW_US;

/**
 * WHERE terms and their arguments, with the rowid range kept apart as numbers: SQLite walks a
 * rowid range by one lower and one upper bound, and given several it may pick the looser one.
 * Past `longFrom` only flows longer than LONG_US can match (they end well after a range's `to`
 * yet started before it): that part of the range is read through the flow_long index.
 */
class Where {
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
      if (long) terms.unshift(`dur > ${LONG_US}`);
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

/** The terms for an address or CIDR at `columns` (either one matching). */
function prefixTerm(where: Where, text: string, columns: string[]): void {
  const { low, high } = prefixRange(text);
  const one = (c: string) => `(length(${c}) = ${low.length} AND ${c} BETWEEN ? AND ?)`;
  where.add(`(${columns.map(one).join(" OR ")})`, ...columns.flatMap(() => [low, high]));
}

/** The rowids whose rows certainly meet a query's time bounds: [sureLo, sureHi). */
interface SureRids {
  sureLo: number;
  sureHi: number;
}

/** The filter terms of `q` (everything but the cursor), and whether they bound time only. */
function filterTerms(
  db: DatabaseSync,
  labels: Labels,
  q: FlowsQuery,
  bounds: Bounds,
): { where: Where; window: SureRids; timeOnly: boolean } {
  const where = new Where();
  const window: SureRids = { sureLo: 0, sureHi: MAX_RID };
  const ms = (seconds: number) => seconds * 1000;
  // A row's end is at most maxBumpMs before its rowid's millisecond and less than one after
  // it; a millisecond more on the sure side absorbs rounding of the bound itself.
  const endsFrom = (seconds: number, exact: string) => {
    const lo = Math.floor(ms(seconds)) * RID_PER_MS;
    const sure = (Math.ceil(ms(seconds)) + bounds.maxBumpMs + 1) * RID_PER_MS;
    where.rids(lo);
    where.add(`(rid >= ? OR ${exact})`, sure, seconds);
    window.sureLo = Math.max(window.sureLo, sure);
  };
  const endsBefore = (hiMs: number, sureMs: number, exact: string, seconds: number) => {
    where.rids(0, hiMs * RID_PER_MS);
    where.add(`(rid < ? OR ${exact})`, sureMs * RID_PER_MS, seconds);
    window.sureHi = Math.min(window.sureHi, sureMs * RID_PER_MS);
  };
  if (q.from !== undefined) endsFrom(q.from, `${LAST} >= ?`);
  if (q.to !== undefined) {
    // Flows that end by `to` started by it too; later ones may have started before it.
    const hiMs = Math.floor((q.to * 1e6 + bounds.maxDurationUs) / 1000) + bounds.maxBumpMs + 1;
    endsBefore(hiMs, Math.floor(ms(q.to)) - 1, `${FIRST} <= ?`, q.to);
    // A row from here on ends more than LONG_US after `to`: it matches only if that long.
    const longFrom = (Math.floor(ms(q.to)) + LONG_US / 1000 + bounds.maxBumpMs + 1) * RID_PER_MS;
    where.longFrom = Math.min(where.longFrom, Math.max(0, longFrom));
  }
  if (q.endedBefore !== undefined) {
    const hiMs = Math.floor(ms(q.endedBefore)) + bounds.maxBumpMs + 1;
    endsBefore(hiMs, Math.floor(ms(q.endedBefore)) - 1, `${LAST} < ?`, q.endedBefore);
  }
  const timeTerms = where.terms.length;
  if (q.proto !== undefined) where.add("proto = ?", protoNumber(String(q.proto)));
  if (q.vlan !== undefined) where.add("vlan = ?", q.vlan);
  if (q.service !== undefined) {
    where.add("service = ?", labels.find(LabelKind.Service, q.service.toLowerCase()));
  }
  if (q.state !== undefined) {
    where.add("state = ?", labels.find(LabelKind.State, q.state.toUpperCase()));
  }
  if (q.minBytes !== undefined) where.add("bc + bs >= ?", q.minBytes);
  // ICMP type and code sit in the port columns; they never match a port filter.
  if (q.port !== undefined) {
    where.add("proto NOT IN (1, 58) AND (sport = ? OR dport = ?)", q.port, q.port);
  }
  if (q.serverPort !== undefined) where.add("proto NOT IN (1, 58) AND dport = ?", q.serverPort);
  if (q.address) prefixTerm(where, q.address, ["src", "dst"]);
  if (q.client) prefixTerm(where, q.client, ["src"]);
  if (q.server) prefixTerm(where, q.server, ["dst"]);
  const text = (q.text ?? "").trim().toLowerCase();
  if (text !== "") textTerm(db, where, text);
  return { where, window, timeOnly: where.terms.length === timeTerms };
}

/** Free text, as flows/query_filter.ts matches it, plus the TLS server name and the app. */
function textTerm(db: DatabaseSync, where: Where, q: string): void {
  const any: string[] = [];
  const args: SQLInputValue[] = [];
  const labelled = (column: string, kind: number) => {
    any.push(`${column} IN (SELECT id FROM label WHERE kind = ${kind} AND instr(lower(name), ?))`);
    args.push(q);
  };
  labelled("service", LabelKind.Service);
  labelled("sni", LabelKind.ServerName);
  labelled("app", LabelKind.App);
  const protos = [];
  for (let p = 0; p < 256; p++) if (protoName(p).includes(q)) protos.push(p);
  if (protos.length) any.push(`proto IN (${protos.join(", ")})`);
  if (/^\d+$/.test(q) && q.length <= 5) {
    any.push("(proto NOT IN (1, 58) AND (instr(sport, ?) OR instr(dport, ?)))");
    args.push(q, q);
  }
  if (/^[0-9a-f.:]+$/.test(q)) {
    if (!withIpText.has(db)) {
      db.function("ip_text", { deterministic: true }, (blob) => blobAddress(blob as Uint8Array));
      withIpText.add(db);
    }
    any.push("(instr(ip_text(src), ?) OR instr(ip_text(dst), ?))");
    args.push(q, q);
  }
  where.add(`(${any.join(" OR ")})`, ...args);
}

/** How far a flow's rowid time may be from its end (see flow_rows.ts). */
export interface Bounds {
  maxDurationUs: number;
  maxBumpMs: number;
}

/**
 * One page of stored flows for `q`. Throws TypeError or RangeError, with the engine's messages
 * (flows/flow_paging.ts, flows/query_filter.ts), on a filter, sort or page it cannot accept.
 */
export function queryFlows(
  db: DatabaseSync,
  labels: Labels,
  q: FlowsQuery,
  bounds: Bounds,
  options: { plan?: "scan" } = {},
): FlowsResult {
  const { sort, order, sign, offset, limit } = checkPage(q);
  // The engine's own checks, so bad filters fail with its messages.
  new CompiledFilter(q);
  if (q.endedBefore !== undefined && !Number.isFinite(q.endedBefore)) {
    throw new TypeError(`Invalid endedBefore "${q.endedBefore}": expected epoch seconds`);
  }
  // Stored flows all ended.
  if (q.active === true) {
    return { flows: [], total: 0, next_cursor: null, ...(q.withValues ? { values: [] } : {}) };
  }
  const { where, window, timeOnly } = filterTerms(db, labels, q, bounds);
  const total = timeOnly ? countInWindow(db, where, window) : countRows(db, where);
  const value = SORT_VALUE[sort];
  const page = where.within(0);
  let after: number | undefined;
  if (q.cursor) {
    const [afterValue, afterId] = decodeCursor(q.cursor, sort, order);
    after = afterValue;
    page.add(
      `(${sign} * ${value} > ? OR (${sign} * ${value} = ? AND fid > ?))`,
      after,
      after,
      afterId,
    );
    if (sort === "last") {
      // The rowid bound lets SQLite start the walk at the cursor.
      const ms = Math.floor(sign * after * 1000);
      if (sign < 0) page.rids(0, (ms + bounds.maxBumpMs + 1) * RID_PER_MS);
      else page.rids(ms * RID_PER_MS);
    }
  }
  const need = offset + limit + 1;
  const columns = `${FLOW_COLUMNS}, ${sign} * ${value} AS v`;
  // The page's rowids by sort value first (for the long flows past a range's end, from their
  // index alone), then their rows.
  const sorted = (where: Where) => {
    const { sql, args } = where.select(`rid, fid, ${sign} * ${value} AS v`);
    const chosen = db.prepare(`${sql} ORDER BY v, fid LIMIT ?`).all(...args, need);
    return sortByValue(rowsByRid(db, columns, chosen.map((row) => row.rid as number)));
  };
  let rows: Record<string, unknown>[];
  if (sort === "last") {
    rows = walkByRowid(db, page.select(columns), sign, need, bounds.maxBumpMs);
  } else if (
    sort === "bytes" && sign < 0 && after === undefined && timeOnly && need <= TOP_PER_MINUTE &&
    options.plan !== "scan"
  ) {
    rows = biggestFlows(db, columns, sorted, page, window, need) ?? sorted(page);
  } else {
    rows = sorted(page);
  }
  const kept = rows.slice(offset);
  const flows = kept.slice(0, limit).map((row) => flowOfRow(row, labels));
  let next: string | null = null;
  if (kept.length > limit) {
    const last = kept[limit - 1];
    next = encodeCursor(sort, order, last.v as number, last.fid as number);
  }
  const answer: FlowsResult = { flows, total, next_cursor: next };
  if (q.withValues) answer.values = kept.slice(0, limit).map((row) => row.v as number);
  return answer;
}

function countRows(db: DatabaseSync, where: Where): number {
  const { sql, args } = where.select("count(*) AS n");
  return db.prepare(sql).all(...args).reduce((n, row) => n + (row.n as number), 0);
}

/**
 * The count of a query bounded in time only: flow_minute's counts for the minutes wholly inside
 * the sure window, and the rows outside those minutes counted one by one.
 */
function countInWindow(db: DatabaseSync, where: Where, window: SureRids): number {
  const first = Math.ceil(window.sureLo / RID_PER_MINUTE);
  const end = Math.floor(window.sureHi / RID_PER_MINUTE);
  if (end <= first) return countRows(db, where);
  const inside = db.prepare("SELECT sum(flows) AS n FROM flow_minute WHERE m >= ? AND m < ?")
    .get(first, end)!.n as number | null;
  return (inside ?? 0) + countRows(db, where.within(0, first * RID_PER_MINUTE)) +
    countRows(db, where.within(end * RID_PER_MINUTE));
}

/**
 * The first `need` rows by bytes (largest first, then flow id), or null when the range holds no
 * whole minute. Every flow bigger than the page's edge value E is among the candidates: a flow
 * of an inside minute missing from its flow_top has TOP_PER_MINUTE >= need bigger ones there,
 * which would have pushed E above it. Flows equal to E may be missing from flow_top only in a
 * minute whose top is full and whose smallest entry is E: those minutes are read for them.
 */
function biggestFlows(
  db: DatabaseSync,
  columns: string,
  sorted: (where: Where) => Record<string, unknown>[],
  page: Where,
  window: SureRids,
  need: number,
): Record<string, unknown>[] | null {
  const first = Math.ceil(window.sureLo / RID_PER_MINUTE);
  const end = Math.floor(window.sureHi / RID_PER_MINUTE);
  if (end <= first) return null;
  const edges = [
    ...sorted(page.within(0, first * RID_PER_MINUTE)),
    ...sorted(page.within(end * RID_PER_MINUTE)),
  ];
  // A few more than the page, so that the flows tied at its edge are usually all among them.
  const read = need + TIE_SLACK;
  const tops = db.prepare(
    "SELECT m, bytes, rid FROM flow_top WHERE m >= ? AND m < ? ORDER BY bytes DESC LIMIT ?",
  ).all(first, end, read) as { m: number; bytes: number; rid: number }[];
  const byRid = (rids: number[], wanted = columns) => rowsByRid(db, wanted, rids);
  const sizes = [...tops.map((t) => t.bytes), ...edges.map((r) => -(r.v as number))];
  if (sizes.length < need) {
    // Fewer flows in the whole range than the page: flow_top holds all of each inside minute.
    return sortByValue([...edges, ...byRid(tops.map((t) => t.rid))]).slice(0, need);
  }
  const edge = sizes.sort((a, b) => b - a)[need - 1];
  const rows = [
    ...edges.filter((r) => -(r.v as number) > edge),
    ...byRid(tops.filter((t) => t.bytes > edge).map((t) => t.rid)),
  ];
  // The flows at the edge value, of which the page takes the lowest ids: the edges' own, then
  // the inside minutes': flow_top's entries, except in the minutes whose top is full and ends
  // at that value, which are read for all of theirs. A flood's equal flows may tie by the
  // hundred thousand: ids first, then the rows of as many as the page still needs.
  const tieEntries = tops.length < read || tops[read - 1].bytes < edge
    ? tops.filter((t) => t.bytes === edge)
    : db.prepare("SELECT m, bytes, rid FROM flow_top WHERE m >= ? AND m < ? AND bytes = ?")
      .all(first, end, edge) as { m: number; bytes: number; rid: number }[];
  const minuteTop = db.prepare(
    "SELECT count(*) AS n, min(bytes) AS smallest FROM flow_top WHERE m = ?",
  );
  const minuteTops = new Map<number, { n: number; smallest: number }>();
  const tied = tieEntries.map((t) => {
    let top = minuteTops.get(t.m);
    if (!top) minuteTops.set(t.m, top = minuteTop.get(t.m) as { n: number; smallest: number });
    return { m: t.m, rid: t.rid, n: top.n, smallest: top.smallest };
  });
  const cut = (t: { n: number; smallest: number }) => t.n >= TOP_PER_MINUTE && t.smallest === edge;
  const ids = "rid, fid";
  const candidates = [
    ...edges.filter((r) => -(r.v as number) === edge),
    ...byRid(tied.filter((t) => !cut(t)).map((t) => t.rid), ids),
  ];
  const minute = db.prepare(
    `SELECT ${ids} FROM flow WHERE rid >= ? AND rid < ? AND bc + bs = ? ORDER BY fid LIMIT ?`,
  );
  for (const m of new Set(tied.filter(cut).map((t) => t.m))) {
    candidates.push(...minute.all(m * RID_PER_MINUTE, (m + 1) * RID_PER_MINUTE, edge, need));
  }
  candidates.sort((a, b) => (a.fid as number) - (b.fid as number));
  const taken = candidates.slice(0, need - rows.length);
  rows.push(...taken.filter((c) => "v" in c));
  rows.push(...byRid(taken.filter((c) => !("v" in c)).map((c) => c.rid as number)));
  return sortByValue(rows);
}

/** `columns` of the rows with these rowids (SQLite takes so many parameters at a time). */
function rowsByRid(
  db: DatabaseSync,
  columns: string,
  rids: readonly number[],
): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < rids.length; i += 10_000) {
    const part = rids.slice(i, i + 10_000);
    const marks = part.map(() => "?").join(", ");
    rows.push(...db.prepare(`SELECT ${columns} FROM flow WHERE rid IN (${marks})`).all(...part));
  }
  return rows;
}

/** Rows by (v, fid), as flows/query.ts orders them. */
function sortByValue(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.sort((a, b) =>
    (a.v as number) - (b.v as number) || (a.fid as number) - (b.fid as number)
  );
}

/**
 * The first `need` rows by (v, fid) when v is the signed end time: walks rowids in order, past
 * the need-th row by the largest rowid/end gap, then sorts what it read.
 */
function walkByRowid(
  db: DatabaseSync,
  { sql, args }: { sql: string; args: SQLInputValue[] },
  sign: number,
  need: number,
  maxBumpMs: number,
): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  let edgeMs = NaN;
  const direction = sign < 0 ? "DESC" : "ASC";
  for (const row of db.prepare(`${sql} ORDER BY rid ${direction}`).iterate(...args)) {
    const ms = Math.floor(Number(row.rid) / RID_PER_MS);
    if (rows.length >= need) {
      if (Number.isNaN(edgeMs)) edgeMs = Math.floor(Number(rows[need - 1].rid) / RID_PER_MS);
      // Rows further on end at least this far beyond the edge: none can sort before it.
      if (sign < 0 ? ms < edgeMs - maxBumpMs - 1 : ms > edgeMs + maxBumpMs + 1) break;
    }
    rows.push(row);
  }
  rows.sort((a, b) => (a.v as number) - (b.v as number) || (a.fid as number) - (b.fid as number));
  return rows.slice(0, need);
}
