// The headless report: what a capture file or a live window held, as JSON or as text.

import { tunnelName } from "../capture/packet_batch.ts";
import type { CaptureStats } from "../capture/pcap_handle.ts";
import type { FlowRecord } from "../flows/flow_record.ts";
import { flowsTable } from "./flows_table.ts";
import type { PacketCounters } from "../flows/packet_counters.ts";

/** The report `netwatch report` and `netwatch capture` print. Field names are the JSON keys. */
export interface Report {
  /** The file read, for `report`. */
  file?: string;
  /** The interface captured, for `capture`. */
  interface?: string;
  filter?: string;
  /** pcap link-type name, e.g. EN10MB. */
  linktype: string;
  dlt: number;
  packets: number;
  /** Sum of original wire lengths. */
  bytes: number;
  non_ip: number;
  ipv4: number;
  ipv6: number;
  undecoded: number;
  tcp: number;
  udp: number;
  icmp: number;
  other_l4: number;
  nonfirst_fragments: number;
  malformed: number;
  truncated: number;
  /**
   * Packets taken out of a tunnel. The classes above (ipv4 ... nonfirst_fragments) count their
   * outermost header; flows and 5-tuples count what they carry.
   */
  tunnelled: number;
  /** Tunnelled packets by tunnel name (outermost tunnel), for the kinds seen. */
  tunnels: Record<string, number>;
  /** Packets nested in more tunnels than are taken off; counted by the innermost reached. */
  tunnels_too_deep: number;
  /** Epoch seconds of the first and last packet, with nanosecond digits; null when empty. */
  first_ts: Timestamp | null;
  last_ts: Timestamp | null;
  /** Distinct bidirectional (protocol, address:port, address:port) of TCP/UDP, VLAN ignored. */
  tcp_udp_5tuples?: number;
  /** With --flows: every flow record, ended or still active at the end, by first packet. */
  flows?: FlowRecord[];
  /** Live captures: kernel counters over the capture. */
  received?: number;
  dropped_by_kernel?: number;
  dropped_by_interface?: number;
  /** Set when reading stopped early; the figures cover what was read. */
  error?: string;
}

/** A timestamp as whole seconds and nanoseconds, printed as seconds with nine decimals. */
export interface Timestamp {
  sec: number;
  nsec: number;
}

/** Fills the counter fields of a report. */
export function countersReport(
  counters: PacketCounters,
): Omit<Report, "file" | "interface" | "linktype" | "dlt"> {
  return {
    packets: counters.packets,
    bytes: counters.bytes,
    non_ip: counters.nonIp,
    ipv4: counters.ipv4,
    ipv6: counters.ipv6,
    undecoded: counters.undecoded,
    tcp: counters.tcp,
    udp: counters.udp,
    icmp: counters.icmp,
    other_l4: counters.otherL4,
    nonfirst_fragments: counters.nonFirstFragments,
    malformed: counters.malformed,
    truncated: counters.truncated,
    tunnelled: counters.tunnelled,
    tunnels: Object.fromEntries(
      [...counters.byTunnel].flatMap((n, kind) => n ? [[tunnelName(kind), n]] : []),
    ),
    tunnels_too_deep: counters.tunnelsTooDeep,
    first_ts: counters.firstSec < 0 ? null : { sec: counters.firstSec, nsec: counters.firstNsec },
    last_ts: counters.lastSec < 0 ? null : { sec: counters.lastSec, nsec: counters.lastNsec },
  };
}

/** Adds kernel counters of a live capture to a report. */
export function withCaptureStats(report: Report, stats: CaptureStats | undefined): Report {
  if (!stats) return report;
  return {
    ...report,
    received: stats.received,
    dropped_by_kernel: stats.droppedByKernel,
    dropped_by_interface: stats.droppedByInterface,
  };
}

/** `1300475167.096535000`: exact, where a float would lose the nanoseconds. */
export function formatTimestamp(ts: Timestamp): string {
  return `${ts.sec}.${String(ts.nsec).padStart(9, "0")}`;
}

/**
 * The report as one JSON object; timestamps are JSON numbers with all nine decimals. The flow
 * records (often most of it: 500,000 of them is 400 MB of text) are written without the
 * replacer, which only the report's own timestamps need and which is called for every key.
 */
export function reportJson(report: Report): string {
  const { flows, ...rest } = report;
  const json = (value: unknown) =>
    JSON.stringify(value, (key, v) => {
      if ((key === "first_ts" || key === "last_ts") && v !== null && typeof v === "object") {
        return rawJson(formatTimestamp(v as Timestamp));
      }
      return v;
    }, 2);
  if (flows === undefined) return json(rest);
  // Key order as in the report: everything before "flows", "flows", then "error" if any.
  const { error, ...before } = rest;
  const members = (object: object, text = json(object)) => text.slice(2, -2); // no "{\n", "\n}"
  const parts = [members(before), members({ flows }, JSON.stringify({ flows }, null, 2))];
  if (error !== undefined) parts.push(members({ error }));
  return `{\n${parts.join(",\n")}\n}`;
}

