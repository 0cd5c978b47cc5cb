// The history store's interface: what the engine sends in, what queries return, worker messages.

import type { FlowRecord } from "../flows/flow_record.ts";
import type { FlowQuery } from "../flows/query.ts";

// ---- Input: produced by the flow engine once per minute and as flows end ----

/** Packets and bytes of one protocol, service or app. */
export interface Share {
  packets: number;
  bytes: number;
}

/** Totals of one finished minute. */
export interface MinuteTotals {
  /** Epoch seconds, a multiple of 60. */
  minute: number;
  packets: number;
  bytes: number;
  /** Kernel + interface drops in the minute. */
  dropped: number;
  /** tcp, udp, icmp, other, non_flow. */
  protocols: Record<string, Share>;
  /** Port-guess services. */
  services: Record<string, Share>;
  /** "TLS.YouTube", "DNS"... (may be empty). */
  apps: Record<string, Share>;
}

/** One host's traffic in one minute: the top hosts of the minute exactly, the rest as "other". */
export interface HostMinute {
  minute: number;
  address: string;
  name: string | null;
  country: string | null;
  asn: number | null;
  bytes_sent: number;
  bytes_received: number;
  packets_sent: number;
  packets_received: number;
}

/** An ended flow: the API's FlowRecord plus the fields being added this round. */
export type StoredFlow =
  & Omit<FlowRecord, "rate_now" | "aggregate" | "server_name" | "app" | "tunnel">
  & {
    /** An aggregate of one-packet flows (FlowRecord.aggregate); absent means false. */
    aggregate?: boolean;
    /** Ended flows have no current rate: 0 when given. */
    rate_now?: number;
    server_name?: string | null;
    app?: string | null;
    tunnel?: string | null;
    end_reason?: string;
  };

/** A name learned from traffic. */
export interface LearnedName {
  address: string;
  name: string;
  /** dns, sni, quic, http, dhcp, netbios or mdns (flows/identity/passive_dns.ts). */
  source: string;
  first_seen: number;
  last_seen: number;
}

/** Address of the row that sums every host outside the top N of an interval. */
export const OTHER_HOST = "other";

// ---- Queries and results ----

/** Storage tiers, finest first: rows per minute, per 5 minutes, per hour. */
export type Tier = "1m" | "5m" | "1h";
/** Seconds per row of each tier. */
export const TIER_SECONDS: Record<Tier, number> = { "1m": 60, "5m": 300, "1h": 3600 };
export const TIERS: readonly Tier[] = ["1m", "5m", "1h"];

export interface SeriesQuery {
  /** Epoch seconds; `to` is included (the point holding it is the last). */
  from: number;
  to: number;
  /** Default "bps". */
  metric?: "bps" | "pps";
  /** Default "none". */
  breakdown?: "none" | "protocol" | "service" | "app";
  /** Seconds per point, rounded up to a multiple of the chosen tier's resolution. */
  step?: number;
}

export interface SeriesResult {
  /** The tier the points were read from. */
  tier: Tier;
  metric: "bps" | "pps";
  unit: "bit/s" | "packet/s";
  step: number;
  /** Start of the first and of the last point (multiples of step). */
  from: number;
  to: number;
  /** The tier holds no data before this (trimmed by retention), or null if never trimmed. */
  covered_from: number | null;
  t: number[];
  series: { name: string; values: number[] }[];
}

export interface TalkersQuery {
  from: number;
  to: number;
  /** Default "bytes" (sent + received); "sent" and "received" rank by bytes. */
  by?: "bytes" | "packets" | "sent" | "received";
  /** Default 10, at most 1000. */
  limit?: number;
}

/** Traffic of one host (or of "other") over a range. Field names are the API's. */
export interface HostTotals {
  bytes_sent: number;
  bytes_received: number;
  packets_sent: number;
  packets_received: number;
}

export interface TalkerRow extends HostTotals {
  address: string;
  name: string | null;
  country: string | null;
  asn: number | null;
  /** Bytes per second averaged over the range. */
  rate_sent: number;
  rate_received: number;
}

export interface TalkersResult {
  /** The finest tier used: whole hours inside the range come from "1h", the edges from finer. */
  tier: Tier;
  by: "bytes" | "packets" | "sent" | "received";
  /** The span read, whole minutes: [from, to). */
  from: number;
  to: number;
  talkers: TalkerRow[];
  /** Everything outside the hosts kept per interval, so that the rows add up to the total. */
  other: HostTotals;
}

export interface ProtocolsResult {
  tier: Tier;
  from: number;
  to: number;
  seconds: number;
  packets: number;
  bytes: number;
  dropped: number;
  /** Sorted by bytes, largest first. */
  protocols: ({ name: string } & Share)[];
  services: ({ name: string } & Share)[];
  apps: ({ name: string } & Share)[];
}

