// The biggest stored flows of a range (by bytes, largest first, then flow id), read from the
// per-interval tops instead of the range's rows (schema.ts: flow_top, flow_top_hour).
//
// The range's whole minutes are read from tops: the hours wholly inside it whose
// flow_top_hour is current, and the other minutes from flow_top. Its partial minutes at the
// edges (and, for a range ending in the past, the flows still running at its end) are read row
// by row. Every flow bigger than the page's edge value E is among what that reads: a flow
// missing from its interval's top has TOP_PER_MINUTE >= need bigger ones in that interval,
// which would have pushed E above it. Flows equal to E may be missing from a top only when it
// is full and its smallest entry is E: such an hour is read by its minutes, and such a minute
// row by row, for all of theirs.

import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import { byWholeMinutes, type SureRids, type Where } from "./flow_where.ts";
import { currentHours } from "./hour_tops.ts";
import { RID_PER_MINUTE, TOP_PER_MINUTE } from "./schema.ts";

/** Top entries read past a page's depth, to find the flows tied at its edge among them. */
const TIE_SLACK = 64;

type Row = Record<string, unknown>;

/** A top entry: the interval it belongs to (minute or hour number), its bytes and rowid. */
interface Entry {
  unit: number;
  bytes: number;
  rid: number;
}

/** Where top entries come from: a table, and the intervals of it that the range covers. */
interface Source {
  table: "flow_top" | "flow_top_hour";
  where: string;
  args: SQLInputValue[];
  /** Its biggest entries, `read` at most. */
  entries: Entry[];
}

/**
 * The first `need` rows by bytes, or null when the range holds no whole minute. `columns` are
 * the page's (with v, the signed sort value); `sorted(where)` gives the first `need` rows of
 * `where` by (v, fid).
 */
export function biggestFlows(
  db: DatabaseSync,
  columns: string,
  sorted: (where: Where) => Row[],
  page: Where,
  window: SureRids,
  need: number,
): Row[] | null {
  const minutes = byWholeMinutes(page, window);
  if (minutes === null) return null;
  const edges = [...sorted(minutes.before), ...sorted(minutes.after)];
  const read = need + TIE_SLACK;
  const sources = topSources(db, minutes.first, minutes.end);
  for (const source of sources) {
    source.entries = db.prepare(
      `SELECT ${unitOf(source)} AS unit, bytes, rid FROM ${source.table} WHERE ${source.where}
       ORDER BY bytes DESC LIMIT ?`,
    ).all(...source.args, read) as unknown as Entry[];
  }
  const tops = sources.flatMap((s) => s.entries);
  const byRid = (rids: number[], wanted = columns) => rowsByRid(db, wanted, rids);
  const sizes = [...tops.map((t) => t.bytes), ...edges.map((r) => -(r.v as number))];
  if (sizes.length < need) {
    // Fewer flows in the whole range than the page: every top holds all of its interval.
    return sortByValue([...edges, ...byRid(tops.map((t) => t.rid))]).slice(0, need);
  }
  const edge = sizes.sort((a, b) => b - a)[need - 1];
  const rows = [
    ...edges.filter((r) => -(r.v as number) > edge),
    ...byRid(tops.filter((t) => t.bytes > edge).map((t) => t.rid)),
  ];
  // The flows at the edge value, of which the page takes the lowest ids. A flood's equal flows
  // may tie by the hundred thousand: ids first, then the rows of as many as the page needs.
  const ids = "rid, fid";
  const candidates: Row[] = edges.filter((r) => -(r.v as number) === edge);
  const tiedMinutes: Entry[] = [];
  for (const source of sources) {
    const tied = source.entries.length < read || source.entries[read - 1].bytes < edge
      ? source.entries.filter((t) => t.bytes === edge)
      : db.prepare(
        `SELECT ${unitOf(source)} AS unit, bytes, rid FROM ${source.table}
         WHERE ${source.where} AND bytes = ?`,
      ).all(...source.args, edge) as unknown as Entry[];
    if (source.table === "flow_top") {
      tiedMinutes.push(...tied);
      continue;
    }
    const cutHours = full(db, "flow_top_hour", "h", tied, edge);
    candidates.push(...byRid(tied.filter((t) => !cutHours.has(t.unit)).map((t) => t.rid), ids));
    for (const h of cutHours) {
      tiedMinutes.push(
        ...db.prepare(
          "SELECT m AS unit, bytes, rid FROM flow_top WHERE m >= ? AND m < ? AND bytes = ?",
        ).all(h * 60, h * 60 + 60, edge) as unknown as Entry[],
      );
    }
  }
  const cutMinutes = full(db, "flow_top", "m", tiedMinutes, edge);
  candidates.push(
    ...byRid(tiedMinutes.filter((t) => !cutMinutes.has(t.unit)).map((t) => t.rid), ids),
  );
  const minute = db.prepare(
    `SELECT ${ids} FROM flow WHERE rid >= ? AND rid < ? AND bc + bs = ? ORDER BY fid LIMIT ?`,
  );
  for (const m of cutMinutes) {
    candidates.push(...minute.all(m * RID_PER_MINUTE, (m + 1) * RID_PER_MINUTE, edge, need));
  }
  candidates.sort((a, b) => (a.fid as number) - (b.fid as number));
  const taken = candidates.slice(0, need - rows.length);
  rows.push(...taken.filter((c) => "v" in c));
  rows.push(...byRid(taken.filter((c) => !("v" in c)).map((c) => c.rid as number)));
  return sortByValue(rows);
}

