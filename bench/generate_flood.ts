// Writes the worst traffic for a flow monitor: a random-source TCP SYN flood with a few heavy hosts.
//
// Most packets are SYNs to one server, each from a new random source address and port, so every
// one is a new flow and a new host; the rest are full-size packets of five established
// connections from five heavy hosts. Packets are spaced at a given rate (default 1 GbE line rate
// for 64-byte frames: 1.488 Mpps), so the capture's clock runs as the link's would. Optionally
// the server answers a share of the SYNs with a SYN-ACK a fixed number of packets later, so that
// a test can make one-packet flows get their second packet before or after a bounded table
// forgets them.

import { PcapWriter } from "../tests/helpers/pcap_file.ts";
import { mulberry32 } from "../tests/helpers/random.ts";

/** A share of the SYNs the server answers, each answer written `delay` packets after its SYN. */
export interface FloodAnswers {
  share: number;
  delay: number;
}

export interface FloodOptions {
  packets: number;
  /** Share of packets that are flood SYNs (default 0.9). */
  synShare?: number;
  /** Packets per second of capture time (default 1,488,095: 64-byte frames at 1 Gbit/s). */
  rate?: number;
  seed?: number;
  /** Groups of answered SYNs (default none: nothing is answered). */
  answers?: FloodAnswers[];
  /**
   * Write whole frames (default: headers only, 64-byte snaplen), for a file that tcpreplay
   * sends as the wire carried it.
   */
  fullFrames?: boolean;
}

/** What was written, with the exact totals the tests check against. */
export interface FloodCapture {
  path: string;
  packets: number;
  bytes: number;
  synPackets: number;
  /** SYN-ACKs written per group of `answers` (an answer due past the end is not written). */
  synAckPackets: number[];
  /** The flooded server, "192.168.0.1" (SYNs go to its port 80). */
  server: string;
  /** Heavy host address -> bytes it sent (every heavy packet goes to the server's port 443). */
  heavy: Map<string, number>;
  /** Bytes of every flood SYN and every SYN-ACK (each a 60-byte frame). */
  synBytes: number;
  synAckBytes: number;
  firstTs: number;
  lastTs: number;
}

export const LINE_RATE_64B = 1_488_095;
const SERVER = 0xc0a80001; // 192.168.0.1
const HEAVY = 5;
const HEAVY_FRAME = 1514;
/** A SYN or SYN-ACK frame on the wire: 64 bytes with the FCS, which captures do not hold. */
const SMALL_FRAME = 60;

/** An answer waiting for its turn: the SYN's source, and when it is due (packet index). */
interface Pending {
  due: number;
  src: number;
  sport: number;
}

/** Writes the flood capture to `path` (Ethernet; headers only unless `fullFrames`). */
export function generateFlood(path: string, options: FloodOptions): FloodCapture {
  const rnd = mulberry32(options.seed ?? 7);
  const rate = options.rate ?? LINE_RATE_64B;
  const synShare = options.synShare ?? 0.9;
  const groups = options.answers ?? [];
  // One FIFO per group: a fixed delay keeps each in due order.
  const queues: Pending[][] = groups.map(() => []);
  const heads = groups.map(() => 0);
  const synAckPackets = groups.map(() => 0);
  const full = options.fullFrames === true;
  const writer = new PcapWriter(path, 1, full ? HEAVY_FRAME : 64);
  // Headers in the first 54 bytes; the rest (whole frames only) stays zero.
  const frame = new Uint8Array(full ? HEAVY_FRAME : 54);
  const v = new DataView(frame.buffer);
  frame.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2]);
  v.setUint16(12, 0x0800);
  frame[14] = 0x45; // IPv4, 20-byte header
  frame[22] = 64; // TTL
  frame[23] = 6; // TCP
  frame[46] = 0x50; // data offset: 5 words
  const heavy = new Map<string, number>();
  let bytes = 0;
  let synPackets = 0;
  const startSec = 1_700_000_000;
  for (let i = 0; i < options.packets; i++) {
    let wire: number;
    const answer = dueAnswer(queues, heads, i);
    if (answer >= 0) {
      const p = queues[answer][heads[answer]++];
      v.setUint32(26, SERVER);
      v.setUint32(30, p.src);
      v.setUint16(34, 80);
      v.setUint16(36, p.sport);
      frame[47] = 0x12; // SYN-ACK
      wire = SMALL_FRAME;
      synAckPackets[answer]++;
    } else if (rnd() < synShare) {
      // A new source: random public-looking address and port.
      const src = (0x0b000000 + Math.floor(rnd() * 0xd0000000)) >>> 0;
      const sport = 1024 + Math.floor(rnd() * 64000);
      v.setUint32(26, src);
      v.setUint32(30, SERVER);
      v.setUint16(34, sport);
      v.setUint16(36, 80);
      frame[47] = 0x02; // SYN
      wire = SMALL_FRAME;
      synPackets++;
      if (groups.length > 0) {
        // Which group (if any) answers this SYN: one draw against the cumulative shares.
        let x = rnd();
        for (let g = 0; g < groups.length; g++) {
          if (x < groups[g].share) {
            queues[g].push({ due: i + groups[g].delay, src, sport });
            break;
          }
          x -= groups[g].share;
        }
      }
    } else {
      const h = Math.floor(rnd() * HEAVY);
      const src = 0x0a090901 + h; // 10.9.9.1 - 10.9.9.5
      v.setUint32(26, src);
      v.setUint32(30, SERVER);
      v.setUint16(34, 40000 + h);
      v.setUint16(36, 443);
      frame[47] = 0x10; // ACK
      wire = HEAVY_FRAME;
      const name = `10.9.9.${1 + h}`;
      heavy.set(name, (heavy.get(name) ?? 0) + wire);
    }
    v.setUint16(16, wire - 14); // IP total length
    const ns = Math.floor(i * 1e9 / rate);
    const sec = startSec + Math.floor(ns / 1e9);
    const data = full ? frame.subarray(0, wire) : frame;
    writer.write(sec, Math.floor((ns % 1e9) / 1000), data, wire);
    bytes += wire;
  }
  writer.close();
  const lastNs = Math.floor((options.packets - 1) * 1e9 / rate);
  const synAcks = synAckPackets.reduce((a, b) => a + b, 0);
  return {
    path,
    packets: options.packets,
    bytes,
    synPackets,
    synAckPackets,
    server: "192.168.0.1",
    heavy,
    synBytes: synPackets * SMALL_FRAME,
    synAckBytes: synAcks * SMALL_FRAME,
    firstTs: startSec,
    lastTs: startSec + Math.floor(lastNs / 1000) / 1e6,
  };
}

/** The group whose next answer is due at packet `i` (the earliest due first), or -1. */
function dueAnswer(queues: Pending[][], heads: number[], i: number): number {
  let best = -1;
  for (let g = 0; g < queues.length; g++) {
    const p = queues[g][heads[g]];
    if (p && p.due <= i && (best < 0 || p.due < queues[best][heads[best]].due)) best = g;
  }
  return best;
}

if (import.meta.main) {
  const [path = "/tmp/flood.pcap", count = "3000000"] = Deno.args;
  const c = generateFlood(path, { packets: Number(count) });
  console.log(`${c.path}: ${c.packets} packets, ${c.synPackets} SYNs, ${c.bytes} bytes`);
}