/**
 * The flow query of the API (flows/query.ts): filters, sort and page; `from`/`to` the range.
 * `endedBefore` (epoch seconds) keeps only flows that ended before it: with the in-memory
 * history holding the flows that ended since, the two sets are disjoint and merge by sort.
 */
export type FlowsQuery = FlowQuery & { endedBefore?: number };

export interface FlowsResult {
  flows: StoredFlow[];
  total: number;
  next_cursor: string | null;
  /** With `withValues`: each row's signed sort value, as flows/query.ts gives (for merging). */
  values?: number[];
}

export interface NamesResult {
  address: string;
  /** Most recently seen first. */
  names: LearnedName[];
}

/** One query to the store; `kind` picks the function. */
export type HistoryQuery =
  | ({ kind: "series" } & SeriesQuery)
  | ({ kind: "talkers" } & TalkersQuery)
  | { kind: "protocols"; from: number; to: number }
  | { kind: "flows"; query: FlowsQuery }
  | { kind: "names"; address: string };

/** The result type of each query kind. */
export interface QueryResults {
  series: SeriesResult;
  talkers: TalkersResult;
  protocols: ProtocolsResult;
  flows: FlowsResult;
  names: NamesResult;
}

// ---- Configuration and state ----

/** How the store is opened and bounded. */
export interface StoreOptions {
  /** The database file. Its directory is created (mode 0700) when missing. */
  path: string;
  /** Bytes the database (file + WAL) may take; the oldest data goes first. */
  capBytes: number;
  /** Data older than this many seconds is dropped; undefined keeps it until the cap. */
  maxAgeSec?: number;
  /** Hosts kept exactly per 5-minute and hourly interval (the rest sum to "other"). */
  hostsPerInterval?: number;
}

/** Options of the worker on top of the store's. */
export interface WorkerOptions extends StoreOptions {
  /** Commit pending writes at least this often (default 1000 ms). */
  commitIntervalMs?: number;
  /** ...or when this many rows wait (default 5000). */
  commitRows?: number;
}

/** What the store holds and how it is doing; `state` "failed" means memory-only. */
export interface HistoryStatus {
  state: "starting" | "ok" | "failed" | "closed";
  /** The database file. */
  path: string;
  /** One line saying what went wrong and how to fix it, when state is "failed". */
  error: string | null;
  /** Where a damaged database was moved aside to, if that happened at open. */
  moved_aside: string | null;
  /** Database file + WAL, bytes, and the cap. */
  file_bytes: number;
  cap_bytes: number;
  /** Oldest data per tier (epoch seconds), null when empty. */
  oldest: { flows: number | null; "1m": number | null; "5m": number | null; "1h": number | null };
  /** Rows written since start. */
  written: { minutes: number; host_rows: number; flows: number; names: number };
  /** Items dropped: by the bounded queue (writer side) and by failed writes (store side). */
  dropped: { queue: number; write_errors: number };
  /** Times the size cap or age removed data, since start. */
  retention_runs: number;
  /** Largest engine flow id stored: a restarted engine should number its flows after it. */
  max_flow_id: number;
}

// ---- Worker message protocol ----

/** Writes: from the engine side, on the worker itself or on a port it handed out. */
export type WriteMessage =
  | { type: "minute"; totals: MinuteTotals; hosts: HostMinute[] }
  | { type: "flows"; flows: StoredFlow[] }
  | { type: "names"; names: LearnedName[] };

/** Messages to the history worker. */
export type ToHistory =
  | { type: "open"; options: WorkerOptions }
  | WriteMessage
  /** A MessagePort on which more writes (and only writes) arrive; its acks go back on it. */
  | { type: "attach"; port: MessagePort }
  | { type: "query"; id: number; query: HistoryQuery }
  | { type: "status"; id: number }
  /** Commit what is pending now; answered with "done". */
  | { type: "flush"; id: number }
  /** Commit, checkpoint and close; answered with "done", then the worker exits. */
  | { type: "close"; id: number };

/** Messages from the history worker. */
export type FromHistory =
  | { type: "opened"; status: HistoryStatus }
  /** `items` write items are committed (or failed): the writer's queue shrinks by that. */
  | { type: "ack"; items: number }
  /** The state changed (e.g. a write failed and the store went memory-only). */
  | { type: "state"; status: HistoryStatus }
  | { type: "result"; id: number; result: unknown }
  | { type: "query_error"; id: number; name: string; message: string }
  | { type: "status"; id: number; status: HistoryStatus }
  | { type: "done"; id: number };

/** Write items a message counts for in the bounded queue. */
export function itemsOf(message: WriteMessage): number {
  switch (message.type) {
    case "minute":
      return 1 + message.hosts.length;
    case "flows":
      return message.flows.length;
    case "names":
      return message.names.length;
  }
}
