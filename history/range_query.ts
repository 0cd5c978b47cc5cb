// talkers() and protocols(): totals over a range, read from the coarsest rows that fit in it.
//
// The range, in whole minutes, is cut into whole hours (hourly rows), whole 5 minutes at the
// edges (5-minute rows) and single minutes at the very edges (minute rows): a day reads about
// 23 hourly and a few dozen finer buckets instead of 1440 minutes. Where a finer tier was
// trimmed by retention, the edge widens to the next coarser bucket instead.

import type { DatabaseSync } from "node:sqlite";
import { hostAddress, hostKey } from "./address_blob.ts";
import { LabelKind, TIER_ID } from "./schema.ts";
import { checkRange } from "./series_query.ts";
import type {
  HostTotals,
  ProtocolsResult,
  Share,
  TalkerRow,
  TalkersQuery,
  TalkersResult,
  Tier,
} from "./types.ts";
import { OTHER_HOST, TIER_SECONDS, TIERS } from "./types.ts";

/** A run of buckets of one tier: rows with start <= t < end. */
export interface Piece {
  tier: Tier;
  start: number;
  end: number;
}

/** The pieces covering [from, to] (see the file comment), and the span they cover. */
export function rangePieces(
  from: number,
  to: number,
  horizons: Record<Tier, number>,
): { pieces: Piece[]; from: number; to: number; tier: Tier } {
  let a = Math.floor(from / 60) * 60;
  let b = Math.max(a + 60, Math.ceil(to / 60) * 60);
  // Widen an edge to the first tier that still holds it.
  let finest = 0;
  for (let i = 0; i < TIERS.length - 1 && horizons[TIERS[i]] > a; i++) {
    const res = TIER_SECONDS[TIERS[i + 1]];
    a = Math.floor(a / res) * res;
    finest = i + 1;
  }
  for (let i = 0; i < TIERS.length - 1 && horizons[TIERS[i]] > b - 60; i++) {
    const res = TIER_SECONDS[TIERS[i + 1]];
    b = Math.ceil(b / res) * res;
    finest = Math.max(finest, i + 1);
  }
  const pieces: Piece[] = [];
  const split = (start: number, end: number, level: number) => {
    if (start >= end) return;
    if (level === 0) {
      pieces.push({ tier: TIERS[0], start, end });
      return;
    }
    const res = TIER_SECONDS[TIERS[level]];
    const inner0 = Math.ceil(start / res) * res;
    const inner1 = Math.floor(end / res) * res;
    if (inner0 >= inner1) return split(start, end, level - 1);
    split(start, inner0, level - 1);
    pieces.push({ tier: TIERS[level], start: inner0, end: inner1 });
    split(inner1, end, level - 1);
  };
  split(a, b, TIERS.length - 1);
  let used = TIERS.length - 1;
  for (const piece of pieces) used = Math.min(used, TIERS.indexOf(piece.tier));
  return { pieces, from: a, to: b, tier: TIERS[Math.max(used, finest)] };
}

const BY = ["bytes", "packets", "sent", "received"] as const;