/** The current hours wholly in minutes [first, end) from flow_top_hour; the rest by minute. */
function topSources(db: DatabaseSync, first: number, end: number): Source[] {
  const hours = currentHours(db, Math.ceil(first / 60), Math.floor(end / 60));
  const sources: Source[] = [];
  if (hours.length > 0) {
    sources.push({
      table: "flow_top_hour",
      where: `h IN (${hours.map(() => "?").join(", ")})`,
      args: hours,
      entries: [],
    });
  }
  // The minutes outside those hours, as runs.
  let from = first;
  for (const h of [...hours, Infinity]) {
    const to = Math.min(end, h * 60);
    if (to > from) {
      sources.push({ table: "flow_top", where: "m >= ? AND m < ?", args: [from, to], entries: [] });
    }
    from = h * 60 + 60;
  }
  return sources;
}

function unitOf(source: Source): string {
  return source.table === "flow_top" ? "m" : "h";
}

/** Of the intervals of `entries`, those whose top is full and ends at `edge`. */
function full(
  db: DatabaseSync,
  table: "flow_top" | "flow_top_hour",
  unit: "m" | "h",
  entries: Entry[],
  edge: number,
): Set<number> {
  const top = db.prepare(
    `SELECT count(*) AS n, min(bytes) AS smallest FROM ${table} WHERE ${unit} = ?`,
  );
  const out = new Set<number>();
  for (const u of new Set(entries.map((t) => t.unit))) {
    const { n, smallest } = top.get(u) as { n: number; smallest: number };
    if (n >= TOP_PER_MINUTE && smallest === edge) out.add(u);
  }
  return out;
}

/** `columns` of the rows with these rowids (SQLite takes so many parameters at a time). */
export function rowsByRid(db: DatabaseSync, columns: string, rids: readonly number[]): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < rids.length; i += 10_000) {
    const part = rids.slice(i, i + 10_000);
    const marks = part.map(() => "?").join(", ");
    rows.push(...db.prepare(`SELECT ${columns} FROM flow WHERE rid IN (${marks})`).all(...part));
  }
  return rows;
}

/** Rows by (v, fid), as flows/query.ts orders them. */
export function sortByValue(rows: Row[]): Row[] {
  return rows.sort((a, b) =>
    (a.v as number) - (b.v as number) || (a.fid as number) - (b.fid as number)
  );
}
