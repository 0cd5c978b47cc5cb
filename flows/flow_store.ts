// Struct-of-arrays storage for flow records: one typed array per field, one slot per flow.

/** Bits of FlowStore.meta above the protocol (bits 0-7) and VLAN id (bits 8-23). */
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
} as const;

/** Bytes per slot of a FlowStore (the sum of the element sizes of its arrays). */
export const FLOW_STORE_BYTES_PER_SLOT = 4 + 32 + 4 + 4 + 4 + 8 + 8 + 8 + 8 + 1 + 1 + 1 + 1 + 8;

/**
 * Flow records, in key terms: end A is the (address, port) that sorts first, end B the other;
 * `bits & FlowBit.ClientIsB` says which end is the client. Counters are per direction A->B and
 * B->A. Packet counts are 32-bit: the active timeout ends a record long before they could wrap
 * at any realistic rate (4.29e9 packets in 30 minutes is 2.4 Mpps on one flow).
 */
export class FlowStore {
  capacity = 0;
  /** Protocol (bits 0-7), VLAN id (bits 8-23), MetaBit flags. Part of the key. */
  meta = new Uint32Array(0);
  /** Eight words per slot: address A (words 0-3), address B (words 4-7). Part of the key. */
  addr = new Uint32Array(0);
  /** Port A << 16 | port B; ICMP: type << 16 | code (not per end). Part of the key. */
  ports = new Uint32Array(0);
  pktsAB = new Uint32Array(0);
  pktsBA = new Uint32Array(0);
  bytesAB = new Float64Array(0);
  bytesBA = new Float64Array(0);
  /** Epoch seconds of the first and last packet. */
  first = new Float64Array(0);
  last = new Float64Array(0);
  /** TCP flags OR'd over the packets sent by end A, and by end B. */
  tcpA = new Uint8Array(0);
  tcpB = new Uint8Array(0);
  /** FlowBit: orientation and TCP handshake events. */
  bits = new Uint8Array(0);
  /** Index into SERVICE_NAMES. */
  service = new Uint8Array(0);
  /** Record id, unique over the engine's life (a float so it never wraps). */
  id = new Float64Array(0);

  constructor(capacity: number) {
    this.resize(capacity);
  }

  /** Grows (or shrinks) to `capacity` slots, keeping slots below both sizes. */
  resize(capacity: number): void {
    const keep = Math.min(capacity, this.capacity);
    const u32 = (old: Uint32Array, per = 1) => {
      const a = new Uint32Array(capacity * per);
      a.set(old.subarray(0, keep * per));
      return a;
    };
    const f64 = (old: Float64Array) => {
      const a = new Float64Array(capacity);
      a.set(old.subarray(0, keep));
      return a;
    };
    const u8 = (old: Uint8Array) => {
      const a = new Uint8Array(capacity);
      a.set(old.subarray(0, keep));
      return a;
    };
    this.meta = u32(this.meta);
    this.addr = u32(this.addr, 8);
    this.ports = u32(this.ports);
    this.pktsAB = u32(this.pktsAB);
    this.pktsBA = u32(this.pktsBA);
    this.bytesAB = f64(this.bytesAB);
    this.bytesBA = f64(this.bytesBA);
    this.first = f64(this.first);
    this.last = f64(this.last);
    this.tcpA = u8(this.tcpA);
    this.tcpB = u8(this.tcpB);
    this.bits = u8(this.bits);
    this.service = u8(this.service);
    this.id = f64(this.id);
    this.capacity = capacity;
  }

  /** Copies slot `from` of `source` into slot `to` of this store. */
  copyFrom(source: FlowStore, from: number, to: number): void {
    this.meta[to] = source.meta[from];
    const a = from << 3;
    const b = to << 3;
    for (let w = 0; w < 8; w++) this.addr[b + w] = source.addr[a + w];
    this.ports[to] = source.ports[from];
    this.pktsAB[to] = source.pktsAB[from];
    this.pktsBA[to] = source.pktsBA[from];
    this.bytesAB[to] = source.bytesAB[from];
    this.bytesBA[to] = source.bytesBA[from];
    this.first[to] = source.first[from];
    this.last[to] = source.last[from];
    this.tcpA[to] = source.tcpA[from];
    this.tcpB[to] = source.tcpB[from];
    this.bits[to] = source.bits[from];
    this.service[to] = source.service[from];
    this.id[to] = source.id[from];
  }
}