/** Top hosts over [from, to] by `by`, with everything else as `other`. */
export function queryTalkers(
  db: DatabaseSync,
  horizons: Record<Tier, number>,
  q: TalkersQuery,
): TalkersResult {
  checkRange(q.from, q.to);
  const by = q.by ?? "bytes";
  if (!BY.includes(by)) throw new TypeError(`Invalid by "${by}": expected ${BY.join(", ")}`);
  const limit = q.limit ?? 10;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new RangeError(`Invalid limit "${limit}": expected 1-1000`);
  }
  const span = rangePieces(q.from, q.to, horizons);
  const sums = new Map<number, HostTotals>();
  const read = db.prepare(
    `SELECT host, sum(bytes_sent) AS bs, sum(bytes_received) AS br, sum(packets_sent) AS ps,
       sum(packets_received) AS pr
     FROM host_traffic WHERE tier = ? AND t >= ? AND t < ? GROUP BY host`,
  );
  for (const piece of span.pieces) {
    for (const row of read.all(TIER_ID[piece.tier], piece.start, piece.end)) {
      const host = row.host as number;
      const sum = sums.get(host) ??
        { bytes_sent: 0, bytes_received: 0, packets_sent: 0, packets_received: 0 };
      sum.bytes_sent += row.bs as number;
      sum.bytes_received += row.br as number;
      sum.packets_sent += row.ps as number;
      sum.packets_received += row.pr as number;
      sums.set(host, sum);
    }
  }
  const otherId = db.prepare("SELECT id FROM host WHERE address = ?").get(hostKey(OTHER_HOST)!)
    ?.id;
  const other = sums.get(otherId as number) ??
    { bytes_sent: 0, bytes_received: 0, packets_sent: 0, packets_received: 0 };
  sums.delete(otherId as number);
  const key = (h: HostTotals) =>
    by === "bytes"
      ? h.bytes_sent + h.bytes_received
      : by === "packets"
      ? h.packets_sent + h.packets_received
      : by === "sent"
      ? h.bytes_sent
      : h.bytes_received;
  const ranked = [...sums].sort((x, y) => key(y[1]) - key(x[1]) || x[0] - y[0]).slice(0, limit);
  const describe = db.prepare("SELECT address, name, country, asn FROM host WHERE id = ?");
  const seconds = span.to - span.from;
  const talkers: TalkerRow[] = ranked.map(([id, sum]) => {
    const host = describe.get(id);
    return {
      address: host ? hostAddress(host.address as Uint8Array) : "?",
      name: (host?.name as string | null) ?? null,
      country: (host?.country as string | null) ?? null,
      asn: (host?.asn as number | null) ?? null,
      ...sum,
      rate_sent: sum.bytes_sent / seconds,
      rate_received: sum.bytes_received / seconds,
    };
  });
  return { tier: span.tier, by, from: span.from, to: span.to, talkers, other };
}

/** Totals, drops and the protocol, service and app mix over [from, to]. */
export function queryProtocols(
  db: DatabaseSync,
  horizons: Record<Tier, number>,
  from: number,
  to: number,
): ProtocolsResult {
  checkRange(from, to);
  const span = rangePieces(from, to, horizons);
  const totals = db.prepare(
    `SELECT sum(packets) AS p, sum(bytes) AS b, sum(dropped) AS d FROM totals
     WHERE tier = ? AND t >= ? AND t < ?`,
  );
  const shares = db.prepare(
    `SELECT l.kind AS kind, l.name AS name, sum(b.packets) AS p, sum(b.bytes) AS b
     FROM breakdown b JOIN label l ON l.id = b.label
     WHERE b.tier = ? AND b.t >= ? AND b.t < ? GROUP BY b.label`,
  );
  let packets = 0;
  let bytes = 0;
  let dropped = 0;
  const groups = new Map<number, Map<string, Share>>();
  for (const piece of span.pieces) {
    const args = [TIER_ID[piece.tier], piece.start, piece.end];
    const row = totals.get(...args)!;
    packets += (row.p as number | null) ?? 0;
    bytes += (row.b as number | null) ?? 0;
    dropped += (row.d as number | null) ?? 0;
    for (const share of shares.all(...args)) {
      const kind = share.kind as number;
      const group = groups.get(kind) ?? new Map<string, Share>();
      groups.set(kind, group);
      const sum = group.get(share.name as string) ?? { packets: 0, bytes: 0 };
      sum.packets += share.p as number;
      sum.bytes += share.b as number;
      group.set(share.name as string, sum);
    }
  }
  const list = (kind: number) =>
    [...(groups.get(kind) ?? [])].map(([name, share]) => ({ name, ...share }))
      .sort((x, y) => y.bytes - x.bytes || x.name.localeCompare(y.name));
  return {
    tier: span.tier,
    from: span.from,
    to: span.to,
    seconds: span.to - span.from,
    packets,
    bytes,
    dropped,
    protocols: list(LabelKind.Protocol),
    services: list(LabelKind.Service),
    apps: list(LabelKind.App),
  };
}
