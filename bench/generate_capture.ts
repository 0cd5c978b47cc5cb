// Writes a synthetic Ethernet capture for benchmarks: many flows, mixed sizes, IPv4 and IPv6.

import { PcapWriter } from "../tests/helpers/pcap_file.ts";
import { mulberry32 } from "../tests/helpers/random.ts";

export interface GenerateOptions {
  packets: number;
  flows: number;
  /** Bytes kept per packet, like a capture taken with a snaplen. */
  snaplen?: number;
  seed?: number;
  /** Packets per second of capture time. */
  rate?: number;
}

export interface GeneratedCapture {
  path: string;
  packets: number;
  bytes: number;
  flows: number;
}

/** IMIX-like frame sizes: many small, some medium, many full-size. */
const SIZES = [64, 64, 64, 64, 64, 64, 64, 576, 576, 576, 576, 1514];

/** Frame headers (Ethernet, IP, TCP/UDP) for both directions of one flow. */
function flowTemplates(rnd: () => number, n: number): Uint8Array[] {
  const ipv6 = rnd() < 0.2;
  const tcp = rnd() < 0.75;
  const l4 = tcp ? 20 : 8;
  const l3 = ipv6 ? 40 : 20;
  const length = 14 + l3 + l4;
  const clientPort = 1024 + Math.floor(rnd() * 60000);
  const serverPort = [443, 80, 53, 22, 8080, 3306][Math.floor(rnd() * 6)];
  const frames: Uint8Array[] = [];
  for (const dir of [0, 1]) {
    const f = new Uint8Array(length);
    const v = new DataView(f.buffer);
    f.set([0x02, 0, 0, 0, 0, dir + 1, 0x02, 0, 0, 0, 0, 2 - dir]);
    v.setUint16(12, ipv6 ? 0x86dd : 0x0800);
    const client = 0x0a000000 + (n % 0xfffff); // 10.x.y.z, one client per flow
    const server = 0xc0a80000 + (n % 251); // 192.168.0.x
    const [src, dst] = dir === 0 ? [client, server] : [server, client];
    if (ipv6) {
      v.setUint32(14, 0x60000000);
      f[20] = tcp ? 6 : 17;
      f[21] = 64;
      v.setUint32(22, 0xfd000000); // fd00::<n>
      v.setUint32(34, src);
      v.setUint32(38, 0xfd000000);
      v.setUint32(50, dst);
    } else {
      f[14] = 0x45;
      f[22] = 64;
      f[23] = tcp ? 6 : 17;
      v.setUint32(26, src);
      v.setUint32(30, dst);
    }
    const p = 14 + l3;
    v.setUint16(p, dir === 0 ? clientPort : serverPort);
    v.setUint16(p + 2, dir === 0 ? serverPort : clientPort);
    if (tcp) {
      f[p + 12] = 0x50;
      f[p + 13] = 0x18; // PSH ACK
    }
    frames.push(f);
  }
  return frames;
}

/** Writes the capture to `path` and returns its totals. */
export function generateCapture(path: string, options: GenerateOptions): GeneratedCapture {
  const rnd = mulberry32(options.seed ?? 1);
  const snaplen = options.snaplen ?? 96;
  const rate = options.rate ?? 100_000;
  const templates: Uint8Array[][] = [];
  for (let n = 0; n < options.flows; n++) templates.push(flowTemplates(rnd, n));
  const writer = new PcapWriter(path, 1, snaplen);
  const scratch = new Uint8Array(1514);
  let bytes = 0;
  for (let i = 0; i < options.packets; i++) {
    // The first packets open every flow once; after that flows are picked at random.
    const flow = templates[i < options.flows ? i : Math.floor(rnd() * options.flows)];
    const dir = i < options.flows ? 0 : rnd() < 0.5 ? 0 : 1;
    const header = flow[dir];
    const wire = Math.max(SIZES[Math.floor(rnd() * SIZES.length)], header.length);
    const frame = scratch.subarray(0, Math.min(wire, snaplen));
    frame.set(header.subarray(0, frame.length));
    const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    // Fix the IP length fields to the wire size.
    if (header[12] === 0x08) v.setUint16(16, wire - 14);
    else v.setUint16(18, wire - 54);
    const usec = Math.floor(i * 1e6 / rate);
    writer.write(1_700_000_000 + Math.floor(usec / 1e6), usec % 1e6, frame, wire);
    bytes += wire;
  }
  writer.close();
  return { path, packets: options.packets, bytes, flows: options.flows };
}
