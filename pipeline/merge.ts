// Merging the answers of several shards (one per capture worker) into one answer.
//
// Shards split flows by a symmetric hash of the 5-tuple, so a flow lives in exactly one shard
// and flow answers merge by concatenation; a host's traffic is spread over shards, so host
// answers merge by address. Top talkers merge each shard's best candidates (mergeTalkers()),
// exactly above a bound the shards' lists give, without any shard sending every host.

import { score, type TalkerMeasure, type WindowName } from "../flows/engine_views.ts";
import type { EngineFigures, ProtocolsAnswer } from "../flows/engine_views.ts";
import type { HostDetail } from "../flows/host_detail.ts";
import type { HostStats } from "../flows/host_views.ts";
import { encodeCursor } from "../flows/flow_paging.ts";
import type { FlowPage, FlowQuery } from "../flows/query.ts";
import type { SeriesAnswer } from "../flows/series_view.ts";

/**
 * One page from each shard's first `offset + limit + 1` rows (asked with offset 0 and values):
 * the rows of all, in (value, id) order, cut to the page. Pages may be merged pages.
 */
export function mergeFlowPages(pages: FlowPage[], query: FlowQuery): FlowPage {
  const rows: { value: number; page: FlowPage; i: number }[] = [];
  let total = 0;
  for (const page of pages) {
    total += page.total;
    page.flows.forEach((_, i) => rows.push({ value: page.values![i], page, i }));
  }
  rows.sort((a, b) => a.value - b.value || a.page.flows[a.i].id - b.page.flows[b.i].id);
  const offset = query.offset ?? 0;
  const limit = query.limit ?? 100;
  const slice = rows.slice(offset, offset + limit);
  let next: string | null = null;
  if (rows.length > offset + limit && slice.length > 0) {
    const last = slice[slice.length - 1];
    next = encodeCursor(
      query.sort ?? "last",
      query.order ?? "desc",
      last.value,
      last.page.flows[last.i].id,
    );
  }
  const page: FlowPage = { total, flows: slice.map((r) => r.page.flows[r.i]), next_cursor: next };
  // A merged page can be merged again (memory with history): it keeps its values when asked.
  if (query.withValues) page.values = slice.map((r) => r.value);
  return page;
}

/** Sums host stats of the same address. */
export function sumHosts(lists: HostStats[][]): Map<string, HostStats> {
  const out = new Map<string, HostStats>();
  for (const list of lists) {
    for (const h of list) {
      const seen = out.get(h.address);
      if (!seen) {
        out.set(h.address, { ...h });
        continue;
      }
      seen.bytes_sent += h.bytes_sent;
      seen.bytes_received += h.bytes_received;
      seen.packets_sent += h.packets_sent;
      seen.packets_received += h.packets_received;
      seen.rate_sent += h.rate_sent;
      seen.rate_received += h.rate_received;
      // Each shard names what its own traffic showed: the first that knows a field gives it.
      seen.name ??= h.name;
      seen.country ??= h.country;
      seen.asn ??= h.asn;
    }
  }
  return out;
}

/** Busiest first by `by`, ties by address. */
export function rankHosts(hosts: Iterable<HostStats>, by: TalkerMeasure, now: boolean) {
  return [...hosts].sort((a, b) =>
    score(b, by, now) - score(a, by, now) || (a.address < b.address ? -1 : 1)
  );
}

/** What the talkers merge asks of each shard. */
export interface TalkerShards {
  count: number;
  /** Each shard's best `limit` hosts, with names and places. */
  top(limit: number): Promise<HostStats[][]>;
  /** Each shard's best `cap` hosts with traffic, unnamed. */
  candidates(cap: number): Promise<HostStats[][]>;
  /** These hosts' figures; their names and places only when `describe`. */
  exact(addresses: string[], describe: boolean): Promise<HostStats[][]>;
}

/**
 * Hosts each shard sends as candidates (or 4 x limit, if more). The merge was TPUT (Cao and
 * Wang, 2004), whose threshold round asks for every host above the k-th best partial sum over
 * the shard count: in a flood of one-packet sources that is a fraction of one packet, and
 * every source reached it, so each shard sent all of its 65,536 hosts, named and placed, and
 * /talkers took 1.4 s with 2 workers.
 */
export const CANDIDATES_PER_SHARD = 1000;

/**
 * The top `limit` talkers over all shards, in three rounds: each shard's best
 * CANDIDATES_PER_SHARD hosts, the exact totals of all of them, then names and places for the
 * winners. A host that no shard sent has, on each shard, at most the last score that shard
 * sent (nothing when it sent fewer than asked: then it sent all it has), so every place
 * scoring above the sum of those bounds is exact; normally that is every place. Below it, in
 * a flood, are one-packet sources tied at one packet's bytes, ranked by address among those
 * the shards sent.
 */
export async function mergeTalkers(
  shards: TalkerShards,
  window: WindowName,
  by: TalkerMeasure,
  limit: number,
): Promise<HostStats[]> {
  const now = window === "now";
  if (shards.count === 1) return (await shards.top(limit))[0];
  const lists = await shards.candidates(Math.max(CANDIDATES_PER_SHARD, 4 * limit));
  const candidates = new Set<string>();
  for (const list of lists) for (const h of list) candidates.add(h.address);
  const best = rankHosts(sumHosts(await shards.exact([...candidates], false)).values(), by, now)
    .filter((h) => score(h, by, now) > 0)
    .slice(0, limit);
  const described = sumHosts(await shards.exact(best.map((h) => h.address), true));
  return best.map((h) => {
    const d = described.get(h.address);
    return d ? { ...h, name: d.name, country: d.country, asn: d.asn } : h;
  });
}

