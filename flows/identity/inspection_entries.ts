// The payload inspector's per-flow state: a fixed pool of entries, handed out in ring order.
//
// Only a flow being inspected needs state, and only for its first few payload packets. Arrays
// indexed by the engine's flow slot cost about 20 bytes for every flow the engine holds (and
// grew to the highest slot ever inspected); this pool costs that per entry, for as many flows
// as are inspected at once, allocated once. A flow record points at its entry with 16 bits
// (flow_store.ts H_INSPECT), so entries number at most MAX_ENTRIES.
//
// Entries are taken in ring order. When the pool is full, the next flow takes the entry that was
// taken longest ago, and the flow holding it stops being inspected (counted as retired): a flood
// of flows that never finish their handshake cannot starve new flows of names. A flow keeps its
// entry for at least `capacity` later acquisitions: at 100,000 new flows with payload a second,
// over half a second, many round trips of a handshake.

import { Protocol } from "../../capture/payload/app_protocol.ts";
import { NO_APP } from "./app_rules.ts";
import { type NameTable, NO_NAME } from "./name_table.ts";
import { NameSource } from "./passive_dns.ts";
import type { ReassemblyPool } from "./reassembly_pool.ts";
import { StreamKind } from "./stream_readers.ts";

/** Entries a pool may have: a record's 16-bit field holds 0, 1 + entry, or 0xFFFF. */
export const MAX_ENTRIES = 0xfffe;

/** Values of `state`. */
export const EntryState = { Free: 0, Inspecting: 1, Done: 2 } as const;

/** Bits of `bits`: what the inspector has learned of the flow. */
export const EntryBit = {
  /** `base` holds the client stream's first sequence number. */
  HaveBase: 1,
  NameSet: 2,
  /** The server answered the handshake that carried the name. */
  Confirmed: 4,
  /** The flow's first sender is the server: the hello came from the engine's "server" side. */
  Reversed: 8,
  RoleKnown: 16,
  /** A response (DNS) was read: a DNS flow is then done. */
  Answered: 32,
  /** The base sequence number is certain (from the SYN or after a PROXY header). */
  BaseFixed: 64,
} as const;

/**
 * Per-flow inspection state, one element per entry (struct of arrays), and what an entry holds
 * while its flow keeps it: a reference on its name and, for a handshake that spans packets, a
 * reassembly buffer.
 */
export class InspectionEntries {
  readonly capacity: number;
  /** An EntryState. */
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
  /** Flows that stopped being inspected because their entry was needed for a newer flow. */
  retired = 0;
  /** The flow acquire() took its entry from (it stops being inspected), or -1. */
  retiredOwner = -1;
  readonly #names: NameTable;
  readonly #pool: ReassemblyPool;
  /** Ring position of the next entry to hand out. */
  #next = 0;

  constructor(capacity: number, names: NameTable, pool: ReassemblyPool) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_ENTRIES) {
      throw new RangeError(
        `Inspection entries must be a whole number from 1 to ${MAX_ENTRIES}, got ${capacity}`,
      );
    }
    this.capacity = capacity;
    this.#names = names;
    this.#pool = pool;
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

  /** Bytes the entries take: six 8-bit, one 16-bit and four 32-bit arrays, `dcid`'s references. */
  get allocatedBytes(): number {
    return this.capacity * (6 + 2 + 4 * 4 + 8);
  }

  /**
   * A fresh entry for the flow `owner` (the engine's slot): the one taken longest ago. When that
   * one was still held, its flow is retired: its state goes, and retiredOwner names it (-1 when
   * nobody lost an entry), so the caller can mark that flow as done.
   */
  acquire(owner: number): number {
    const entry = this.#next;
    this.#next = entry + 1 === this.capacity ? 0 : entry + 1;
    this.retiredOwner = this.owner[entry];
    if (this.retiredOwner >= 0) {
      this.retired++;
      this.release(entry);
    }
    this.reset(entry);
    this.owner[entry] = owner;
    return entry;
  }

  /** Frees `entry` (its flow is done or ended): its name reference and buffer go back. */
  release(entry: number): void {
    this.owner[entry] = -1;
    if (this.state[entry] === EntryState.Free) return;
    this.#names.release(this.name[entry]);
    this.stop(entry);
    this.reset(entry);
    this.state[entry] = EntryState.Free;
  }

  /** Starts `entry` afresh, inspecting (it holds nothing). */
  reset(entry: number): void {
    this.state[entry] = EntryState.Inspecting;
    this.kind[entry] = StreamKind.None;
    this.protocol[entry] = Protocol.Unknown;
    this.source[entry] = NameSource.None;
    this.bits[entry] = 0;
    this.packets[entry] = 0;
    this.app[entry] = NO_APP;
    this.name[entry] = NO_NAME;
    this.buffer[entry] = -1;
    this.base[entry] = 0;
  }

  /** Nothing more to look at: the buffer and connection ID go; the name stays until release. */
  stop(entry: number): void {
    this.state[entry] = EntryState.Done;
    this.freeBuffer(entry);
    this.dcid[entry] = undefined;
  }

  /** Gives the entry's reassembly buffer back, if it holds one. */
  freeBuffer(entry: number): void {
    if (this.buffer[entry] >= 0) this.#pool.release(this.buffer[entry]);
    this.buffer[entry] = -1;
  }

  /** Records which side sent the hello (the first time only). */
  setRole(entry: number, fromClient: boolean): void {
    if ((this.bits[entry] & EntryBit.RoleKnown) !== 0) return;
    this.bits[entry] |= fromClient ? EntryBit.RoleKnown : EntryBit.RoleKnown | EntryBit.Reversed;
  }

  /** True when a packet in direction `fromClient` comes from the side that sent the hello. */
  isClient(entry: number, fromClient: boolean): boolean {
    return fromClient !== ((this.bits[entry] & EntryBit.Reversed) !== 0);
  }
}
