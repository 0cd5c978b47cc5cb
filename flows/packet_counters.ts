// Running totals of decoded packets by class: what a report or /stats shows at the top.

import { Flag, IpProto, type PacketBatch, PacketKind } from "../capture/packet_batch.ts";

/** Totals since the counters were created. Classes follow the outermost IP header. */
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
  /** Timestamp of the first packet counted, as [seconds, nanoseconds]; -1 before any. */
  firstSec = -1;
  firstNsec = 0;
  lastSec = -1;
  lastNsec = 0;

  /** Adds every packet of `batch`. */
  add(batch: PacketBatch): void {
    const n = batch.count;
    if (n === 0) return;
    const { kind, flags, proto, wireLen } = batch;
    for (let i = 0; i < n; i++) {
      this.bytes += wireLen[i];
      const f = flags[i];
      if (f & Flag.Malformed) this.malformed++;
      if (f & Flag.Truncated) this.truncated++;
      switch (kind[i]) {
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
        const p = proto[i];
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
