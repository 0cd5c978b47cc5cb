// Operations on one flow record that the engine and the one-packet ring share.

import { IpProto, type PacketBatch } from "../capture/packet_batch.ts";
import { KeyResult } from "./flow_key.ts";
import {
  ACTIVE_WORDS,
  B_BITS,
  B_HOSTS_DONE,
  B_INSPECT,
  B_SERVICE,
  B_TCP_A,
  B_TCP_B,
  B_TUNNEL,
  F_BYTES_AB,
  F_BYTES_BA,
  F_FIRST,
  F_ID,
  F_LAST,
  type FlowStore,
  H_APP,
  H_PENDING,
  MetaBit,
  W_META,
  W_NAME,
  W_PKTS_AB,
  W_PKTS_BA,
  W_PORTS,
  W_RATE_SECOND,
} from "./flow_store.ts";
import { serviceIndex } from "./services.ts";
import { FlowBit, tcpClosed, TcpFlag, updateTcpBits } from "./tcp_state.ts";

/** The timeout class of full flow `s`: 0 TCP open, 1 TCP closed, 2 UDP, 3 ICMP, 4 other. */
export function timeoutClassOf(store: FlowStore, s: number): number {
  const r = s * store.stride;
  const u8 = store.u8;
  const meta = store.u32[r + W_META];
  const proto = meta & 255;
  if (proto === IpProto.Tcp && (meta & MetaBit.NoPorts) === 0) {
    return tcpClosed(u8[r * 4 + B_TCP_A], u8[r * 4 + B_TCP_B]) ? 1 : 0;
  }
  if (proto === IpProto.Udp) return 2;
  if (proto === IpProto.Icmp || proto === IpProto.Icmpv6) return 3;
  return 4;
}

/** The timeout class of a one-packet flow with key word `meta`: TCP open, UDP, ICMP, other. */
export function embryoClass(meta: number): number {
  const proto = meta & 255;
  if (proto === IpProto.Tcp) return 0;
  if (proto === IpProto.Udp) return 2;
  if (proto === IpProto.Icmp || proto === IpProto.Icmpv6) return 3;
  return 4;
}

/** Zeroes record `s` apart from its key, starting at `ts` with id `id`. */
export function clearRecord(store: FlowStore, s: number, ts: number, id: number): void {
  const r = s * store.stride;
  const u32 = store.u32;
  const f64 = store.f64;
  u32[r + W_PKTS_AB] = 0;
  u32[r + W_PKTS_BA] = 0;
  f64[(r >> 1) + F_BYTES_AB] = 0;
  f64[(r >> 1) + F_BYTES_BA] = 0;
  f64[(r >> 1) + F_FIRST] = ts;
  f64[(r >> 1) + F_LAST] = ts;
  f64[(r >> 1) + F_ID] = id;
  u32[r + 22] = 0; // TCP flags both ways, FlowBit, service
  u32[r + W_NAME] = 0;
  store.u16[r * 2 + H_APP] = 0;
  store.u8[r * 4 + B_TUNNEL] = 0;
  store.u8[r * 4 + B_INSPECT] = 0;
  store.u8[r * 4 + B_HOSTS_DONE] = 0;
  store.u16[r * 2 + H_PENDING] = 0;
  if (store.stride === ACTIVE_WORDS) {
    u32[r + W_RATE_SECOND] = 0;
    u32[r + W_RATE_SECOND + 1] = 0;
    u32[r + W_RATE_SECOND + 2] = 0;
    u32[r + W_RATE_SECOND + 3] = 0;
  }
}

/**
 * Starts record `s` again at `ts` with id `id`: a new flow when `bits` is 0, or the next record
 * of a connection that outlived the active timeout (its FlowBit `bits`), which keeps its
 * service, name, app, tunnel and inspection state: it is the same connection.
 */
