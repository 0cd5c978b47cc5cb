// tshark as the oracle for the innermost IP and transport header of each frame, and the same
// read from Netwatch's decoder, in one comparable text form per frame.

import { readCaptureFile } from "../../capture/read_file.ts";
import { formatAddress } from "../../capture/ip_address.ts";
import { Flag, PacketKind } from "../../capture/packet_batch.ts";
import { ENDPOINT_FIELDS, tsharkFields } from "../../scripts/tshark_fields.ts";
import { canonicalIp } from "./canonical_ip.ts";

const FIELDS = [
  "frame.len",
  "frame.protocols",
  ...ENDPOINT_FIELDS,
];

/** Layers after which an IP header is a quote (an ICMP error), not a packet being carried. */
const QUOTING = new Set(["icmp", "icmpv6"]);
/** IPv6 extension header layers, skipped on the way to the transport. */
const EXTENSION = /^ipv6\.(hopopts|routing|fraghdr|dstopts)$/;

/**
 * Per frame, what tshark (defragmentation off, so each frame stands alone) shows for the
 * innermost IP header that is carried rather than quoted, and for the TCP or UDP header right
 * after it: "4 10.0.0.1 10.0.0.2 tcp 1234 80", "6 ... other", or "-" with no IP header.
 */
export async function tsharkInnermost(path: string): Promise<string[]> {
  return (await tsharkFrames(path)).map((f) => f.inner);
}

/** tsharkInnermost()'s description of each frame, with the frame's length on the wire. */
export async function tsharkFrames(path: string): Promise<{ inner: string; len: number }[]> {
  const lines = await tsharkFields(path, FIELDS, {
    occurrence: "a",
    aggregator: ",",
    defragment: false,
  });
  return lines.map((line) => {
    const [len, protocols, ip4src, ip4dst, ip6src, ip6dst, tsp, tdp, usp, udp] = line.split("\t");
    const stack = protocols.split(":");
    let at = -1;
    for (let n = 0; n < stack.length && !QUOTING.has(stack[n]); n++) {
      if (stack[n] === "ip" || stack[n] === "ipv6") at = n;
    }
    if (at < 0) return { inner: "-", len: Number(len) };
    const v6 = stack[at] === "ipv6";
    const index = stack.slice(0, at).filter((layer) => layer === stack[at]).length;
    const pick = (values: string, k: number) => values.split(",")[k] ?? "?";
    const src = canonicalIp(pick(v6 ? ip6src : ip4src, index));
    const dst = canonicalIp(pick(v6 ? ip6dst : ip4dst, index));
    let next = at + 1;
    while (next < stack.length && EXTENSION.test(stack[next])) next++;
    const transport = stack[next];
    let tail = "other";
    if (transport === "tcp" || transport === "udp") {
      const k = stack.slice(0, next).filter((layer) => layer === transport).length;
      const [sp, dp] = transport === "tcp" ? [tsp, tdp] : [usp, udp];
      tail = `${transport} ${pick(sp, k)} ${pick(dp, k)}`;
    }
    return { inner: `${v6 ? 6 : 4} ${src} ${dst} ${tail}`, len: Number(len) };
  });
}

/** The same description of every packet of `path`, from Netwatch's reader and decoder. */
export function netwatchInnermost(path: string): { frames: string[]; tunnels: number[] } {
  const frames: string[] = [];
  const tunnels: number[] = [];
  readCaptureFile(path, (batch) => {
    for (let i = 0; i < batch.count; i++) {
      tunnels.push(batch.tunnel[i]);
      const kind = batch.kind[i];
      if (kind !== PacketKind.Ipv4 && kind !== PacketKind.Ipv6) {
        frames.push("-");
        continue;
      }
      const v = kind === PacketKind.Ipv6 ? 6 : 4;
      const src = canonicalIp(formatAddress(v, batch.src, i));
      const dst = canonicalIp(formatAddress(v, batch.dst, i));
      const f = batch.flags[i];
      const proto = batch.proto[i];
      let tail = "other";
      if ((f & Flag.Ports) && !(f & Flag.NonFirstFragment) && (proto === 6 || proto === 17)) {
        tail = `${proto === 6 ? "tcp" : "udp"} ${batch.srcPort[i]} ${batch.dstPort[i]}`;
      }
      frames.push(`${v} ${src} ${dst} ${tail}`);
    }
  });
  return { frames, tunnels };
}
