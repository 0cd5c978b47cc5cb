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
//   TOP_PER_MINUTE) come from the per-hour and per-minute tops (biggest_flows.ts).

import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import { protoName, protoNumber } from "../flows/flow_record.ts";
import { checkPage, decodeCursor, encodeCursor } from "../flows/flow_paging.ts";
import { CompiledFilter } from "../flows/query_filter.ts";
import type { SortKey } from "../flows/sort_keys.ts";
import { blobAddress, prefixRange } from "./address_blob.ts";
import { FLOW_COLUMNS, flowOfRow } from "./flow_rows.ts";
import type { Labels } from "./interning.ts";
import { biggestFlows, rowsByRid, sortByValue } from "./biggest_flows.ts";
import { byWholeMinutes, MAX_RID, type SureRids, Where } from "./flow_where.ts";
import { LabelKind, LONG_FLOW_US, RID_PER_MS, TOP_PER_MINUTE } from "./schema.ts";
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

/** The terms for an address or CIDR at `columns` (either one matching). */
function prefixTerm(where: Where, text: string, columns: string[]): void {
  const { low, high } = prefixRange(text);
  const one = (c: string) => `(length(${c}) = ${low.length} AND ${c} BETWEEN ? AND ?)`;
  where.add(`(${columns.map(one).join(" OR ")})`, ...columns.flatMap(() => [low, high]));
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
    const longFrom = (Math.floor(ms(q.to)) + LONG_FLOW_US / 1000 + bounds.maxBumpMs + 1) *
      RID_PER_MS;
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
  if (q.name !== undefined) nameTerm(where, q.name);
  if (q.app !== undefined) appTerm(where, q.app);
  const text = (q.text ?? "").trim().toLowerCase();
  if (text !== "") textTerm(db, where, text);
  return { where, window, timeOnly: where.terms.length === timeTerms };
}

/**
 * The server name, as the engine's nameIdsMatching() takes it: exact, or "*.example.com" for
 * example.com and every name below it (case and a final dot ignored).
 */
function nameTerm(where: Where, pattern: string): void {
  const want = pattern.toLowerCase().replace(/\.$/, "");
  const names = `sni IN (SELECT id FROM label WHERE kind = ${LabelKind.ServerName} AND `;
  if (!want.startsWith("*.")) {
    where.add(`${names}lower(name) = ?)`, want);
    return;
  }
  const suffix = want.slice(1); // ".example.com"
  where.add(
    `${names}(lower(name) = ? OR substr(lower(name), -?) = ?))`,
    suffix.slice(1),
    suffix.length,
    suffix,
  );
}

/** The app, as appCodesMatching() takes it: the whole label or one of its dotted parts. */
function appTerm(where: Where, app: string): void {
  const want = app.toLowerCase();
  const apps = `app IN (SELECT id FROM label WHERE kind = ${LabelKind.App} AND `;
  if (want.includes(".")) where.add(`${apps}lower(name) = ?)`, want);
  else where.add(`${apps}instr('.' || lower(name) || '.', ?) > 0)`, `.${want}.`);
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
    sort === "bytes" && sign < 0 && after === undefined && timeOnly && need <= TOP_PER_MINUTE
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
  const minutes = byWholeMinutes(where, window);
  if (minutes === null) return countRows(db, where);
  const inside = db.prepare("SELECT sum(flows) AS n FROM flow_minute WHERE m >= ? AND m < ?")
    .get(minutes.first, minutes.end)!.n as number | null;
  return (inside ?? 0) + countRows(db, minutes.before) + countRows(db, minutes.after);
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
  return sortByValue(rows).slice(0, need);
}
