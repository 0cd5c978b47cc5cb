// The flat per-packet summary that crosses from capture to flows, as a struct of typed arrays.

/** What the decodable network layer of a packet was (the innermost one, past any tunnel). */
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

/** Bits of `PacketBatch.flags` (and of `outerFlags`). */
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
  /**
   * More tunnels were nested than the decoder removes (MAX_TUNNELS in decode_link.ts): the
   * packet is described by the innermost header it reached, itself a tunnel.
   */
  TunnelLimit: 128,
} as const;

/** Transport protocol numbers the engine treats specially. */
export const IpProto = { Icmp: 1, Tcp: 6, Udp: 17, Icmpv6: 58 } as const;

/** The outermost tunnel a packet was taken out of (`PacketBatch.tunnel`). */
export const TunnelKind = {
  None: 0,
  /** VXLAN, UDP 4789 (and 8472, Linux's old default): an Ethernet frame inside. */
  Vxlan: 1,
  /** Geneve, UDP 6081. */
  Geneve: 2,
  /** GRE (IP protocol 47): IP, Ethernet (transparent bridging), PPP (PPTP), MPLS, ERSPAN. */
  Gre: 3,
  /** IPv4 in IPv4 (protocol 4). */
  IpIp: 4,
  /** IPv6 in IPv4 (protocol 41). */
  Ip6in4: 5,
  /** IPv4 in IPv6 (next header 4). */
  Ip4in6: 6,
  /** IPv6 in IPv6 (next header 41). */
  Ip6in6: 7,
  /** GTP-U, UDP 2152: mobile user plane. */
  GtpU: 8,
  /** Teredo, UDP 3544: IPv6 in UDP. */
  Teredo: 9,
  /** CAPWAP data channel, UDP 5247: Ethernet or 802.11 frames from access points. */
  Capwap: 10,
} as const;

const TUNNEL_NAMES = [
  "",
  "vxlan",
  "geneve",
  "gre",
  "ipip",
  "6in4",
  "4in6",
  "6in6",
  "gtp-u",
  "teredo",
  "capwap",
];

/** Name of a `TunnelKind` for output ("vxlan", "gtp-u", ...); "" for None or an unknown value. */
export function tunnelName(kind: number): string {
  return TUNNEL_NAMES[kind] ?? "";
}

/**
 * Packets a batch holds in the read loops (files, live capture, the engine worker): large enough
 * that per-batch costs vanish, small enough that a batch's columns stay in cache.
 */
export const BATCH_CAPACITY = 4096;

/** An empty `raw`: what a batch holds until a reader fills it, and after a transfer. */
const NO_BYTES = new Uint8Array(0);

/**
 * A fixed-capacity batch of decoded packets. Each field is one typed array with one slot per
 * packet (addresses take four 32-bit words: IPv4 uses word 0 only). All arrays are views on a
 * single ArrayBuffer so a batch can be transferred between threads in one message.
 *
 * `kind`, `src`, `dst`, `proto`, ports, `flags` and `tcpFlags` describe the innermost IP and
 * transport header: a tunnelled packet (`tunnel` not None) is described by what it carries, as
 * nDPI and Zeek key flows. `outerKind`, `outerProto` and `outerFlags` keep the outermost IP
 * header's class for per-packet counts; they are set only when `tunnel` is not None (when it is
 * None, the outermost header is the one `kind`, `proto` and `flags` describe, and the outer
 * fields hold whatever an earlier packet left: they are not cleared, to save the stores).
 */
