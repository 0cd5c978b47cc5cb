// flows(): the /flows filters, sort keys and pages over stored flows, as SQL.
//
// Sort values and the tie-break (flow id, ascending) are those of flows/query.ts, and the page
// checks and the cursor are flows/flow_paging.ts's, so a page of stored flows and a page of
// flows in memory merge into one order and one cursor works on both. The default sort (last) walks the table in rowid order, which is
// end order to the millisecond, and sorts exactly only the rows near the page's edge.

import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import { protoName, protoNumber } from "../flows/flow_record.ts";
import { checkPage, decodeCursor, encodeCursor } from "../flows/flow_paging.ts";
import { CompiledFilter } from "../flows/query_filter.ts";
import type { SortKey } from "../flows/sort_keys.ts";
import { blobAddress, prefixRange } from "./address_blob.ts";
import { FLOW_COLUMNS, flowOfRow, RID_PER_MS } from "./flow_rows.ts";
import type { Labels } from "./interning.ts";
import { LabelKind } from "./schema.ts";
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

/** WHERE terms and their arguments. */
class Where {
  readonly terms: string[] = [];
  readonly args: SQLInputValue[] = [];
  add(term: string, ...args: SQLInputValue[]): void {
    this.terms.push(term);
    this.args.push(...args);
  }
  get sql(): string {
    return this.terms.length ? `WHERE ${this.terms.join(" AND ")}` : "";
  }
}

/** The terms for an address or CIDR at `columns` (either one matching). */
function prefixTerm(where: Where, text: string, columns: string[]): void {
  const { low, high } = prefixRange(text);
  const one = (c: string) => `(length(${c}) = ${low.length} AND ${c} BETWEEN ? AND ?)`;
  where.add(`(${columns.map(one).join(" OR ")})`, ...columns.flatMap(() => [low, high]));
}

/** The filter terms of `q` (everything but the cursor). */
function filterTerms(db: DatabaseSync, labels: Labels, q: FlowsQuery, bounds: Bounds): Where {
  const where = new Where();
  if (q.from !== undefined) {
    where.add("rid >= ?", Math.floor(q.from * 1000) * RID_PER_MS);
    where.add(`${LAST} >= ?`, q.from);
  }
  if (q.to !== undefined) {
    const lastMs = Math.floor((q.to * 1e6 + bounds.maxDurationUs) / 1000) + bounds.maxBumpMs + 1;
    where.add("rid < ?", lastMs * RID_PER_MS);
    where.add(`${FIRST} <= ?`, q.to);
  }
  if (q.endedBefore !== undefined) {
    where.add("rid < ?", (Math.floor(q.endedBefore * 1000) + bounds.maxBumpMs + 1) * RID_PER_MS);
    where.add(`${LAST} < ?`, q.endedBefore);
  }
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
  return where;
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
  const where = filterTerms(db, labels, q, bounds);
  const total = db.prepare(`SELECT count(*) AS n FROM flow ${where.sql}`).get(...where.args)!
    .n as number;
  const value = SORT_VALUE[sort];
  const page = new Where();
  page.terms.push(...where.terms);
  page.args.push(...where.args);
  if (q.cursor) {
    const [after, afterId] = decodeCursor(q.cursor, sort, order);
    page.add(
      `(${sign} * ${value} > ? OR (${sign} * ${value} = ? AND fid > ?))`,
      after,
      after,
      afterId,
    );
    if (sort === "last") {
      // The rowid bound lets SQLite start the walk at the cursor.
      const ms = Math.floor(sign * after * 1000);
      if (sign < 0) page.add("rid < ?", (ms + bounds.maxBumpMs + 1) * RID_PER_MS);
      else page.add("rid >= ?", ms * RID_PER_MS);
    }
  }
  const need = offset + limit + 1;
  const select = `SELECT ${FLOW_COLUMNS}, ${sign} * ${value} AS v FROM flow ${page.sql}`;
  let rows: Record<string, unknown>[];
  if (sort === "last") {
    rows = walkByRowid(db, select, page.args, sign, need, bounds.maxBumpMs);
  } else {
    rows = db.prepare(`${select} ORDER BY v, fid LIMIT ?`).all(...page.args, need);
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

/**
 * The first `need` rows by (v, fid) when v is the signed end time: walks rowids in order, past
 * the need-th row by the largest rowid/end gap, then sorts what it read.
 */
function walkByRowid(
  db: DatabaseSync,
  select: string,
  args: SQLInputValue[],
  sign: number,
  need: number,
  maxBumpMs: number,
): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  let edgeMs = NaN;
  const direction = sign < 0 ? "DESC" : "ASC";
  for (const row of db.prepare(`${select} ORDER BY rid ${direction}`).iterate(...args)) {
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
