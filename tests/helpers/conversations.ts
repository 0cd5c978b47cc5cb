// Per-conversation sums for comparing flow tools: packets and bytes in each direction of a
// (protocol, address:port, address:port) conversation, whatever way each tool splits flows.

import assert from "node:assert/strict";

/** Packets and bytes in each direction of a conversation: "lo" sent by the end that sorts first. */
export interface Sums {
  packetsLo: number;
  bytesLo: number;
  packetsHi: number;
  bytesHi: number;
}

/** Expanded lowercase text of an IPv6 address (eight 4-digit groups); IPv4 unchanged. */
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
  assert.equal(groups.length, 8, `Cannot parse IPv6 address "${text}"`);
  return groups.map((g) => g.padStart(4, "0")).join(":");
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