export function restartRecord(store: FlowStore, s: number, ts: number, id: number, bits: number) {
  const r = s * store.stride;
  const service = store.u8[r * 4 + B_SERVICE];
  const name = store.u32[r + W_NAME];
  const app = store.u16[r * 2 + H_APP];
  const tunnel = store.u8[r * 4 + B_TUNNEL];
  const inspect = store.u8[r * 4 + B_INSPECT];
  clearRecord(store, s, ts, id);
  store.u8[r * 4 + B_BITS] = bits;
  if (bits === 0) {
    setService(store, s);
    return;
  }
  store.u8[r * 4 + B_SERVICE] = service;
  store.u32[r + W_NAME] = name;
  store.u16[r * 2 + H_APP] = app;
  store.u8[r * 4 + B_TUNNEL] = tunnel;
  store.u8[r * 4 + B_INSPECT] = inspect;
}

/**
 * True when packet `i` opens its flow in the one-packet ring: a connection attempt or refusal
 * (a TCP SYN, SYN-ACK or RST without payload: what floods and scans are made of) or ICMP.
 * Any other first packet (data, a mid-stream ACK) starts a full flow at once.
 */
export function opensAsEmbryo(batch: PacketBatch, i: number): boolean {
  const p = batch.proto[i];
  if (p === IpProto.Icmp || p === IpProto.Icmpv6) return true;
  if (p !== IpProto.Tcp || batch.payloadLength[i] !== 0) return false;
  return (batch.tcpFlags[i] & (TcpFlag.Syn | TcpFlag.Rst)) !== 0;
}

/**
 * Orients a new record: the sender of its first packet is the client, unless that packet is an
 * answer (ICMP echo reply and the like, or a TCP SYN-ACK), whose sender is the server.
 */
export function orientRecord(store: FlowStore, s: number, result: number, tcpFlags: number): void {
  const fromB = (result & KeyResult.FromB) !== 0;
  const answer = (result & KeyResult.Reply) !== 0 ||
    (tcpFlags & (TcpFlag.Syn | TcpFlag.Ack)) === (TcpFlag.Syn | TcpFlag.Ack);
  if (fromB !== answer) store.u8[s * store.stride * 4 + B_BITS] |= FlowBit.ClientIsB;
  setService(store, s);
}

/** OR's a segment's flags into its direction; a SYN (without ACK) names the client. */
export function tcpRecord(store: FlowStore, s: number, flags: number, fromB: boolean): void {
  const u8 = store.u8;
  const b = s * store.stride * 4;
  if (fromB) u8[b + B_TCP_B] |= flags;
  else u8[b + B_TCP_A] |= flags;
  const before = u8[b + B_BITS];
  let bits = updateTcpBits(before, flags, fromB);
  if (bits !== before && (flags & (TcpFlag.Syn | TcpFlag.Ack)) === TcpFlag.Syn) {
    const clientIsB = (bits & FlowBit.ClientIsB) !== 0;
    const clientSyn = (bits & (clientIsB ? FlowBit.SynB : FlowBit.SynA)) !== 0;
    const serverSyn = (bits & (clientIsB ? FlowBit.SynA : FlowBit.SynB)) !== 0;
    // The first pure SYN seen comes from the server end: that end is the client after all.
    if (serverSyn && !clientSyn) {
      bits ^= FlowBit.ClientIsB;
      u8[b + B_BITS] = bits;
      setService(store, s);
      return;
    }
  }
  u8[b + B_BITS] = bits;
}

/** Sets the service of record `s` from its server port. */
export function setService(store: FlowStore, s: number): void {
  const r = s * store.stride;
  const u8 = store.u8;
  const meta = store.u32[r + W_META];
  const ports = store.u32[r + W_PORTS];
  const clientIsB = (u8[r * 4 + B_BITS] & FlowBit.ClientIsB) !== 0;
  const server = clientIsB ? ports >>> 16 : ports & 0xffff;
  const client = clientIsB ? ports & 0xffff : ports >>> 16;
  u8[r * 4 + B_SERVICE] = meta & MetaBit.NoPorts ? 0 : serviceIndex(meta & 255, server, client);
}
