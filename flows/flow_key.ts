// The bidirectional flow key of one packet: protocol, VLAN and the two ends in canonical order.
//
// Hot path: fills a caller-owned scratch Uint32Array, allocates nothing.

import { Flag, IpProto, type PacketBatch, PacketKind } from "../capture/packet_batch.ts";
import { MetaBit } from "./flow_store.ts";

/** Words in a key: [meta, address A (4 words), address B (4 words), ports]. */
export const KEY_WORDS = 10;

/** Bits of packetKey()'s result. */
export const KeyResult = {
  /** The packet was sent by end B (the end that sorts second). */
  FromB: 1,
  /** The packet is an answer (ICMP echo reply and the like): its sender is the server. */
  Reply: 2,
} as const;

/**
 * ICMP / ICMPv6 answer types mapped to their request type, so both directions share a key.
 * ANSWER marks true replies, whose sender is the server; advertisements (often unsolicited,
 * to a multicast group) share the key but do not decide the orientation.
 */
const ANSWER = 0x100;
const ICMP_REQUEST_OF = new Int16Array(256).fill(-1);
ICMP_REQUEST_OF[0] = 8 | ANSWER; // echo reply -> echo request
ICMP_REQUEST_OF[14] = 13 | ANSWER; // timestamp reply
ICMP_REQUEST_OF[16] = 15 | ANSWER; // information reply
ICMP_REQUEST_OF[18] = 17 | ANSWER; // address mask reply
const ICMPV6_REQUEST_OF = new Int16Array(256).fill(-1);
ICMPV6_REQUEST_OF[129] = 128 | ANSWER; // echo reply -> echo request
ICMPV6_REQUEST_OF[134] = 133; // router advertisement -> router solicitation
ICMPV6_REQUEST_OF[136] = 135; // neighbor advertisement -> neighbor solicitation
ICMPV6_REQUEST_OF[140] = 139 | ANSWER; // node information reply -> query

/**
 * True when packet `i` of `batch` can be keyed as a flow: an IPv4/IPv6 packet whose protocol is
 * known (the transport header was reached, or it is a non-first fragment, which names it).
 */
export function isFlowPacket(batch: PacketBatch, i: number): boolean {
  const kind = batch.kind[i];
  if (kind !== PacketKind.Ipv4 && kind !== PacketKind.Ipv6) return false;
  return (batch.flags[i] & (Flag.L4 | Flag.NonFirstFragment)) !== 0;
}

/**
 * Fills `key` with the flow key of packet `i` (which must pass isFlowPacket) and returns
 * KeyResult bits. Ends are ordered by (address, port), so both directions give the same key;
 * ICMP orders by address only and keeps (request type, code) in the ports word. Packets of a
 * protocol with ports that carry none (non-first fragments, cut-short headers) get ports 0 and
 * MetaBit.NoPorts.
 */
export function packetKey(batch: PacketBatch, i: number, key: Uint32Array): number {
  const f = batch.flags[i];
  const proto = batch.proto[i];
  let meta = proto;
  if (batch.kind[i] === PacketKind.Ipv6) meta |= MetaBit.V6;
  if (f & Flag.Vlan) meta = meta | MetaBit.Vlan | (batch.vlan[i] << 8);
  const portful = proto === IpProto.Tcp || proto === IpProto.Udp || proto === IpProto.Icmp ||
    proto === IpProto.Icmpv6;
  const hasPorts = (f & Flag.Ports) !== 0 && (f & Flag.NonFirstFragment) === 0;
  if (portful && !hasPorts) meta |= MetaBit.NoPorts;
  let sp = hasPorts ? batch.srcPort[i] : 0;
  const dp = hasPorts ? batch.dstPort[i] : 0;
  let result = 0;
  const icmp = hasPorts && (proto === IpProto.Icmp || proto === IpProto.Icmpv6);
  if (icmp) {
    const request = (proto === IpProto.Icmp ? ICMP_REQUEST_OF : ICMPV6_REQUEST_OF)[sp & 255];
    if (request >= 0) {
      sp = request & 255;
      if (request & ANSWER) result |= KeyResult.Reply;
    }
  }
  // Compare source and destination as (address words, port): which end sorts first?
  const base = i << 2;
  const src = batch.src;
  const dst = batch.dst;
  let order = 0;
  for (let w = 0; w < 4 && order === 0; w++) {
    const s = src[base + w];
    const d = dst[base + w];
    if (s !== d) order = s < d ? -1 : 1;
  }
  if (order === 0 && !icmp) order = sp < dp ? -1 : sp > dp ? 1 : 0;
  key[0] = meta >>> 0;
  if (order <= 0) {
    for (let w = 0; w < 4; w++) {
      key[1 + w] = src[base + w];
      key[5 + w] = dst[base + w];
    }
    key[9] = ((sp << 16) | dp) >>> 0;
  } else {
    for (let w = 0; w < 4; w++) {
      key[1 + w] = dst[base + w];
      key[5 + w] = src[base + w];
    }
    key[9] = icmp ? ((sp << 16) | dp) >>> 0 : ((dp << 16) | sp) >>> 0;
    result |= KeyResult.FromB;
  }
  return result;
}

/**
 * The hash seed, random per process: traffic crafted to collide in the flow index (to make
 * every lookup probe far) would have to guess it.
 */
const SEED = crypto.getRandomValues(new Uint32Array(1))[0];

/**
 * 32-bit hash of a key: murmur3's mixing of each word, then its final avalanche so the top
 * bits the index uses depend on every input bit. An IPv4 key (no MetaBit.V6) mixes only the
 * words that can be non-zero (meta, the two addresses' first words, ports): 4 rounds, not 10.
 *
 * Returned as a signed int32 (readers take `h >>> 0` where they need it unsigned): V8 keeps an
 * int32 unboxed, where a uint32 of 2^31 or more returned from a call that is not inlined is a
 * new heap number, so half the packets each allocated one (64 MB per 8M packets; the usual
 * 5,000-flow mix runs 7% faster without it, see BENCHMARKS.md).
 */
export function hashKey(key: Uint32Array): number {
  let h = SEED;
  h = mix(h, key[0]);
  h = mix(h, key[1]);
  h = mix(h, key[5]);
  h = mix(h, key[9]);
  if ((key[0] & MetaBit.V6) !== 0) {
    h = mix(h, key[2]);
    h = mix(h, key[3]);
    h = mix(h, key[4]);
    h = mix(h, key[6]);
    h = mix(h, key[7]);
    h = mix(h, key[8]);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** One murmur3 round: word `word` into hash state `h` (Math.imul keeps it in int32). */
function mix(h: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/**
 * True when the record at word `r` of `u32` holds `key` (KEY_WORDS words). The meta word and
 * the ports come first: they differ most often between flows that share a bucket.
 */
export function sameKey(u32: Uint32Array, r: number, key: Uint32Array): boolean {
  return u32[r] === key[0] && u32[r + 9] === key[9] && u32[r + 1] === key[1] &&
    u32[r + 5] === key[5] && u32[r + 2] === key[2] && u32[r + 3] === key[3] &&
    u32[r + 4] === key[4] && u32[r + 6] === key[6] && u32[r + 7] === key[7] &&
    u32[r + 8] === key[8];
}
