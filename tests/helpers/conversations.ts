// Packets and bytes per conversation, the common ground for comparing Netwatch's flows with
// what another tool saw, whatever way each tool cut the traffic into flows.
//
// Two views. Two-way (Sums): a (protocol, address:port, address:port) conversation with the
// packets and bytes each end sent, for tshark and nDPI, which split flows differently. One-way
// (Sum): (protocol, source, destination, VLAN) apart per direction, for what a collector or a
// database stored; summing makes the comparison independent of how records were cut (idle and
// active timeouts differ between a replay in wall-clock time and a report in file time).

import type { FlowRecord } from "../../flows/flow_record.ts";
import { protoNumber } from "../../flows/flow_record.ts";
import { canonicalIp } from "./canonical_ip.ts";

// ---- Two-way: both ends of a conversation, each end's traffic apart ----

/** Packets and bytes in each direction of a conversation: "lo" sent by the end that sorts first. */
export interface Sums {
  packetsLo: number;
  bytesLo: number;
  packetsHi: number;
  bytesHi: number;
}

/** Conversation key -> sums; keys are "proto|lo address|lo port|hi address|hi port". */
export type Conversations = Map<string, Sums>;

/** The key of the conversation between two ends, and whether `src` is its "lo" end. */
export function conversationKey(
  proto: string,
  src: [string, number],
  dst: [string, number],
): { key: string; srcIsLo: boolean } {
  const a = `${canonicalIp(src[0])}|${src[1]}`;
  const b = `${canonicalIp(dst[0])}|${dst[1]}`;
  const srcIsLo = a <= b;
  return { key: `${proto.toLowerCase()}|${srcIsLo ? a : b}|${srcIsLo ? b : a}`, srcIsLo };
}

/** Adds `packets` and `bytes` sent from `src` to `dst` to the sums of their conversation. */
export function account(
  sums: Conversations,
  proto: string,
  src: [string, number],
  dst: [string, number],
  packets: number,
  bytes: number,
): void {
  const { key, srcIsLo } = conversationKey(proto, src, dst);
  const entry = sums.get(key) ?? { packetsLo: 0, bytesLo: 0, packetsHi: 0, bytesHi: 0 };
  if (srcIsLo) {
    entry.packetsLo += packets;
    entry.bytesLo += bytes;
  } else {
    entry.packetsHi += packets;
    entry.bytesHi += bytes;
  }
  sums.set(key, entry);
}

/** A flow record of `netwatch report --flows --format json`, the fields compared here. */
export interface ReportFlow {
  id: number;
  proto: string;
  src_ip: string;
  src_port: number;
  dst_ip: string;
  dst_port: number;
  packets_c2s: number;
  bytes_c2s: number;
  packets_s2c: number;
  bytes_s2c: number;
  no_ports: boolean;
}

/** Netwatch's TCP and UDP records summed per conversation (flows without ports left out). */
export function reportConversations(flows: ReportFlow[]): Conversations {
  const sums: Conversations = new Map();
  for (const flow of flows) {
    if ((flow.proto !== "tcp" && flow.proto !== "udp") || flow.no_ports) continue;
    const src: [string, number] = [flow.src_ip, flow.src_port];
    const dst: [string, number] = [flow.dst_ip, flow.dst_port];
    account(sums, flow.proto, src, dst, flow.packets_c2s, flow.bytes_c2s);
    account(sums, flow.proto, dst, src, flow.packets_s2c, flow.bytes_s2c);
  }
  return sums;
}

// ---- One-way: each direction its own key, VLAN included ----

/** Packets and bytes of one direction (or of one key, however it is made). */
export interface Sum {
  packets: number;
  bytes: number;
}

/**
 * The key of a one-way conversation: protocol number, source, destination, VLAN. ICMP keys
 * leave out the ports: collectors put the type and code elsewhere, or nowhere.
 */
export function oneWayKey(
  proto: number,
  src: string,
  srcPort: number,
  dst: string,
  dstPort: number,
  vlan: number,
): string {
  const icmp = proto === 1 || proto === 58;
  return [
    proto,
    canonicalIp(src),
    icmp ? 0 : srcPort,
    canonicalIp(dst),
    icmp ? 0 : dstPort,
    vlan,
  ].join("|");
}

/** Adds `packets` and `bytes` to `key` in `sums` (zero-packet directions are left out). */
export function addTo(sums: Map<string, Sum>, key: string, packets: number, bytes: number): void {
  if (packets === 0 && bytes === 0) return;
  const sum = sums.get(key) ?? { packets: 0, bytes: 0 };
  sum.packets += packets;
  sum.bytes += bytes;
  sums.set(key, sum);
}

/** One-way sums of flow records (the API's and the report's shape): c2s and s2c apart. */
export function recordSums(flows: readonly FlowRecord[]): Map<string, Sum> {
  const sums = new Map<string, Sum>();
  for (const f of flows) {
    const proto = protoNumber(f.proto);
    const vlan = f.vlan ?? 0;
    const forward = oneWayKey(proto, f.src_ip, f.src_port, f.dst_ip, f.dst_port, vlan);
    const back = oneWayKey(proto, f.dst_ip, f.dst_port, f.src_ip, f.src_port, vlan);
    addTo(sums, forward, f.packets_c2s, f.bytes_c2s);
    addTo(sums, back, f.packets_s2c, f.bytes_s2c);
  }
  return sums;
}

/** Lines that differ between two sets of sums ("key: expected ... got ..."); empty when equal. */
export function diffSums(expected: Map<string, Sum>, actual: Map<string, Sum>): string[] {
  const lines: string[] = [];
  for (const [key, want] of expected) {
    const got = actual.get(key);
    if (!got || got.packets !== want.packets || got.bytes !== want.bytes) {
      lines.push(`${key}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
    }
  }
  for (const [key, got] of actual) {
    if (!expected.has(key)) lines.push(`${key}: unexpected ${JSON.stringify(got)}`);
  }
  return lines;
}
