// The flat per-packet summary that crosses from capture to flows, as a struct of typed arrays.

/** What the outermost decodable layer of a packet was. */
export const PacketKind = {
  /** A link-layer frame that carries something other than IP (ARP, LLDP, ...). */
  NonIp: 0,
  Ipv4: 1,
  Ipv6: 2,
  /** A link type Netwatch has no decoder for; counted, never an error. */
  Undecoded: 3,
  /** The link or IP header could not be decoded: see `Flag.Truncated` and `Flag.Malformed`. */
  Invalid: 4,
} as const;

/** Bits of `PacketBatch.flags`. */
export const Flag = {
  /** IPv4 MF set or offset > 0, or an IPv6 fragment header. */
  Fragment: 1,
  /** A fragment with offset > 0: it carries no L4 header. */
  NonFirstFragment: 2,
  /** `srcPort`/`dstPort` are valid: TCP/UDP ports, or ICMP type/code. */
  Ports: 4,
  /** Some header was cut short by the capture length. */
  Truncated: 8,
  /** Some header had inconsistent fields (bad version, length below minimum, ...). */
  Malformed: 16,
  /** The frame had at least one 802.1Q/802.1ad tag; `vlan` holds the outermost id. */
  Vlan: 32,
  /** `proto` is the transport protocol (after IPv6 extension headers). */
  L4: 64,
} as const;

/** Transport protocol numbers the engine treats specially. */
export const IpProto = { Icmp: 1, Tcp: 6, Udp: 17, Icmpv6: 58 } as const;

/**
 * A fixed-capacity batch of decoded packets. Each field is one typed array with one slot per
 * packet (addresses take four 32-bit words: IPv4 uses word 0 only). All arrays are views on a
 * single ArrayBuffer so a batch can be transferred between threads in one message.
 */
export class PacketBatch {
  readonly capacity: number;
  readonly buffer: ArrayBuffer;
  count = 0;
  /** Seconds since the epoch, from the capture's record header. */
  readonly tsSec: Uint32Array;
  /** Nanoseconds within the second. */
  readonly tsNsec: Uint32Array;
  /** Original length on the wire, in bytes. */
  readonly wireLen: Uint32Array;
  readonly src: Uint32Array;
  readonly dst: Uint32Array;
  readonly srcPort: Uint16Array;
  readonly dstPort: Uint16Array;
  readonly vlan: Uint16Array;
  /** One of `PacketKind`. */
  readonly kind: Uint8Array;
  /** IP protocol number; meaningful when `Flag.L4` is set. */
  readonly proto: Uint8Array;
  /** `Flag` bits. */
  readonly flags: Uint8Array;
  /** TCP flags byte (CWR..FIN). */
  readonly tcpFlags: Uint8Array;

  constructor(capacity: number, buffer?: ArrayBuffer) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`PacketBatch capacity must be a positive integer, got ${capacity}`);
    }
    const bytes = PacketBatch.byteLength(capacity);
    if (buffer && buffer.byteLength !== bytes) {
      throw new RangeError(`PacketBatch buffer must be ${bytes} bytes, got ${buffer.byteLength}`);
    }
    this.capacity = capacity;
    this.buffer = buffer ?? new ArrayBuffer(bytes);
    let at = 0;
    const u32 = (n: number) => {
      const a = new Uint32Array(this.buffer, at, n);
      at += n * 4;
      return a;
    };
    const u16 = (n: number) => {
      const a = new Uint16Array(this.buffer, at, n);
      at += n * 2;
      return a;
    };
    const u8 = (n: number) => {
      const a = new Uint8Array(this.buffer, at, n);
      at += n;
      return a;
    };
    this.tsSec = u32(capacity);
    this.tsNsec = u32(capacity);
    this.wireLen = u32(capacity);
    this.src = u32(capacity * 4);
    this.dst = u32(capacity * 4);
    this.srcPort = u16(capacity);
    this.dstPort = u16(capacity);
    this.vlan = u16(capacity);
    this.kind = u8(capacity);
    this.proto = u8(capacity);
    this.flags = u8(capacity);
    this.tcpFlags = u8(capacity);
  }

  /** Bytes of backing store needed for `capacity` packets (54 per packet; every array stays aligned). */
  static byteLength(capacity: number): number {
    return capacity * (4 * 3 + 16 * 2 + 2 * 3 + 4);
  }

  /** Packet `i`'s timestamp in seconds, as a float (sub-microsecond digits are rounded). */
  timestamp(i: number): number {
    return this.tsSec[i] + this.tsNsec[i] / 1e9;
  }
}
