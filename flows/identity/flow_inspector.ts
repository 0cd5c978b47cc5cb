// Looks at a flow's first payload packets for its name (SNI, QUIC SNI, HTTP Host, DNS query,
// DHCP/NetBIOS host name) and application, then stops. State lives in a fixed pool of entries
// (inspection_entries.ts), one per flow being inspected; handshakes that span packets borrow a
// buffer from a fixed pool too.
//
// The engine takes an entry with acquire() at a flow's first payload packet, calls inspect() for
// each packet while wantsMore(entry), and release() once the flow is done or ends. A done flow,
// and a packet without payload, cost a few array reads and allocate nothing.

import { detectProtocol, Protocol } from "../../capture/payload/app_protocol.ts";
import { parseDnsMessage, parseDnsTcp } from "../../capture/payload/dns_message.ts";
import { proxyHeaderLength } from "../../capture/payload/proxy_protocol.ts";
import { AppMatcher } from "./app_rules.ts";
import { NameTable, NO_NAME } from "./name_table.ts";
import { NameSource, type PassiveDns } from "./passive_dns.ts";
import { ReassemblyPool } from "./reassembly_pool.ts";
import { EntryBit, EntryState, InspectionEntries, MAX_ENTRIES } from "./inspection_entries.ts";
import {
  type Found,
  parseClientStream,
  readFirstWords,
  readQuicDatagram,
  startKind,
  StreamKind,
} from "./stream_readers.ts";
import { readDatagramName } from "./datagram_names.ts";
import { nothingMoreToLearn, selfGiven, serverConfirms, takesName } from "./inspection_rules.ts";

/** Bits of inspect()'s answer. */
export const Inspect = {
  /** The flow's name was found by this call: read nameOf()/nameTextOf(). */
  NameFound: 1,
  /** The protocol or application changed in this call: read protocolOf() and appOf(). */
  AppFound: 2,
  /**
   * The server answered the handshake that carried the name, in this call: the name may now
   * be learned for the server's address (see nameOwnerIsInitiator()).
   */
  Confirmed: 4,
  /** Nothing more to learn: wantsMore() is false from now on. */
  Done: 8,
} as const;

/** Limits of a FlowInspector. */
export interface InspectorOptions {
  /** Flows inspected at once (entries, allocated once). Default MAX_ENTRIES (65,534). */
  entries?: number;
  /** Payload packets looked at per flow, both directions. Default 12. */
  budget?: number;
  /** Reassembly buffers and their size in bytes. Defaults 256 and 8192. */
  buffers?: number;
  bufferBytes?: number;
  /** Interned names shared with the rest of the engine; default a table of 65536. */
  names?: NameTable;
  /** Where DNS answers seen in flows are learned; none by default. */
  passiveDns?: PassiveDns;
  matcher?: AppMatcher;
}

const TCP = 6;
const UDP = 17;
const SYN = 0x02;
const ACK = 0x10;
const { HaveBase, NameSet, Confirmed, Reversed, Answered, BaseFixed } = EntryBit;
/** The address an announced name belongs to, for PassiveDns.learn(); reused, never kept. */
const ownerWords = new Uint32Array(1);

/** Per-flow payload inspection for names and applications. */
export class FlowInspector {
  readonly names: NameTable;
  readonly pool: ReassemblyPool;
  readonly matcher: AppMatcher;
  /** Per-flow state, by entry. */
  readonly entries: InspectionEntries;
  #budget: number;
  #passiveDns?: PassiveDns;
  /** The time of the packet being inspected, for what is learned from it. */
  #now = 0;

  constructor(options: InspectorOptions = {}) {
    this.names = options.names ?? new NameTable(65536);
    this.pool = new ReassemblyPool(options.buffers ?? 256, options.bufferBytes ?? 8192);
    this.matcher = options.matcher ?? new AppMatcher();
    this.#budget = options.budget ?? 12;
    this.#passiveDns = options.passiveDns;
    this.entries = new InspectionEntries(options.entries ?? MAX_ENTRIES, this.names, this.pool);
  }

