// Running totals of decoded packets by class: what a report or /stats shows at the top.

import { Flag, IpProto, type PacketBatch, PacketKind } from "../capture/packet_batch.ts";

/**
 * Totals since the counters were created. Classes (ipv4 ... nonFirstFragments) follow the
 * outermost IP header, as tshark counts frames: a GRE packet is IPv4 and other L4 however much
 * TCP it carries. Flows, on the other hand, are keyed by the innermost header (PacketBatch).
 * `malformed` and `truncated` count a packet when any header decoded was.
 */
export class PacketCounters {
  packets = 0;
  /** Sum of original wire lengths. */
  bytes = 0;
  nonIp = 0;
  ipv4 = 0;
  ipv6 = 0;
  /** Frames of a link type Netwatch does not decode. */
  undecoded = 0;
  tcp = 0;
  udp = 0;
  /** ICMP and ICMPv6. */
  icmp = 0;
  otherL4 = 0;
  /** Fragments with offset > 0: they carry no transport header, so no tcp/udp/icmp/other. */
  nonFirstFragments = 0;
  malformed = 0;
  truncated = 0;
  /** Packets taken out of a tunnel (their flows are keyed by what they carry). */
  tunnelled = 0;
  /** Tunnelled packets by TunnelKind (index). */
  readonly byTunnel = new Float64Array(16);
  /** Packets nested in more tunnels than the decoder removes (Flag.TunnelLimit). */
  tunnelsTooDeep = 0;
  /** Timestamp of the first packet counted, as [seconds, nanoseconds]; -1 before any. */
  firstSec = -1;
  firstNsec = 0;
  lastSec = -1;
  lastNsec = 0;

  /** Adds every packet of `batch`. */
  add(batch: PacketBatch): void {
    const n = batch.count;
    if (n === 0) return;
    const { kind, flags, proto, wireLen, tunnel, outerKind, outerFlags, outerProto } = batch;
    for (let i = 0; i < n; i++) {
      this.bytes += wireLen[i];
      const inner = flags[i];
      const t = tunnel[i];
      const anyHeader = t === 0 ? inner : inner | outerFlags[i];
      if (anyHeader & Flag.Malformed) this.malformed++;
      if (anyHeader & Flag.Truncated) this.truncated++;
      if (inner & Flag.TunnelLimit) this.tunnelsTooDeep++;
      // The class is the outermost IP header's: the outer fields when a tunnel was removed.
      let f = inner;
      let k = kind[i];
      let p = proto[i];
      if (t !== 0) {
        this.tunnelled++;
        this.byTunnel[t & 15]++;
        f = outerFlags[i];
        k = outerKind[i];
        p = outerProto[i];
      }
      switch (k) {
        case PacketKind.NonIp:
          this.nonIp++;
          continue;
        case PacketKind.Ipv4:
          this.ipv4++;
          break;
        case PacketKind.Ipv6:
          this.ipv6++;
          break;
        case PacketKind.Undecoded:
          this.undecoded++;
          continue;
        default:
          continue;
      }
      if (f & Flag.NonFirstFragment) {
        this.nonFirstFragments++;
      } else if (f & Flag.L4) {
        if (p === IpProto.Tcp) this.tcp++;
        else if (p === IpProto.Udp) this.udp++;
        else if (p === IpProto.Icmp || p === IpProto.Icmpv6) this.icmp++;
        else this.otherL4++;
      }
    }
    this.packets += n;
    if (this.firstSec < 0) {
      this.firstSec = batch.tsSec[0];
      this.firstNsec = batch.tsNsec[0];
    }
    this.lastSec = batch.tsSec[n - 1];
    this.lastNsec = batch.tsNsec[n - 1];
  }
}
