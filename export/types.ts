// What flow export takes in (ExportFlow), what it reports (ExportStatus), and what a sink does.

import type { FlowRecord } from "../flows/flow_record.ts";

/**
 * Why a record was exported, as IPFIX flowEndReason (RFC 7012, IE 136) names it:
 * `idle` 1 idle timeout, `active` 2 active timeout (the flow goes on as a new record), `end` 3
 * end of flow detected (TCP FIN both ways or RST), `forced` 4 forced end (shutdown), `evicted`
 * 5 lack of resources (the flow table was full).
 */
export type EndReasonName = "idle" | "active" | "end" | "forced" | "evicted";

/** IPFIX flowEndReason value of each end reason. */
export const FLOW_END_REASON: Readonly<Record<EndReasonName, number>> = {
  idle: 1,
  active: 2,
  end: 3,
  forced: 4,
  evicted: 5,
};

/**
 * One exported flow record: the API's FlowRecord (client -> server, per-direction counters)
 * plus what export needs. Immutable once built: every destination shares the same object.
 */
export interface ExportFlow
  extends Omit<FlowRecord, "aggregate" | "rate_now" | "server_name" | "app" | "tunnel"> {
  /** An aggregate of one-packet flows (FlowRecord.aggregate); absent means false. */
  aggregate?: boolean;
  end_reason: EndReasonName;
  /** TCP flags OR'd over the packets the client sent (0 for other protocols). */
  tcp_flags_c2s: number;
  /** TCP flags OR'd over the packets the server sent. */
  tcp_flags_s2c: number;
  ip_version: 4 | 6;
  /** Server name (TLS SNI, HTTP Host, DNS answer) from the identity work, when known. */
  server_name?: string | null;
  /** Application (e.g. from nDPI), when known. */
  app?: string | null;
  /** Encapsulation the flow was carried in (e.g. "vxlan", "gre"), when known. */
  tunnel?: string | null;
}

/** Where a destination is: first contact, working, backing off after a failure, or given up. */
export type ExportState = "connecting" | "ok" | "retrying" | "failed";

/** Figures of one export destination, for /stats, /metrics and the dashboard. */
export interface ExportStatus {
  /** The --export URL with any password removed. */
  destination: string;
  /** "ipfix" (UDP), "ipfix+tcp" or "clickhouse". */
  kind: ExportKind;
  state: ExportState;
  /** Records waiting to be sent, and the most the queue holds. */
  queued: number;
  capacity: number;
  /** Records the destination accepted (UDP: handed to the socket). */
  sent: number;
  /** Records lost because the queue was full. */
  dropped: number;
  /** Sends that failed and were retried. */
  failures: number;
  /** The latest failure, one line, or null. */
  last_error: string | null;
  /** Epoch milliseconds of the latest successful send, or null. */
  last_sent_ms: number | null;
}

/** Destination kinds, by URL scheme. */
export type ExportKind = "ipfix" | "ipfix+tcp" | "clickhouse";

/**
 * The transport of one destination: sends a batch or throws. The destination runner owns
 * the queue, retries and backoff; a sink only does I/O. `send` is never called concurrently.
 */
export interface ExportSink {
  /** Opens connections or creates schema; throws when the destination cannot be reached. */
  open(): Promise<void>;
  /** Sends every record of `batch`; throws (and keeps nothing) when it could not. */
  send(batch: readonly ExportFlow[]): Promise<void>;
  /** Periodic work between sends (template refresh, retention); may throw like send. */
  maintain?(nowMs: number): Promise<void>;
  /** Releases sockets and timers. Safe to call twice. */
  close(): Promise<void>;
}
