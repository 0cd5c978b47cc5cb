// Flow records laid out one per flow: a fixed-size record in one buffer, read through typed views.
//
// A packet updates one flow, and everything it touches sits in that flow's record: the key
// (compared on lookup), counters, times, TCP flags and state. In the old struct-of-arrays store
// those were fourteen arrays, so a flow's first packet, its eviction and its copy into the
// history cost a cache miss per field; here they cost one or two.
//
// Ended records (the history) use the first HISTORY_WORDS words of the same layout; active
// records add the per-second accounting and the current-rate buckets after them. So every
// reader (queries, filters, output records) reads both through the same offsets and a stride.
//
// Word offsets are into `u32` (record base r = slot * stride); float64 fields are at f64 index
// (r >> 1) + F_*, float32 at r + F32_*, bytes at (r << 2) + B_*, uint16 at (r << 1) + H_*.

/** Bits of the W_META word above the protocol (bits 0-7) and VLAN id (bits 8-23). */
export const MetaBit = {
  /** Addresses are IPv6 (four words each); otherwise IPv4 in word 0. */
  V6: 1 << 24,
  /** The frame had an 802.1Q tag; the VLAN id is in bits 8-23. */
  Vlan: 1 << 25,
  /**
   * The protocol has ports but this flow's packets carried none: non-first IP fragments, or a
   * transport header cut short. Such packets form their own flow with ports 0, never mixed into
   * a TCP/UDP 5-tuple flow.
   */
  NoPorts: 1 << 26,
  /**
   * An aggregate of one-packet flows to one server (flow_engine.ts folds them when the embryo
   * ring is full): the client address and port are zero, and each packet was its own flow.
   */
  Aggregate: 1 << 27,
} as const;

/** Protocol, VLAN and MetaBit flags. Part of the key. */
export const W_META = 0;
/** Eight words: address A (1-4), address B (5-8); IPv4 in the first word. Part of the key. */
export const W_ADDR = 1;
/** Port A << 16 | port B; ICMP: type << 16 | code (not per end). Part of the key. */
export const W_PORTS = 9;
/** Packets sent by end A, by end B (32-bit: the active timeout ends a record long before). */
export const W_PKTS_AB = 10;
export const W_PKTS_BA = 11;
/** float64 index within the record: bytes sent by end A, by end B. */
export const F_BYTES_AB = 6;
export const F_BYTES_BA = 7;
/** float64: epoch seconds of the first and last packet. */
export const F_FIRST = 8;
export const F_LAST = 9;
/** float64: record id, unique over the engine's life (a float so it never wraps). */
export const F_ID = 10;
/** Bytes of word 22: TCP flags OR'd over end A's and end B's packets, FlowBit, service index. */
export const B_TCP_A = 88;
export const B_TCP_B = 89;
export const B_BITS = 90;
export const B_SERVICE = 91;
/** Interned name id (0: none): the server name the client asked for, or one learned for it. */
export const W_NAME = 23;
/** uint16 index within the record: application id (0: unknown). */
export const H_APP = 48;
/**
 * uint16: the flow's payload inspection (identity/record_inspect.ts). 0: not started (no payload
 * seen yet), INSPECT_DONE: nothing more to look at, otherwise 1 + the inspector entry holding its
 * state. The inspector keeps state only for flows being inspected, so nothing of it is per slot.
 */
export const H_INSPECT = 49;
/** H_INSPECT of a flow whose inspection is over (or never applies). */
export const INSPECT_DONE = 0xffff;
/** uint16: 1 + the flow's entry in the engine's pending list (active records only). */
export const H_PENDING = 50;
/** Why the record ended (EndReason); active records: 255. */
export const B_REASON = 102;
/** TunnelKind of the outermost tunnel the flow's packets came through (0: none). */
export const B_TUNNEL = 103;
/** Words of an ended record. */
export const HISTORY_WORDS = 26;
/** Active records: the epoch second the rate buckets were last written. */
export const W_RATE_SECOND = 26;
/** float32 index within the record: bytes in each of the last RATE_BUCKETS seconds, by second. */
export const F32_RATE = 27;
/** Seconds of per-flow rate kept (the current rate averages the finished ones). */
export const RATE_BUCKETS = 3;
/** Words of an active record. */
export const ACTIVE_WORDS = 30;

