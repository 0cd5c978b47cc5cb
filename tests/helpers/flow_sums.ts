// Packets and bytes per one-way conversation, the common ground for comparing Netwatch's flow
// records with what a collector or a database stored.
//
// A conversation is (protocol, source address and port, destination address and port, VLAN).
// Summing per conversation makes the comparison independent of how records were cut (idle
// and active timeouts differ between a replay in wall-clock time and a report in file time).
// ICMP keys leave out the ports: collectors put the type and code elsewhere, or nowhere.

import type { FlowRecord } from "../../flows/flow_record.ts";
import { protoNumber } from "../../flows/flow_record.ts";

/** Packets and bytes of one direction. */
export interface Sum {
  packets: number;
  bytes: number;
}

/** Expanded lowercase IPv6 (eight 4-digit groups), IPv4 unchanged. */
export function canonicalIp(text: string): string {
  if (!text.includes(":")) return text;
  let address = text.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    address = address.slice(0, dotted.index) +
      `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = address.includes("::") ? address.split("::") : [address, undefined];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = tail === undefined
    ? left
    : [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
  if (groups.length !== 8) throw new SyntaxError(`Cannot parse IPv6 address "${text}"`);
  return groups.map((g) => g.padStart(4, "0")).join(":");
}

/** The key of a one-way conversation. */
export function conversationKey(
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
    const forward = conversationKey(proto, f.src_ip, f.src_port, f.dst_ip, f.dst_port, vlan);
    const back = conversationKey(proto, f.dst_ip, f.dst_port, f.src_ip, f.src_port, vlan);
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
