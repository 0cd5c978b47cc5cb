// The flow table's columns: what each cell shows, what it sorts by, and its tooltip; and the
// two rates of a flow (current and lifetime average).

import type { ComponentChildren } from "preact";
import type { FlowRecord } from "../../server/wire.ts";
import { stateMeaning } from "../client/conn_states.ts";
import { rateNowOf } from "../client/flow_aggregate.ts";
import {
  formatBitRate,
  formatBytes,
  formatCount,
  formatDateTime,
  formatDuration,
  formatEndpoint,
  formatSeen,
} from "../client/format.ts";
import type { SortKey } from "../client/view_state.ts";
import { Endpoint } from "./Endpoint.tsx";

/** Lifetime average, bit/s: bytes over max(duration, 1 s), the API's `sort=rate`. */
export function flowRate(f: FlowRecord): number {
  return (f.bytes_c2s + f.bytes_s2c) * 8 / Math.max(1, f.last_ts - f.first_ts);
}

/** Current rate, bit/s over the last 3 finished seconds, as of `lastFinished` (rateNowOf). */
export function flowRateNow(f: FlowRecord, lastFinished: number): number {
  return rateNowOf(f, lastFinished) * 8;
}

/** What cells show besides their flow's own fields. */
export interface CellContext {
  /** The server's last finished second (0 when unknown): current rates age by it. */
  lastFinished: number;
  /** Times carry their date even today's (the range spans more than a day). */
  dated: boolean;
}

/** One column of the flow table. */
export interface FlowColumn {
  label: string;
  /** Header tooltip. */
  help?: string;
  sort?: SortKey;
  class?: string;
  cell(f: FlowRecord, at: CellContext): ComponentChildren;
  title?(f: FlowRecord): string;
}

/** A time seen in a cell: with its date unless it is today (see formatSeen). */
function seen(epochSec: number, at: CellContext): string {
  return formatSeen(epochSec, at.lastFinished > 0 ? at.lastFinished : Date.now() / 1000, at.dated);
}

function client(f: FlowRecord): string {
  return f.aggregate ? "many clients" : formatEndpoint(f.src_ip, f.no_ports ? null : f.src_port);
}

function clientCell(f: FlowRecord): ComponentChildren {
  return f.aggregate
    ? "many clients"
    : <Endpoint address={f.src_ip} port={f.no_ports ? null : f.src_port} />;
}

function server(f: FlowRecord): string {
  return formatEndpoint(f.dst_ip, f.no_ports ? null : f.dst_port);
}

/** The columns, in order. `opt`: hidden on narrow screens; `wide`: only on wide ones. */
export const FLOW_COLUMNS: FlowColumn[] = [
  { label: "Proto", cell: (f) => f.proto + (f.tunnel ? ` in ${f.tunnel}` : "") },
  {
    label: "Client",
    class: "addr",
    cell: clientCell,
    title: (f) =>
      f.aggregate
        ? `One-packet flows from many clients to this server, folded into one record (a flood or scan)`
        : client(f),
  },
  {
    label: "Server",
    class: "addr",
    cell: (f) => (
      <Endpoint address={f.dst_ip} port={f.no_ports ? null : f.dst_port} name={f.server_name} />
    ),
    title: (f) => f.server_name ? `${server(f)} (${f.server_name})` : server(f),
  },
  {
    label: "App",
    help: "What the payload says (TLS.YouTube, DNS...), else the port's service",
    cell: (f) => f.app ?? f.service ?? "",
    title: (f) =>
      f.app ? `${f.app}${f.service ? ` (port: ${f.service})` : ""}` : "No app seen; port service",
  },
  {
    label: "State",
    help: "Zeek connection state: hover one for its meaning; the legend below lists them",
    cell: (f) => (
      <>
        <abbr class="state">{f.state}</abbr>
        {!f.active && <span class="tag ended-tag">ended</span>}
      </>
    ),
    title: (f) =>
      `${f.state}: ${stateMeaning(f.state)}. ${
        f.active ? "Active: still tracked." : "Ended: no longer tracked, kept for the hour."
      }`,
  },
  {
    label: "Packets",
    sort: "packets",
    class: "num opt",
    cell: (f) => formatCount(f.packets_c2s + f.packets_s2c),
  },
  {
    label: "Bytes",
    sort: "bytes",
    class: "num",
    cell: (f) => formatBytes(f.bytes_c2s + f.bytes_s2c),
    title: (f) =>
      `${formatCount(f.bytes_c2s + f.bytes_s2c)} bytes: ${
        formatCount(f.bytes_c2s)
      } sent by the client, ${formatCount(f.bytes_s2c)} by the server`,
  },
  {
    label: "Now",
    help: "Current rate: bit/s over the last 3 finished seconds (0 once the flow is quiet)",
    sort: "rate_now",
    class: "num",
    cell: (f, at) => formatBitRate(flowRateNow(f, at.lastFinished)),
  },
  {
    label: "Avg",
    help: "Lifetime average: bytes over the flow's duration",
    sort: "rate",
    class: "num",
    cell: (f) => formatBitRate(flowRate(f)),
  },
  {
    label: "Duration",
    sort: "duration",
    class: "num opt",
    cell: (f) => formatDuration(f.last_ts - f.first_ts),
  },
  {
    label: "First seen",
    sort: "first",
    class: "num opt wide",
    cell: (f, at) => seen(f.first_ts, at),
    title: (f) => formatDateTime(f.first_ts, true),
  },
  {
    label: "Last seen",
    sort: "last",
    class: "num",
    cell: (f, at) => seen(f.last_ts, at),
    title: (f) => formatDateTime(f.last_ts, true),
  },
];