/**
 * Records of `stride` words each, `capacity` of them, in one buffer. The buffer is allocated
 * for `capacity` at once: the OS commits pages only as records are first written, so memory
 * follows use without a growth copy.
 */
export class FlowStore {
  readonly capacity: number;
  /** Words per record: ACTIVE_WORDS or HISTORY_WORDS. */
  readonly stride: number;
  readonly u32: Uint32Array;
  readonly f64: Float64Array;
  readonly f32: Float32Array;
  readonly u16: Uint16Array;
  readonly u8: Uint8Array;

  constructor(capacity: number, stride: number) {
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw new RangeError(`FlowStore capacity must be a whole number, got ${capacity}`);
    }
    if (stride !== ACTIVE_WORDS && stride !== HISTORY_WORDS) {
      throw new RangeError(`FlowStore stride must be ${ACTIVE_WORDS} or ${HISTORY_WORDS}`);
    }
    this.capacity = capacity;
    this.stride = stride;
    const buffer = new ArrayBuffer(capacity * stride * 4);
    this.u32 = new Uint32Array(buffer);
    this.f64 = new Float64Array(buffer);
    this.f32 = new Float32Array(buffer);
    this.u16 = new Uint16Array(buffer);
    this.u8 = new Uint8Array(buffer);
  }

  /** Bytes per record of a store of `stride` words. */
  static bytesPerRecord(stride: number): number {
    return stride * 4;
  }

  /** Copies the ended-record part of slot `from` of `source` into slot `to` of this store. */
  copyFrom(source: FlowStore, from: number, to: number): void {
    const src = source.u32;
    const dst = this.u32;
    const a = from * source.stride;
    const b = to * this.stride;
    for (let w = 0; w < HISTORY_WORDS; w++) dst[b + w] = src[a + w];
  }

  // Readers for code off the packet path (queries, output). The packet path indexes directly.

  meta(s: number): number {
    return this.u32[s * this.stride + W_META];
  }

  ports(s: number): number {
    return this.u32[s * this.stride + W_PORTS];
  }

  pktsAB(s: number): number {
    return this.u32[s * this.stride + W_PKTS_AB];
  }

  pktsBA(s: number): number {
    return this.u32[s * this.stride + W_PKTS_BA];
  }

  bytesAB(s: number): number {
    return this.f64[((s * this.stride) >> 1) + F_BYTES_AB];
  }

  bytesBA(s: number): number {
    return this.f64[((s * this.stride) >> 1) + F_BYTES_BA];
  }

  first(s: number): number {
    return this.f64[((s * this.stride) >> 1) + F_FIRST];
  }

  last(s: number): number {
    return this.f64[((s * this.stride) >> 1) + F_LAST];
  }

  id(s: number): number {
    return this.f64[((s * this.stride) >> 1) + F_ID];
  }

  tcpA(s: number): number {
    return this.u8[s * this.stride * 4 + B_TCP_A];
  }

  tcpB(s: number): number {
    return this.u8[s * this.stride * 4 + B_TCP_B];
  }

  bits(s: number): number {
    return this.u8[s * this.stride * 4 + B_BITS];
  }

  service(s: number): number {
    return this.u8[s * this.stride * 4 + B_SERVICE];
  }

  name(s: number): number {
    return this.u32[s * this.stride + W_NAME];
  }

  app(s: number): number {
    return this.u16[s * this.stride * 2 + H_APP];
  }

  tunnel(s: number): number {
    return this.u8[s * this.stride * 4 + B_TUNNEL];
  }

  reason(s: number): number {
    return this.u8[s * this.stride * 4 + B_REASON];
  }

  /** Word `w` (0-7) of the addresses: A is words 0-3, B words 4-7. */
  addr(s: number, w: number): number {
    return this.u32[s * this.stride + W_ADDR + w];
  }
}
