// The payload inspector's per-flow state: a fixed pool of entries, handed out in ring order.
//
// Only a flow being inspected needs state, and only for its first few payload packets. Arrays
// indexed by the engine's flow slot cost about 20 bytes for every flow the engine holds (and
// grew to the highest slot ever inspected); this pool costs the same per entry, for as many
// flows as are inspected at once, allocated once. A flow record points at its entry with 16
// bits (flow_store.ts H_INSPECT), so entries number at most MAX_ENTRIES.
//
// Entries are taken in ring order. When the pool is full, the next flow takes the entry that was
// taken longest ago, and the flow holding it stops being inspected (counted as retired): a flood
// of flows that never finish their handshake cannot starve new flows of names, and a flow keeps
// its entry for at least `capacity` acquisitions, far longer than a handshake takes.

/** Entries a pool may have: a record's 16-bit field holds 0, 1 + entry, or 0xFFFF. */
export const MAX_ENTRIES = 0xfffe;

/** Bytes of one entry across the typed arrays (the `dcid` array adds a reference). */
export const ENTRY_BYTES = 6 + 2 + 4 * 4;

/** Per-flow inspection state, one element per entry (struct of arrays). */
export class InspectionEntries {
  readonly capacity: number;
  /** 0: free, 1: inspecting, 2: done (see FlowInspector). */
  readonly state: Uint8Array;
  /** StreamKind of a TCP client stream. */
  readonly kind: Uint8Array;
  /** Payload protocol (a Protocol value). */
  readonly protocol: Uint8Array;
  /** Where the name came from (a NameSource value). */
  readonly source: Uint8Array;
  /** The inspector's flags of the flow. */
  readonly bits: Uint8Array;
  /** Payload packets looked at. */
  readonly packets: Uint8Array;
  readonly app: Uint16Array;
  /** Interned name id; the entry holds a reference on it until it is released. */
  readonly name: Uint32Array;
  /** Reassembly buffer held, or -1. */
  readonly buffer: Int32Array;
  /** TCP: the sequence number of the client stream's first byte. */
  readonly base: Uint32Array;
  /** The flow (engine slot) holding the entry, or -1 when it is free. */
  readonly owner: Int32Array;
  /** QUIC: the first Initial's destination connection ID, whose keys later Initials keep. */
  readonly dcid: (Uint8Array | undefined)[];
  /** Ring position of the next entry to hand out. */
  #next = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_ENTRIES) {
      throw new RangeError(
        `Inspection entries must be a whole number from 1 to ${MAX_ENTRIES}, got ${capacity}`,
      );
    }
    this.capacity = capacity;
    this.state = new Uint8Array(capacity);
    this.kind = new Uint8Array(capacity);
    this.protocol = new Uint8Array(capacity);
    this.source = new Uint8Array(capacity);
    this.bits = new Uint8Array(capacity);
    this.packets = new Uint8Array(capacity);
    this.app = new Uint16Array(capacity);
    this.name = new Uint32Array(capacity);
    this.buffer = new Int32Array(capacity).fill(-1);
    this.base = new Uint32Array(capacity);
    this.owner = new Int32Array(capacity).fill(-1);
    this.dcid = new Array(capacity).fill(undefined);
  }

  /** The entry to hand out next: the one taken longest ago (it may still be held). */
  next(): number {
    const entry = this.#next;
    this.#next = entry + 1 === this.capacity ? 0 : entry + 1;
    return entry;
  }
}
