// A capture whose heaviest host changes halfway: host A sends hard for the first half, host B
// (twenty times harder) for the second, each to four receivers so that it alone is on top; a
// trickle from each keeps both known throughout. For the dashboard's "now" tests.
//
// Frames keep only their 42 header bytes (Ethernet, IPv4, UDP) and say their full length on
// the wire, as a capture with a short snap length does.

import { PcapWriter } from "./pcap_file.ts";

/** The capture's layout (addresses, ports, times) for the test's expectations. */
export interface SwitchCapture {
  path: string;
  /** Heavy in the first half. */
  a: string;
  /** Heavy in the second half. */
  b: string;
  /** Seconds of each half. */
  half: number;
  /** A's heavy flows: from port 5001 to port 9000 of 10.0.0.1-4 (ending at the half). */
  heavyPortA: number;
  /** B's heavy flows: from port 5003 to port 9000 of 10.0.0.5-8 (starting at the half). */
  heavyPortB: number;
  receiverOfA: string;
  /** Seconds from the capture's first packet to the last of A's heavy flow to receiverOfA. */
  lastOfA: number;
}

const LINKTYPE_ETHERNET = 1;
const START = 1_700_000_000;

/** 42 bytes: Ethernet, IPv4 (total length for `wireLen`) and UDP headers. */
function header(src: string, dst: string, sport: number, dport: number, wireLen: number) {
  const f = new Uint8Array(42);
  const v = new DataView(f.buffer);
  f.set([0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb], 0);
  v.setUint16(12, 0x0800); // IPv4
  v.setUint8(14, 0x45); // version 4, 20-byte header
  v.setUint16(16, wireLen - 14); // total length
  v.setUint8(22, 64); // TTL
  v.setUint8(23, 17); // UDP
  f.set(src.split(".").map(Number), 26);
  f.set(dst.split(".").map(Number), 30);
  v.setUint16(34, sport);
  v.setUint16(36, dport);
  v.setUint16(38, wireLen - 34); // UDP length
  return f;
}

/** One steady stream of packets: `perSecond` frames of `wireLen` bytes over [from, to) s. */
interface Stream {
  src: string;
  dsts: string[];
  sport: number;
  dport: number;
  wireLen: number;
  perSecond: number;
  from: number;
  to: number;
}

/** Writes the capture to `path` (`half` seconds a half, default 10). */
export function writeSwitchCapture(path: string, half = 10): SwitchCapture {
  const a = "198.51.100.10";
  const b = "198.51.100.20";
  const quiet = "10.0.0.9";
  const streams: Stream[] = [
    // A: 50 x 1250 B/s = 500 kbit/s for the first half, then a trickle.
    {
      src: a,
      dsts: ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"],
      sport: 5001,
      dport: 9000,
      wireLen: 1250,
      perSecond: 50,
      from: 0,
      to: half,
    },
    {
      src: a,
      dsts: [quiet],
      sport: 5002,
      dport: 9000,
      wireLen: 200,
      perSecond: 2,
      from: half,
      to: 2 * half,
    },
    // B: a trickle, then 1000 x 1250 B/s = 10 Mbit/s for the second half.
    {
      src: b,
      dsts: [quiet],
      sport: 5004,
      dport: 9000,
      wireLen: 200,
      perSecond: 2,
      from: 0,
      to: half,
    },
    {
      src: b,
      dsts: ["10.0.0.5", "10.0.0.6", "10.0.0.7", "10.0.0.8"],
      sport: 5003,
      dport: 9000,
      wireLen: 1250,
      perSecond: 1000,
      from: half,
      to: 2 * half,
    },
  ];
  const receiverOfA = "10.0.0.1";
  let lastOfA = 0;
  const packets: { t: number; frame: Uint8Array; wireLen: number }[] = [];
  for (const s of streams) {
    const frames = s.dsts.map((d) => header(s.src, d, s.sport, s.dport, s.wireLen));
    const count = (s.to - s.from) * s.perSecond;
    for (let k = 0; k < count; k++) {
      const t = s.from + k / s.perSecond;
      packets.push({ t, frame: frames[k % frames.length], wireLen: s.wireLen });
      if (s.src === a && s.sport === 5001 && s.dsts[k % s.dsts.length] === receiverOfA) {
        lastOfA = t;
      }
    }
  }
  packets.sort((x, y) => x.t - y.t);
  const writer = new PcapWriter(path, LINKTYPE_ETHERNET, 65535);
  for (const p of packets) {
    const us = Math.round(p.t * 1e6);
    writer.write(START + Math.floor(us / 1e6), us % 1e6, p.frame, p.wireLen);
  }
  writer.close();
  return { path, a, b, half, heavyPortA: 5001, heavyPortB: 5003, receiverOfA, lastOfA };
}