/** The report for people: aligned labels, grouped digits, shares of the packet count. */
export function reportText(report: Report): string {
  const n = (v: number) => v.toLocaleString("en-US");
  const share = (v: number) => report.packets ? ` (${(100 * v / report.packets).toFixed(1)}%)` : "";
  const when = (ts: Timestamp | null) =>
    ts
      ? `${new Date(ts.sec * 1000).toISOString().replace(".000Z", "Z")} (${formatTimestamp(ts)})`
      : "-";
  const rows: [string, string][] = [];
  if (report.file !== undefined) rows.push(["file", report.file]);
  if (report.interface !== undefined) rows.push(["interface", report.interface]);
  if (report.filter) rows.push(["filter", report.filter]);
  rows.push(
    ["link type", `${report.linktype} (${report.dlt})`],
    ["packets", n(report.packets)],
    ["bytes", n(report.bytes)],
    ["IPv4", n(report.ipv4) + share(report.ipv4)],
    ["IPv6", n(report.ipv6) + share(report.ipv6)],
    ["non-IP", n(report.non_ip) + share(report.non_ip)],
  );
  if (report.undecoded) rows.push(["undecoded", n(report.undecoded) + share(report.undecoded)]);
  rows.push(
    ["TCP", n(report.tcp) + share(report.tcp)],
    ["UDP", n(report.udp) + share(report.udp)],
    ["ICMP", n(report.icmp) + share(report.icmp)],
    ["other L4", n(report.other_l4) + share(report.other_l4)],
    ["later fragments", n(report.nonfirst_fragments)],
    ["malformed", n(report.malformed)],
    ["truncated", n(report.truncated)],
    ["tunnelled", n(report.tunnelled) + tunnelKinds(report.tunnels)],
    ["first packet", when(report.first_ts)],
    ["last packet", when(report.last_ts)],
  );
  if (report.tunnels_too_deep) rows.push(["tunnels too deep", n(report.tunnels_too_deep)]);
  if (report.tcp_udp_5tuples !== undefined) {
    rows.push(["TCP/UDP 5-tuples", n(report.tcp_udp_5tuples)]);
  }
  if (report.flows !== undefined) rows.push(["flow records", n(report.flows.length)]);
  if (report.received !== undefined) {
    rows.push(
      ["kernel received", n(report.received)],
      ["kernel dropped", n(report.dropped_by_kernel ?? 0)],
      ["interface dropped", n(report.dropped_by_interface ?? 0)],
    );
  }
  if (report.error) rows.push(["error", report.error]);
  const width = Math.max(...rows.map(([label]) => label.length));
  const summary = rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join("\n");
  return report.flows?.length ? `${summary}\n\n${flowsTable(report.flows)}` : summary;
}

/** " (gre 40, vxlan 2)" after the tunnelled count; nothing when none. */
function tunnelKinds(tunnels: Record<string, number>): string {
  const kinds = Object.entries(tunnels).map(([name, n]) => `${name} ${n.toLocaleString("en-US")}`);
  return kinds.length ? ` (${kinds.join(", ")})` : "";
}

/** JSON.rawJSON (ES2026), which the TypeScript lib in use may not declare yet. */
function rawJson(text: string): unknown {
  return (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON(text);
}

/**
 * Writes `text` and a newline to stdout in 1 Mi-character pieces: a report with every flow
 * record can be hundreds of megabytes, which console.log would encode in one piece (and hand to
 * the inspector's console too). A reader that goes away (`| head`) ends the output quietly.
 */
export function printReport(text: string): void {
  const encoder = new TextEncoder();
  const piece = 1 << 20;
  const buffer = new Uint8Array(3 * piece + 4); // UTF-8 of `piece` UTF-16 units, and "\n"
  let at = 0;
  try {
    do {
      let end = Math.min(text.length, at + piece);
      // Never split a surrogate pair between two pieces.
      const c = text.charCodeAt(end - 1);
      if (end < text.length && c >= 0xd800 && c <= 0xdbff) end--;
      const chunk = end === text.length ? `${text.slice(at, end)}\n` : text.slice(at, end);
      const { written } = encoder.encodeInto(chunk, buffer);
      for (let done = 0; done < written;) {
        done += Deno.stdout.writeSync(buffer.subarray(done, written));
      }
      at = end;
    } while (at < text.length);
  } catch (error) {
    if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
  }
}