function addShares(
  into: Map<string, { name: string; packets: number; bytes: number }>,
  list: { name: string; packets: number; bytes: number }[],
): void {
  for (const x of list) {
    const seen = into.get(x.name);
    if (seen) {
      seen.packets += x.packets;
      seen.bytes += x.bytes;
    } else into.set(x.name, { ...x });
  }
}

function busiest(shares: Map<string, { name: string; packets: number; bytes: number }>) {
  return [...shares.values()].sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
}

/** Protocol and service totals summed over shards. */
export function mergeProtocols(answers: ProtocolsAnswer[]): ProtocolsAnswer {
  const protocols = new Map();
  const services = new Map();
  const apps = new Map();
  let packets = 0, bytes = 0, dropped = 0;
  for (const a of answers) {
    packets += a.packets;
    bytes += a.bytes;
    dropped += a.dropped;
    addShares(protocols, a.protocols);
    addShares(services, a.services);
    addShares(apps, a.apps);
  }
  const { window, seconds } = answers[0];
  return {
    window,
    seconds,
    packets,
    bytes,
    // Drops are the kernel's, counted by every shard's socket: they add up too.
    dropped,
    protocols: busiest(protocols),
    services: busiest(services),
    apps: busiest(apps),
  };
}

/** Series summed point by point (every shard was asked the same explicit range). */
export function mergeSeries(answers: SeriesAnswer[]): SeriesAnswer {
  const out: SeriesAnswer = { ...answers[0], series: [] };
  const byName = new Map<string, number[]>();
  for (const a of answers) {
    for (const s of a.series) {
      const sum = byName.get(s.name);
      if (!sum) byName.set(s.name, [...s.values]);
      else s.values.forEach((v, i) => sum[i] += v);
    }
  }
  // Keep the first answer's order, then names only later shards had.
  const order = [...new Set(answers.flatMap((a) => a.series.map((s) => s.name)))];
  out.series = order.map((name) => ({ name, values: byName.get(name)! }));
  return out;
}

/** Engine figures summed over shards. */
export function mergeFigures(answers: EngineFigures[]): EngineFigures {
  const flows = { ...answers[0].flows };
  const hosts = { ...answers[0].hosts };
  const identity = { ...answers[0].identity };
  const protocols = new Map();
  addShares(protocols, answers[0].protocols);
  for (const a of answers.slice(1)) {
    for (const key of Object.keys(flows) as (keyof EngineFigures["flows"])[]) {
      if (key !== "oldest_ended") flows[key] += a.flows[key];
    }
    hosts.count += a.hosts.count;
    hosts.capacity += a.hosts.capacity;
    hosts.evicted += a.hosts.evicted;
    for (const key of Object.keys(identity) as (keyof EngineFigures["identity"])[]) {
      identity[key] += a.identity[key];
    }
    addShares(protocols, a.protocols);
  }
  flows.fill = answers.reduce((sum, a) => sum + a.flows.fill, 0) / answers.length;
  const oldest = answers.map((a) => a.flows.oldest_ended).filter((x) => x !== null);
  flows.oldest_ended = oldest.length ? Math.min(...oldest) : null;
  return {
    flows,
    hosts,
    identity,
    protocols: answers[0].protocols.map((p) => protocols.get(p.name)),
  };
}

/** One host's detail summed over shards: traffic and shares add up, names and place agree. */
export function mergeHostDetails(answers: (HostDetail | null)[]): HostDetail | null {
  const seen = answers.filter((a): a is HostDetail => a !== null);
  if (seen.length === 0) return null;
  const out: HostDetail = structuredClone(seen[0]);
  for (const a of seen.slice(1)) {
    out.rate.sent += a.rate.sent;
    out.rate.received += a.rate.received;
    a.windows.forEach((w, i) => {
      out.windows[i].bytes_sent += w.bytes_sent;
      out.windows[i].bytes_received += w.bytes_received;
      out.windows[i].packets_sent += w.packets_sent;
      out.windows[i].packets_received += w.packets_received;
    });
    a.minutes.sent.forEach((v, i) => out.minutes.sent[i] += v);
    a.minutes.received.forEach((v, i) => out.minutes.received[i] += v);
    if (out.names.length === 0) out.names = a.names;
  }
  const addUp = <T extends { name: string; bytes: number; flows: number }>(
    key: (x: T) => string,
    lists: T[][],
  ) => {
    const m = new Map<string, T>();
    for (const list of lists) {
      for (const x of list) {
        const seenX = m.get(key(x));
        if (seenX) {
          seenX.bytes += x.bytes;
          seenX.flows += x.flows;
        } else m.set(key(x), { ...x });
      }
    }
    return [...m.values()].sort((a, b) => b.bytes - a.bytes).slice(0, 10);
  };
  out.peers = addUp((p) => p.address, seen.map((a) => a.peers));
  out.apps = addUp((p) => p.name, seen.map((a) => a.apps));
  return out;
}
