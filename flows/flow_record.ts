// The flow record shape for output (report JSON and the HTTP API), read from a FlowStore slot.

import { formatIpv4, formatIpv6 } from "../capture/ip_address.ts";
import { tunnelName } from "../capture/packet_batch.ts";
import { type FlowStore, HISTORY_WORDS, MetaBit } from "./flow_store.ts";
import { flowRate } from "./second_accounting.ts";
import { SERVICE_NAMES } from "./services.ts";
import { CONN_STATE_NAMES, ConnState, connState, FlowBit } from "./tcp_state.ts";

/** One flow, oriented client -> server. Field names are the JSON keys. */
export interface FlowRecord {
  /** Unique over the engine's life; the key for GET /flows/{id}. */
  id: number;
  /** Still tracked (false: ended, from the history). */
  active: boolean;
  /** "tcp", "udp", "icmp", "icmpv6", another known name, or the protocol number. */
  proto: string;
  src_ip: string;
  /** TCP/UDP port; ICMP: the (request) type. */
  src_port: number;
  dst_ip: string;
  /** TCP/UDP port; ICMP: the code. */
  dst_port: number;
  /** Outermost 802.1Q VLAN id, or null for untagged frames. */
  vlan: number | null;
  packets_c2s: number;
  bytes_c2s: number;
  packets_s2c: number;
  bytes_s2c: number;
  /** Epoch seconds of the first and last packet, to the microsecond. */
  first_ts: number;
  last_ts: number;
  /** Zeek-style conn_state (see tcp_state.ts). */
  state: string;
  /** Well-known service of the server port, or null. */
  service: string | null;
  /**
   * Packets without ports for a protocol that has them (non-first IP fragments, cut-short
   * headers): ports are 0 and the record is not a TCP/UDP 5-tuple.
   */
  no_ports: boolean;
  /**
   * An aggregate of one-packet flows to one server, made when too many came at once (a flood,
   * a scan): the client address is the unspecified address, its port 0, and every packet of
   * `packets_c2s` and `packets_s2c` was a flow of its own.
   */
  aggregate: boolean;
  /**
   * Current rate, bytes per second over the last 3 finished seconds (2 while the flow sends in
   * the current second; see flowRate()), 0 for ended flows;
   * `bytes / duration` is the lifetime average.
   */
  rate_now: number;
  /**
   * The name the client asked the server by (TLS or QUIC SNI, HTTP Host, DNS query name, ...),
   * read from the flow's first packets; null when none was seen.
   */
  server_name: string | null;
  /**
   * What the payload says the flow is: the protocol ("TLS", "QUIC", "DNS", "SSH"...) and, when
   * the name tells, the application ("TLS.YouTube"); null when unknown. `service` is the port's.
   */
  app: string | null;
  /** The outermost tunnel the flow was carried in ("vxlan", "gre", "gtp-u"...), or null. */
  tunnel: string | null;
}

/** Turns a record's name id and app code into text (flows/identity/identity.ts). */
export interface FlowLabels {
  nameText(id: number): string | null;
  appLabel(code: number): string | null;
  /**
   * The name table, for a copy of a record that outlives it (a handoff ring) to hold its name:
   * an entry nobody holds may be given to another name.
   */
  readonly names?: { retain(id: number): void; release(id: number): void };
}

const PROTO_NAMES: Record<number, string> = {
  1: "icmp",
  2: "igmp",
  4: "ipip",
  6: "tcp",
  17: "udp",
  41: "ipv6",
  47: "gre",
  50: "esp",
  51: "ah",
  58: "icmpv6",
  89: "ospf",
  103: "pim",
  112: "vrrp",
  132: "sctp",
};

/** Name of IP protocol `proto`, or its number as a string. */
export function protoName(proto: number): string {
  return PROTO_NAMES[proto] ?? String(proto);
}

/** IP protocol number of a name or number string, or -1. */
export function protoNumber(name: string): number {
  const lower = name.toLowerCase();
  for (const [number, known] of Object.entries(PROTO_NAMES)) {
    if (known === lower) return Number(number);
  }
  const n = Number(name);
  return Number.isInteger(n) && n >= 0 && n <= 255 && name.trim() !== "" ? n : -1;
}

