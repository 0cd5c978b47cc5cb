// Builds PacketBatches by hand for the flow tests: one call per packet, fields in plain words.

import { Flag, PacketBatch, PacketKind } from "../../capture/packet_batch.ts";
import { addressWordsOf } from "../../flows/address_parse.ts";

/** One test packet. Addresses: "10.0.0.1" or "2001:db8::1" (no embedded IPv4). */
export interface TestPacket {
  ts: number;
  src: string;
  dst: string;
  proto?: number;
  sport?: number;
  dport?: number;
  /** TCP flags byte; see TcpFlag. */
  tcp?: number;
  len?: number;
  vlan?: number;
  /** A non-first fragment: no ports. */
  fragment?: boolean;
  /** Override the packet kind (non-IP frames). */
  kind?: number;
}

/** Words of an address; throws on text that is not one. */
export function addressWords(text: string): { v6: boolean; words: number[] } {
  const parsed = addressWordsOf(text);
  if (!parsed) throw new TypeError(`Invalid test address "${text}"`);
  return parsed;
}

/** Appends `p` to `batch`. */
export function pushPacket(batch: PacketBatch, p: TestPacket): void {
  const i = batch.count++;
  const src = addressWords(p.src);
  const dst = addressWords(p.dst);
  batch.tsSec[i] = Math.floor(p.ts);
  batch.tsNsec[i] = Math.round((p.ts - Math.floor(p.ts)) * 1e9);
  batch.wireLen[i] = p.len ?? 100;
  for (let w = 0; w < 4; w++) {
    batch.src[(i << 2) + w] = src.words[w];
    batch.dst[(i << 2) + w] = dst.words[w];
  }
  batch.kind[i] = p.kind ?? (src.v6 ? PacketKind.Ipv6 : PacketKind.Ipv4);
  const proto = p.proto ?? 6;
  batch.proto[i] = proto;
  let flags = 0;
  if (p.fragment) {
    flags |= Flag.Fragment | Flag.NonFirstFragment;
  } else {
    flags |= Flag.L4;
    if (proto === 6 || proto === 17 || proto === 1 || proto === 58) flags |= Flag.Ports;
  }
  if (p.vlan !== undefined) {
    flags |= Flag.Vlan;
    batch.vlan[i] = p.vlan;
  } else {
    batch.vlan[i] = 0;
  }
  batch.flags[i] = flags;
  batch.srcPort[i] = p.fragment ? 0 : p.sport ?? 0;
  batch.dstPort[i] = p.fragment ? 0 : p.dport ?? 0;
  batch.tcpFlags[i] = p.tcp ?? 0;
}

/** A batch holding `packets`, in order. */
export function batchOf(packets: TestPacket[]): PacketBatch {
  const batch = new PacketBatch(Math.max(1, packets.length));
  for (const p of packets) pushPacket(batch, p);
  return batch;
}