export class PacketBatch {
  readonly capacity: number;
  readonly buffer: ArrayBuffer;
  count = 0;
  /**
   * The bytes `payloadOffset` points into, set by the reader on each read(). Valid for packets
   * `rawStart` to `count - 1` until the reader's next read(): readers reuse this memory, as
   * gopacket's ZeroCopyReadPacketData does. Copy what must outlive that. Not part of `buffer`:
   * a batch transferred to another thread arrives with `raw` empty.
   */
  raw: Uint8Array = NO_BYTES;
  /**
   * The first packet whose payload is in `raw`. A batch filled by several reads may hold
   * packets from before the reader reused its memory: their payload bytes are gone, and
   * rawStart is past them. 0 when every packet's payload is there (one read, or a reader that
   * did not reuse memory while the batch filled).
   */
  rawStart = 0;
  /**
   * Seconds since the epoch, from the capture's record header. A float64 holds whole seconds
   * exactly far past 2106, where pcapng's 64-bit timestamps go and 32-bit fields wrap.
   */
  readonly tsSec: Float64Array;
  /** Nanoseconds within the second. */
  readonly tsNsec: Uint32Array;
  /** Original length on the wire, in bytes. */
  readonly wireLen: Uint32Array;
  readonly src: Uint32Array;
  readonly dst: Uint32Array;
  /**
   * Offset in `raw` of the innermost transport payload: the bytes after the TCP header and its
   * options, or after the UDP header. 0 when there is none (`payloadLength` 0).
   */
  readonly payloadOffset: Uint32Array;
  /** TCP sequence number (bytes 4-7 of the header), when the header had them; else 0. */
  readonly tcpSeq: Uint32Array;
  readonly srcPort: Uint16Array;
  readonly dstPort: Uint16Array;
  readonly vlan: Uint16Array;
  /**
   * Payload bytes present at `payloadOffset`: bounded by the captured length and by the IP and
   * UDP declared lengths (so Ethernet padding never counts), at most 65535.
   */
  readonly payloadLength: Uint16Array;
  /** One of `PacketKind`. */
  readonly kind: Uint8Array;
  /** IP protocol number; meaningful when `Flag.L4` or `Flag.NonFirstFragment` is set. */
  readonly proto: Uint8Array;
  /** `Flag` bits. */
  readonly flags: Uint8Array;
  /** TCP flags byte (CWR..FIN). */
  readonly tcpFlags: Uint8Array;
  /** One of `TunnelKind`: the outermost tunnel removed, None when the packet was not in one. */
  readonly tunnel: Uint8Array;
  /** With a tunnel (else undefined content): `PacketKind` of the outermost IP header. */
  readonly outerKind: Uint8Array;
  /** With a tunnel: protocol of the outermost IP header (17 for UDP tunnels, 47 for GRE, ...). */
  readonly outerProto: Uint8Array;
  /** With a tunnel: `Flag` bits of the outermost IP header (fragments, VLAN, L4, ports). */
  readonly outerFlags: Uint8Array;

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
    // Widest first, so every view starts aligned to its element size.
    let at = 0;
    const f64 = (n: number) => {
      const a = new Float64Array(this.buffer, at, n);
      at += n * 8;
      return a;
    };
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
    this.tsSec = f64(capacity);
    this.tsNsec = u32(capacity);
    this.wireLen = u32(capacity);
    this.src = u32(capacity * 4);
    this.dst = u32(capacity * 4);
    this.payloadOffset = u32(capacity);
    this.tcpSeq = u32(capacity);
    this.srcPort = u16(capacity);
    this.dstPort = u16(capacity);
    this.vlan = u16(capacity);
    this.payloadLength = u16(capacity);
    this.kind = u8(capacity);
    this.proto = u8(capacity);
    this.flags = u8(capacity);
    this.tcpFlags = u8(capacity);
    this.tunnel = u8(capacity);
    this.outerKind = u8(capacity);
    this.outerProto = u8(capacity);
    this.outerFlags = u8(capacity);
  }

  /** Bytes of backing store needed for `capacity` packets (72 per packet). */
  static byteLength(capacity: number): number {
    return capacity * (8 + 4 * 4 + 16 * 2 + 2 * 4 + 8);
  }

  /** Packet `i`'s timestamp in seconds, as a float (sub-microsecond digits are rounded). */
  timestamp(i: number): number {
    return this.tsSec[i] + this.tsNsec[i] / 1e9;
  }
}

/**
 * Points `batch.raw` at `bytes`, which the packets about to be decoded will point into;
 * `reused` says the reader has overwritten what the batch's earlier packets pointed at.
 */
export function pointRaw(batch: PacketBatch, bytes: Uint8Array, reused: boolean): void {
  if (batch.count === 0) batch.rawStart = 0;
  else if (reused || batch.raw !== bytes) batch.rawStart = batch.count;
  batch.raw = bytes;
}

/** Copies packet `i` of `from` to slot `j` of `to` (every field; payload offsets as they are). */
export function copySlot(from: PacketBatch, i: number, to: PacketBatch, j: number): void {
  to.tsSec[j] = from.tsSec[i];
  to.tsNsec[j] = from.tsNsec[i];
  to.wireLen[j] = from.wireLen[i];
  to.src.set(from.src.subarray(i * 4, i * 4 + 4), j * 4);
  to.dst.set(from.dst.subarray(i * 4, i * 4 + 4), j * 4);
  to.payloadOffset[j] = from.payloadOffset[i];
  to.tcpSeq[j] = from.tcpSeq[i];
  to.srcPort[j] = from.srcPort[i];
  to.dstPort[j] = from.dstPort[i];
  to.vlan[j] = from.vlan[i];
  to.payloadLength[j] = from.payloadLength[i];
  to.kind[j] = from.kind[i];
  to.proto[j] = from.proto[i];
  to.flags[j] = from.flags[i];
  to.tcpFlags[j] = from.tcpFlags[i];
  to.tunnel[j] = from.tunnel[i];
  to.outerKind[j] = from.outerKind[i];
  to.outerProto[j] = from.outerProto[i];
  to.outerFlags[j] = from.outerFlags[i];
}

/** Resets the decoded fields of slot `i`, which the decoders only ever set or OR into. */
export function clearSlot(batch: PacketBatch, i: number): void {
  const base = i << 2;
  batch.src[base] = 0;
  batch.src[base + 1] = 0;
  batch.src[base + 2] = 0;
  batch.src[base + 3] = 0;
  batch.dst[base] = 0;
  batch.dst[base + 1] = 0;
  batch.dst[base + 2] = 0;
  batch.dst[base + 3] = 0;
  batch.payloadOffset[i] = 0;
  batch.tcpSeq[i] = 0;
  batch.srcPort[i] = 0;
  batch.dstPort[i] = 0;
  batch.vlan[i] = 0;
  batch.payloadLength[i] = 0;
  batch.kind[i] = 0;
  batch.proto[i] = 0;
  batch.flags[i] = 0;
  batch.tcpFlags[i] = 0;
  batch.tunnel[i] = 0;
  // outerKind, outerProto and outerFlags mean something only with a tunnel, which sets them.
}