/** Text of address A (`end` 0) or B (`end` 1) of a slot. */
export function slotAddress(store: FlowStore, slot: number, end: number): string {
  const a = slot * store.stride + 1 + (end << 2);
  const w = store.u32;
  return store.meta(slot) & MetaBit.V6
    ? formatIpv6(w[a], w[a + 1], w[a + 2], w[a + 3])
    : formatIpv4(w[a]);
}

/** ConnState number of a slot (TCP from its flags; other protocols from who sent packets). */
export function slotState(store: FlowStore, slot: number): number {
  const bits = store.bits(slot);
  const clientIsB = (bits & FlowBit.ClientIsB) !== 0;
  const serverSent = (clientIsB ? store.pktsAB(slot) : store.pktsBA(slot)) > 0;
  const meta = store.meta(slot);
  if ((meta & 255) === 6 && !(meta & MetaBit.NoPorts)) {
    return connState(bits, store.tcpA(slot), store.tcpB(slot), serverSent);
  }
  const clientSent = (clientIsB ? store.pktsBA(slot) : store.pktsAB(slot)) > 0;
  return udpLikeState(clientSent, serverSent);
}

/** Zeek's UDP rule, used for every non-TCP flow: SF both sent, S0 client only, SHR server only. */
function udpLikeState(clientSent: boolean, serverSent: boolean): number {
  if (clientSent && serverSent) return ConnState.SF;
  if (clientSent) return ConnState.S0;
  return serverSent ? ConnState.SHR : ConnState.OTH;
}

/** Microsecond rounding, so JSON prints 1300475167.096535 rather than float noise. */
function micros(ts: number): number {
  return Math.round(ts * 1e6) / 1e6;
}

/**
 * The output record of slot `slot` of `store`; `nowSec` (the engine's clock) gives active
 * records their current rate.
 */
export function flowRecord(
  store: FlowStore,
  slot: number,
  active: boolean,
  nowSec = 0,
  labels?: FlowLabels,
): FlowRecord {
  const meta = store.meta(slot);
  const proto = meta & 255;
  const clientIsB = (store.bits(slot) & FlowBit.ClientIsB) !== 0;
  const ports = store.ports(slot);
  const portA = ports >>> 16;
  const portB = ports & 0xffff;
  const icmp = proto === 1 || proto === 58;
  const service = SERVICE_NAMES[store.service(slot)];
  return {
    id: store.id(slot),
    active,
    proto: protoName(proto),
    src_ip: slotAddress(store, slot, clientIsB ? 1 : 0),
    src_port: icmp || !clientIsB ? portA : portB,
    dst_ip: slotAddress(store, slot, clientIsB ? 0 : 1),
    dst_port: icmp || !clientIsB ? portB : portA,
    vlan: meta & MetaBit.Vlan ? (meta >>> 8) & 0xffff : null,
    packets_c2s: clientIsB ? store.pktsBA(slot) : store.pktsAB(slot),
    bytes_c2s: clientIsB ? store.bytesBA(slot) : store.bytesAB(slot),
    packets_s2c: clientIsB ? store.pktsAB(slot) : store.pktsBA(slot),
    bytes_s2c: clientIsB ? store.bytesAB(slot) : store.bytesBA(slot),
    first_ts: micros(store.first(slot)),
    last_ts: micros(store.last(slot)),
    state: CONN_STATE_NAMES[slotState(store, slot)],
    service: service === "" ? null : service,
    no_ports: (meta & MetaBit.NoPorts) !== 0,
    aggregate: (meta & MetaBit.Aggregate) !== 0,
    rate_now: active && nowSec > 0 && store.stride > HISTORY_WORDS
      ? round1(flowRate(store, slot, nowSec))
      : 0,
    server_name: labels?.nameText(store.name(slot)) ?? null,
    app: labels?.appLabel(store.app(slot)) ?? null,
    tunnel: tunnelName(store.tunnel(slot)) || null,
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