  /** An entry for the flow `owner` (see InspectionEntries.acquire()): read retiredOwner after. */
  acquire(owner: number): number {
    return this.entries.acquire(owner);
  }

  /** Frees `entry` (its flow is done or ended): its name reference and buffer go back. */
  release(entry: number): void {
    this.entries.release(entry);
  }

  /** Bytes of state allocated, whatever the flows: entries and reassembly buffers. */
  get allocatedBytes(): number {
    return this.entries.allocatedBytes + this.pool.allocatedBytes;
  }

  /** Flows that stopped being inspected because their entry was needed for a newer flow. */
  get retired(): number {
    return this.entries.retired;
  }

  /** The flow the last acquire() retired, or -1. */
  get retiredOwner(): number {
    return this.entries.retiredOwner;
  }

  /**
   * Looks at one packet of the flow in `entry`: `proto` 6 or 17, `fromClient` as the engine
   * keys the flow, ports as on the packet, `tcpSeq`/`tcpFlags` for TCP (0 otherwise), and its
   * payload `bytes[offset, offset + length)`, valid only during this call. Returns Inspect bits.
   */
  inspect(
    entry: number,
    proto: number,
    fromClient: boolean,
    srcPort: number,
    dstPort: number,
    tcpSeq: number,
    tcpFlags: number,
    bytes: Uint8Array,
    offset: number,
    length: number,
    nowSec: number,
  ): number {
    const e = this.entries;
    if (e.state[entry] === EntryState.Done) return Inspect.Done;
    if (e.state[entry] === EntryState.Free) e.reset(entry);
    this.#now = nowSec;
    if (proto !== TCP && proto !== UDP) return this.#finish(entry, 0);
    if (length <= 0) {
      if (proto === TCP && fromClient && (tcpFlags & (SYN | ACK)) === SYN) {
        e.base[entry] = (tcpSeq + 1) >>> 0; // the client's first data byte follows its SYN
        e.bits[entry] |= HaveBase | BaseFixed;
      }
      return 0;
    }
    let out = 0;
    if (e.protocol[entry] === Protocol.Unknown) {
      const p = detectProtocol(proto, bytes, offset, length, srcPort, dstPort);
      if (p !== Protocol.Unknown) {
        e.protocol[entry] = p;
        out |= Inspect.AppFound;
      }
    }
    const found = proto === TCP
      ? this.#tcp(entry, fromClient, srcPort, dstPort, tcpSeq, bytes, offset, length)
      : this.#udp(entry, fromClient, srcPort, dstPort, bytes, offset, length);
    if (found && takesName((e.bits[entry] & NameSet) !== 0, e.source[entry], found.source)) {
      const id = this.names.intern(found.name);
      if (id === e.name[entry]) this.names.release(id); // the same name again
      else if (id !== NO_NAME) {
        this.names.release(e.name[entry]); // the name it replaces, if any
        e.name[entry] = id;
        e.source[entry] = found.source;
        e.bits[entry] |= NameSet;
        const app = this.matcher.match(found.name);
        if (app !== e.app[entry]) out |= Inspect.AppFound;
        e.app[entry] = app;
        out |= Inspect.NameFound;
      }
    }
    if (this.#confirm(entry, fromClient, bytes, offset, length)) out |= Inspect.Confirmed;
    // Every DHCP client of a LAN broadcasts from 0.0.0.0:68 to 255.255.255.255:67, one flow:
    // each of its messages may name another host, so the budget does not end it.
    const budgetSpent = ++e.packets[entry] >= this.#budget && e.protocol[entry] !== Protocol.Dhcp;
    if (budgetSpent || this.#complete(entry)) {
      return this.#finish(entry, out);
    }
    return out;
  }

  /** False once the flow in `entry` needs no more packets. */
  wantsMore(entry: number): boolean {
    return this.entries.state[entry] !== EntryState.Done;
  }

  /**
   * The interned name id of the flow (NO_NAME when none); the entry holds a reference on it until
   * release(entry): a holder that keeps it longer retains its own.
   */
  nameOf(entry: number): number {
    return this.entries.name[entry];
  }

  /** The flow's name as text ("" when none). */
  nameTextOf(entry: number): string {
    return this.names.nameOf(this.nameOf(entry)) ?? "";
  }

  /** Where the flow's name came from (a NameSource value). */
  sourceOf(entry: number): number {
    return this.entries.source[entry];
  }

  /** The application id (AppMatcher ids; NO_APP when the name says nothing). */
  appOf(entry: number): number {
    return this.entries.app[entry];
  }

  /** The payload protocol (a Protocol value). */
  protocolOf(entry: number): number {
    return this.entries.protocol[entry];
  }

  /**
   * True when the name belongs to the engine's client side (the flow's first sender turned out
   * to be the server): learn the name for the other address.
   */
  nameOwnerIsInitiator(entry: number): boolean {
    return (this.entries.bits[entry] & Reversed) !== 0;
  }

  /** Client-stream bytes of a TCP flow go to the reader of the stream's kind. */
  #tcp(
    entry: number,
    fromClient: boolean,
    srcPort: number,
    dstPort: number,
    seq: number,
    bytes: Uint8Array,
    offset: number,
    length: number,
  ): Found | null {
    const e = this.entries;
    let kind = e.kind[entry];
    if (kind === StreamKind.None && (e.bits[entry] & NameSet) === 0) {
      const words = readFirstWords(e.protocol[entry], bytes, offset, length, srcPort, dstPort);
      if (words) return words;
    }
    if (kind === StreamKind.None) {
      // A load balancer's PROXY header may come before the client's own first bytes.
      const skip = proxyHeaderLength(bytes, offset, length);
      kind = startKind(bytes, offset + skip, length - skip, srcPort, dstPort);
      const fixed = (e.bits[entry] & BaseFixed) !== 0;
      const rel = (seq - e.base[entry]) | 0;
      if (kind === StreamKind.None) {
        // A client segment past the stream's start (known from the SYN) arrived first: keep it.
        if (fixed && fromClient && rel > 0 && rel < this.pool.size) {
          this.#keep(entry, rel, bytes, offset, length);
        }
        return null;
      }
      e.kind[entry] = kind;
      this.entries.setRole(entry, fromClient);
      // A stream that starts mid-flow (after STARTTLS, or without a SYN seen) starts here.
      if (!fixed || rel !== 0 || skip > 0) {
        this.entries.freeBuffer(entry);
        e.base[entry] = (seq + skip) >>> 0;
        e.bits[entry] |= HaveBase | (skip > 0 ? BaseFixed : 0);
      }
    }
    if (!this.entries.isClient(entry, fromClient) || this.#settled(entry)) {
      if (kind === StreamKind.DnsTcp && !this.entries.isClient(entry, fromClient)) {
        const answer = parseDnsTcp(bytes, offset, length).message;
        if (answer?.response) e.bits[entry] |= Answered;
        this.#learnDns(answer);
      }
      return null;
    }
    let rel = (seq - e.base[entry]) | 0;
    let buffer = e.buffer[entry];
    if (rel < 0 && (e.bits[entry] & BaseFixed) !== 0) {
      // Bytes before the stream's known start (a retransmitted SYN, a PROXY header): skip them.
      if (-rel >= length) return null;
      offset -= rel;
      length += rel;
      rel = 0;
    } else if (rel < 0) {
      // The stream starts earlier than the first segment seen (reordering): move the base.
      if (buffer >= 0) this.pool.shift(buffer, -rel);
      e.base[entry] = seq >>> 0;
      rel = 0;
    }
    if (buffer < 0 && rel === 0) {
      const r = parseClientStream(kind, bytes, offset, length);
      if (r.status !== 0 /* NeedMore */) return this.#streamEnd(entry, r.found);
    }
    if (buffer < 0) {
      buffer = this.pool.acquire();
      if (buffer < 0) return this.#streamEnd(entry, null); // pool exhausted: counted in drops
      e.buffer[entry] = buffer;
    }
    const before = this.pool.contiguous(buffer);
    const have = this.pool.write(buffer, rel, bytes, offset, offset + length);
    if (have === before) return null;
    const r = parseClientStream(kind, this.pool.bytes, this.pool.offsetOf(buffer), have);
    if (r.status === 0 && r.needBytes <= this.pool.size) return null;
    return this.#streamEnd(entry, r.found);
  }

