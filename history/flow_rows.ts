// Ended flows as compact rows: the rowid is the end time, addresses are blobs, names interned.
//
// rowid = end time in milliseconds * 2048 + k, with k telling apart flows that end in the same
// millisecond (up to 2048; more move to the next millisecond and `lus` says how far back their
// real end is). It stays below 2^53, so JavaScript numbers hold it exactly until the year 2109.
// `lus` is the end time's microseconds past the rowid's millisecond and `dur` the duration in
// microseconds, so first_ts and last_ts come back exactly as they went in.

import type { DatabaseSync, StatementSync } from "node:sqlite";
import { protoName, protoNumber } from "../flows/flow_record.ts";
import { addressBlob, blobAddress } from "./address_blob.ts";
import type { Labels } from "./interning.ts";
import { LabelKind, RID_PER_MINUTE, RID_PER_MS, TOP_PER_MINUTE } from "./schema.ts";
import type { StoredFlow } from "./types.ts";

/** The flow's `flags` bits. */
const FLAG_NO_PORTS = 1;
const FLAG_AGGREGATE = 2;

/** The columns a flow row is read with; see flowOfRow(). */
export const FLOW_COLUMNS =
  "rid, lus, dur, fid, proto, src, sport, dst, dport, vlan, pc, bc, ps, bs, state, service, " +
  "app, sni, tunnel, reason, flags";

const EMPTY = new Uint8Array(0);

/** Protocol numbers by name: protoNumber() scans its table on every call. */
const PROTO_NUMBERS = new Map<string, number>();

function protoNumberOf(name: string): number {
  let n = PROTO_NUMBERS.get(name);
  if (n === undefined) PROTO_NUMBERS.set(name, n = protoNumber(name));
  return n;
}

/** What flow_top holds for one minute: how many entries, and its smallest (bytes, rowid). */
interface MinuteTop {
  n: number;
  bytes: number;
  rid: number;
}

/** Minutes whose flow_top state is cached: flows arrive for the last few minutes at a time. */
const CACHED_MINUTES = 64;

/** Inserts flow rows, giving each a free rowid, and keeps flow_top (see schema.ts). */
export class FlowWriter {
  readonly #insert: StatementSync;
  readonly #topCount: StatementSync;
  readonly #topSmallest: StatementSync;
  readonly #topInsert: StatementSync;
  readonly #topDelete: StatementSync;
  /** flow_top's state by minute, for the minutes written lately (this transaction's included). */
  #tops = new Map<number, MinuteTop>();
  /** Next k per millisecond, for this transaction's flows. */
  #nextK = new Map<number, number>();
  /** Longest duration stored (microseconds): how far before a range a flow may start. */
  maxDurationUs: number;
  /** Largest engine flow id stored. */
  maxFlowId: number;
  /** Most milliseconds a rowid was moved past its flow's end (more than 2048 in one ms). */
  maxBumpMs: number;