  /** UDP: QUIC Initials (reassembled across datagrams), DNS, DHCP, SSDP, DTLS, NetBIOS. */
  #udp(
    entry: number,
    fromClient: boolean,
    srcPort: number,
    dstPort: number,
    bytes: Uint8Array,
    offset: number,
    length: number,
  ): Found | null {
    const e = this.entries;
    const protocol = e.protocol[entry];
    if (protocol === Protocol.Quic) {
      if ((e.bits[entry] & NameSet) !== 0 || (bytes[offset] & 0x80) === 0) return null;
      const r = readQuicDatagram(
        bytes,
        offset,
        length,
        e.dcid[entry],
        this.pool,
        e.buffer[entry],
      );
      if (r.dcid && !e.dcid[entry]) {
        e.dcid[entry] = r.dcid;
        this.entries.setRole(entry, fromClient);
      }
      if (r.buffer !== e.buffer[entry]) e.buffer[entry] = r.buffer;
      if (r.done) this.entries.freeBuffer(entry);
      return r.found;
    }
    const r = readDatagramName(protocol, bytes, offset, length, srcPort, dstPort);
    if (r.dns?.response) {
      e.bits[entry] |= Answered;
      this.#learnDns(r.dns, protocol === Protocol.Dns ? NameSource.Dns : NameSource.Mdns);
    }
    if (r.clientSent) this.entries.setRole(entry, fromClient);
    if (r.owner !== 0 && r.found && this.#passiveDns) {
      // A host announcing its own name: it names that host, whatever the flow's name is.
      ownerWords[0] = r.owner;
      this.#passiveDns.learn(ownerWords, 0, false, r.found.name, r.found.source, 0, this.#now);
    }
    return r.found;
  }

  /** Sets Confirmed once: the server side sent a handshake reply after the name was read. */
  #confirm(entry: number, fromClient: boolean, bytes: Uint8Array, offset: number, length: number) {
    const e = this.entries;
    const bits = e.bits[entry];
    if (
      (bits & NameSet) === 0 || (bits & Confirmed) !== 0 || this.entries.isClient(entry, fromClient)
    ) {
      return false;
    }
    const ok = serverConfirms(e.source[entry], bytes, offset, length);
    if (ok) e.bits[entry] |= Confirmed;
    return ok;
  }

  /** Named by something better than a server's word about itself: no name replaces it. */
  #settled(entry: number): boolean {
    return (this.entries.bits[entry] & NameSet) !== 0 && !selfGiven(this.entries.source[entry]);
  }

  #complete(entry: number): boolean {
    const e = this.entries;
    const bits = e.bits[entry];
    return nothingMoreToLearn({
      named: (bits & NameSet) !== 0,
      confirmed: (bits & Confirmed) !== 0,
      answered: (bits & Answered) !== 0,
      source: e.source[entry],
      protocol: e.protocol[entry],
    });
  }

  #finish(entry: number, out: number): number {
    this.entries.stop(entry);
    return out | Inspect.Done;
  }

  /** Stores a segment whose stream kind is not known yet (it is not the stream's start). */
  #keep(entry: number, rel: number, bytes: Uint8Array, offset: number, length: number): void {
    const e = this.entries;
    if (e.buffer[entry] < 0) e.buffer[entry] = this.pool.acquire();
    if (e.buffer[entry] >= 0) {
      this.pool.write(e.buffer[entry], rel, bytes, offset, offset + length);
    }
  }

  #streamEnd(entry: number, found: Found | null): Found | null {
    this.entries.freeBuffer(entry);
    if (!found) this.entries.kind[entry] = StreamKind.Ended;
    return found;
  }

  #learnDns(message: ReturnType<typeof parseDnsMessage>, source: number = NameSource.Dns): void {
    if (message && this.#passiveDns) this.#passiveDns.learnDnsAnswers(message, this.#now, source);
  }
}