  constructor(
    db: DatabaseSync,
    private readonly labels: Labels,
    stored: { maxDurationUs: number; maxFlowId: number; maxBumpMs: number },
  ) {
    this.#insert = db.prepare(
      `INSERT OR IGNORE INTO flow (${FLOW_COLUMNS})
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#topCount = db.prepare("SELECT count(*) AS n FROM flow_top WHERE m = ?");
    this.#topSmallest = db.prepare(
      "SELECT bytes, rid FROM flow_top WHERE m = ? ORDER BY bytes, rid LIMIT 1",
    );
    this.#topInsert = db.prepare("INSERT INTO flow_top (m, bytes, rid) VALUES (?, ?, ?)");
    this.#topDelete = db.prepare("DELETE FROM flow_top WHERE m = ? AND bytes = ? AND rid = ?");
    this.maxDurationUs = stored.maxDurationUs;
    this.maxFlowId = stored.maxFlowId;
    this.maxBumpMs = stored.maxBumpMs;
  }

  /** Inserts `flow` (inside the caller's transaction). */
  add(flow: StoredFlow): void {
    const lastUs = Math.round(flow.last_ts * 1e6);
    const firstUs = Math.round(flow.first_ts * 1e6);
    const time = flow.last_ts;
    const label = (kind: number, name: string | null | undefined) =>
      name === null || name === undefined || name === "" ? null : this.labels.id(kind, name, time);
    const values = [
      label(LabelKind.State, flow.state),
      label(LabelKind.Service, flow.service),
      label(LabelKind.App, flow.app),
      label(LabelKind.ServerName, flow.server_name),
      label(LabelKind.Tunnel, flow.tunnel),
      label(LabelKind.EndReason, flow.end_reason),
    ];
    const src = addressBlob(flow.src_ip) ?? EMPTY;
    const dst = addressBlob(flow.dst_ip) ?? EMPTY;
    const endMs = Math.floor(lastUs / 1000);
    let ms = endMs;
    let rid: number;
    for (;;) {
      const k = this.#nextK.get(ms) ?? 0;
      if (k >= RID_PER_MS) {
        ms++;
        continue;
      }
      this.#nextK.set(ms, k + 1);
      rid = ms * RID_PER_MS + k;
      const changes = this.#insert.run(
        rid,
        lastUs - ms * 1000,
        lastUs - firstUs,
        flow.id,
        protoNumberOf(flow.proto),
        src,
        flow.src_port,
        dst,
        flow.dst_port,
        flow.vlan,
        flow.packets_c2s,
        flow.bytes_c2s,
        flow.packets_s2c,
        flow.bytes_s2c,
        ...values,
        (flow.no_ports ? FLAG_NO_PORTS : 0) | (flow.aggregate ? FLAG_AGGREGATE : 0),
      ).changes;
      // A row from an earlier run or transaction holds that rowid: take the next.
      if (Number(changes) === 1) break;
    }
    this.#rank(rid, flow.bytes_c2s + flow.bytes_s2c);
    if (ms - endMs > this.maxBumpMs) this.maxBumpMs = ms - endMs;
    if (lastUs - firstUs > this.maxDurationUs) this.maxDurationUs = lastUs - firstUs;
    if (flow.id > this.maxFlowId) this.maxFlowId = flow.id;
  }

  /** Enters a new row in its minute's flow_top when it is among the minute's biggest. */
  #rank(rid: number, bytes: number): void {
    const m = Math.floor(rid / RID_PER_MINUTE);
    let top = this.#tops.get(m);
    if (top === undefined) {
      top = { n: this.#topCount.get(m)!.n as number, bytes: 0, rid: 0 };
      this.#readSmallest(m, top);
      if (this.#tops.size >= CACHED_MINUTES) this.#tops.delete(this.#tops.keys().next().value!);
      this.#tops.set(m, top);
    }
    const smaller = top.n > 0 && (bytes < top.bytes || (bytes === top.bytes && rid < top.rid));
    if (top.n < TOP_PER_MINUTE) {
      this.#topInsert.run(m, bytes, rid);
      if (top.n === 0 || smaller) {
        top.bytes = bytes;
        top.rid = rid;
      }
      top.n++;
    } else if (!smaller) {
      this.#topInsert.run(m, bytes, rid);
      this.#topDelete.run(m, top.bytes, top.rid);
      this.#readSmallest(m, top);
    }
  }

  #readSmallest(m: number, top: MinuteTop): void {
    const row = this.#topSmallest.get(m);
    top.bytes = (row?.bytes as number | undefined) ?? 0;
    top.rid = (row?.rid as number | undefined) ?? 0;
  }

  /**
   * Ends the transaction's bookkeeping (the rowids it handed out are now in the table, or, when
   * it was rolled back, not: then flow_top's cached state is read again).
   */
  committed(ok = true): void {
    this.#nextK.clear();
    if (!ok) this.#tops.clear();
  }

  /** Forgets flow_top's cached state (retention removed minutes). */
  forget(): void {
    this.#tops.clear();
  }
}

/** End time in microseconds of a row. */
export function rowEndUs(row: Record<string, unknown>): number {
  return Math.floor(Number(row.rid) / RID_PER_MS) * 1000 + Number(row.lus);
}

/** The record of a flow row read with FLOW_COLUMNS. */
export function flowOfRow(row: Record<string, unknown>, labels: Labels): StoredFlow {
  const lastUs = rowEndUs(row);
  const flow: StoredFlow = {
    id: row.fid as number,
    active: false,
    proto: protoName(row.proto as number),
    src_ip: blobAddress(row.src as Uint8Array),
    src_port: row.sport as number,
    dst_ip: blobAddress(row.dst as Uint8Array),
    dst_port: row.dport as number,
    vlan: row.vlan as number | null,
    packets_c2s: row.pc as number,
    bytes_c2s: row.bc as number,
    packets_s2c: row.ps as number,
    bytes_s2c: row.bs as number,
    first_ts: (lastUs - (row.dur as number)) / 1e6,
    last_ts: lastUs / 1e6,
    state: labels.name(row.state as number | null) ?? "OTH",
    service: labels.name(row.service as number | null),
    no_ports: ((row.flags as number) & FLAG_NO_PORTS) !== 0,
    aggregate: ((row.flags as number) & FLAG_AGGREGATE) !== 0,
    // Ended flows have no current rate.
    rate_now: 0,
    server_name: labels.name(row.sni as number | null),
    app: labels.name(row.app as number | null),
    tunnel: labels.name(row.tunnel as number | null),
  };
  const reason = labels.name(row.reason as number | null);
  if (reason !== null) flow.end_reason = reason;
  return flow;
}
