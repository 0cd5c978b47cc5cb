// Looks at a flow's first payload packets for its name (SNI, QUIC SNI, HTTP Host, DNS query,
// DHCP/NetBIOS host name) and application, then stops. State lives in typed arrays indexed by
// the engine's flow slot; handshakes that span packets borrow a buffer from a fixed pool.
//
// The engine calls inspect() for each packet of a flow while wantsMore(slot), and release()
// when the slot is reused. A flow is done once its name is found and (for TLS, QUIC and HTTP)
// the server has answered, or after a small budget of payload packets. A done flow, and a
// packet without payload, cost a few array reads and allocate nothing.

import { detectProtocol, Protocol, PROTOCOL_NAMES } from "../../capture/payload/app_protocol.ts";
import { parseDnsMessage, parseDnsTcp } from "../../capture/payload/dns_message.ts";
import { proxyHeaderLength } from "../../capture/payload/proxy_protocol.ts";
import { appLabel, AppMatcher, NO_APP } from "./app_rules.ts";
import { NameTable, NO_NAME } from "./name_table.ts";
import { NameSource, type PassiveDns } from "./passive_dns.ts";
import { ReassemblyPool } from "./reassembly_pool.ts";
import {
  type Found,
  parseClientStream,
  readQuicDatagram,
  startKind,
  StreamKind,
} from "./stream_readers.ts";
import { readDatagramName } from "./datagram_names.ts";
import { nothingMoreToLearn, serverConfirms } from "./inspection_rules.ts";

/** Bits of inspect()'s answer. */
export const Inspect = {
  /** The flow's name was found by this call: read nameOf()/nameTextOf(). */
  NameFound: 1,
  /** The protocol or application label changed in this call: read appLabelOf(). */
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
  /** Slots to allocate at first (grown on demand). Default 4096. */
  slots?: number;
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
const DONE = 2;
// Bits of #bits.
const HAVE_BASE = 1;
const NAME_SET = 2;
const CONFIRMED = 4;
/** The flow's first sender is the server: the hello came from the engine's "server" side. */
const REVERSED = 8;
const ROLE_KNOWN = 16;
/** A response (DNS) was read: a DNS flow is then done. */
const ANSWERED = 32;
/** The base sequence number is certain (from the SYN or after a PROXY header). */
const BASE_FIXED = 64;

/** Per-flow payload inspection for names and applications. */
export class FlowInspector {
  readonly names: NameTable;
  readonly pool: ReassemblyPool;
  readonly matcher: AppMatcher;
  #budget: number;
  #passiveDns?: PassiveDns;
  #state = new Uint8Array(0);
  #kind = new Uint8Array(0);
  #protocol = new Uint8Array(0);
  #source = new Uint8Array(0);
  #bits = new Uint8Array(0);
  #packets = new Uint8Array(0);
  #app = new Uint16Array(0);
  #name = new Uint32Array(0);
  #buffer = new Int32Array(0);
  #base = new Uint32Array(0);
  /** QUIC: the first Initial's destination connection ID, whose keys later Initials keep. */
  #dcid: (Uint8Array | undefined)[] = [];
  #labels = new Map<number, string>();
  /** The time of the packet being inspected, for what is learned from it. */
  #now = 0;

  constructor(options: InspectorOptions = {}) {
    this.names = options.names ?? new NameTable(65536);
    this.pool = new ReassemblyPool(options.buffers ?? 256, options.bufferBytes ?? 8192);
    this.matcher = options.matcher ?? new AppMatcher();
    this.#budget = options.budget ?? 12;
    this.#passiveDns = options.passiveDns;
    this.#grow(options.slots ?? 4096);
  }

  /**
   * Looks at one packet of the flow in `slot`: `proto` 6 or 17, `fromClient` as the engine
   * keys the flow, ports as on the packet, `tcpSeq`/`tcpFlags` for TCP (0 otherwise), and its
   * payload `bytes[offset, offset + length)`, valid only during this call. Returns Inspect bits.
   */
  inspect(
    slot: number,
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
    if (slot >= this.#state.length) this.#grow(Math.max(slot + 1, this.#state.length * 2));
    if (this.#state[slot] === DONE) return Inspect.Done;
    if (this.#state[slot] === 0) this.#start(slot);
    this.#now = nowSec;
    if (proto !== TCP && proto !== UDP) return this.#finish(slot, 0);
    if (length <= 0) {
      if (proto === TCP && fromClient && (tcpFlags & (SYN | ACK)) === SYN) {
        this.#base[slot] = (tcpSeq + 1) >>> 0; // the client's first data byte follows its SYN
        this.#bits[slot] |= HAVE_BASE | BASE_FIXED;
      }
      return 0;
    }
    let out = 0;
    if (this.#protocol[slot] === Protocol.Unknown) {
      const p = detectProtocol(proto, bytes, offset, length, srcPort, dstPort);
      if (p !== Protocol.Unknown) {
        this.#protocol[slot] = p;
        out |= Inspect.AppFound;
      }
    }
    const found = proto === TCP
      ? this.#tcp(slot, fromClient, srcPort, dstPort, tcpSeq, bytes, offset, length)
      : this.#udp(slot, fromClient, srcPort, dstPort, bytes, offset, length);
    if (found && (this.#bits[slot] & NAME_SET) === 0) {
      const id = this.names.intern(found.name);
      if (id !== NO_NAME) {
        this.#name[slot] = id;
        this.#source[slot] = found.source;
        this.#bits[slot] |= NAME_SET;
        const app = this.matcher.match(found.name);
        if (app !== this.#app[slot]) out |= Inspect.AppFound;
        this.#app[slot] = app;
        out |= Inspect.NameFound;
      }
    }
    if (this.#confirm(slot, fromClient, bytes, offset, length)) out |= Inspect.Confirmed;
    if (++this.#packets[slot] >= this.#budget || this.#complete(slot)) {
      return this.#finish(slot, out);
    }
    return out;
  }

  /** False once the flow in `slot` needs no more packets. */
  wantsMore(slot: number): boolean {
    return slot >= this.#state.length || this.#state[slot] !== DONE;
  }

  /** The interned name id of the flow (NO_NAME when none); valid until release(slot). */
  nameOf(slot: number): number {
    return slot < this.#name.length ? this.#name[slot] : NO_NAME;
  }

  /** The flow's name as text ("" when none). */
  nameTextOf(slot: number): string {
    return this.names.nameOf(this.nameOf(slot)) ?? "";
  }

  /** Where the flow's name came from (a NameSource value). */
  sourceOf(slot: number): number {
    return slot < this.#source.length ? this.#source[slot] : NameSource.None;
  }

  /** The application id (AppMatcher ids; NO_APP when the name says nothing). */
  appOf(slot: number): number {
    return slot < this.#app.length ? this.#app[slot] : NO_APP;
  }

  /** The payload protocol (a Protocol value). */
  protocolOf(slot: number): number {
    return slot < this.#protocol.length ? this.#protocol[slot] : Protocol.Unknown;
  }

  /** "TLS.YouTube", "DNS", "QUIC.Google", or "" when nothing is known; one string per pair. */
  appLabelOf(slot: number): string {
    const protocol = this.protocolOf(slot);
    const app = this.appOf(slot);
    const key = protocol * 65536 + app;
    let label = this.#labels.get(key);
    if (label === undefined) {
      label = appLabel(PROTOCOL_NAMES[protocol] ?? "", this.matcher.appName(app));
      this.#labels.set(key, label);
    }
    return label;
  }

  /**
   * True when the name belongs to the engine's client side (the flow's first sender turned out
   * to be the server): learn the name for the other address.
   */
  nameOwnerIsInitiator(slot: number): boolean {
    return slot < this.#bits.length && (this.#bits[slot] & REVERSED) !== 0;
  }

  /** Forgets the flow in `slot` (the engine reuses it): its name reference and buffer go back. */
  release(slot: number): void {
    if (slot >= this.#state.length || this.#state[slot] === 0) return;
    this.names.release(this.#name[slot]);
    this.#freeBuffer(slot);
    this.#dcid[slot] = undefined;
    this.#start(slot);
    this.#state[slot] = 0;
  }

  #start(slot: number): void {
    this.#state[slot] = 1;
    this.#kind[slot] = StreamKind.None;
    this.#protocol[slot] = Protocol.Unknown;
    this.#source[slot] = NameSource.None;
    this.#bits[slot] = 0;
    this.#packets[slot] = 0;
    this.#app[slot] = NO_APP;
    this.#name[slot] = NO_NAME;
    this.#buffer[slot] = -1;
    this.#base[slot] = 0;
  }

  /** Client-stream bytes of a TCP flow go to the reader of the stream's kind. */
  #tcp(
    slot: number,
    fromClient: boolean,
    srcPort: number,
    dstPort: number,
    seq: number,
    bytes: Uint8Array,
    offset: number,
    length: number,
  ): Found | null {
    let kind = this.#kind[slot];
    if (kind === StreamKind.None) {
      // A load balancer's PROXY header may come before the client's own first bytes.
      const skip = proxyHeaderLength(bytes, offset, length);
      kind = startKind(bytes, offset + skip, length - skip, srcPort, dstPort);
      const fixed = (this.#bits[slot] & BASE_FIXED) !== 0;
      const rel = (seq - this.#base[slot]) | 0;
      if (kind === StreamKind.None) {
        // A client segment past the stream's start (known from the SYN) arrived first: keep it.
        if (fixed && fromClient && rel > 0 && rel < this.pool.size) {
          this.#keep(slot, rel, bytes, offset, length);
        }
        return null;
      }
      this.#kind[slot] = kind;
      this.#setRole(slot, fromClient);
      // A stream that starts mid-flow (after STARTTLS, or without a SYN seen) starts here.
      if (!fixed || rel !== 0 || skip > 0) {
        this.#freeBuffer(slot);
        this.#base[slot] = (seq + skip) >>> 0;
        this.#bits[slot] |= HAVE_BASE | (skip > 0 ? BASE_FIXED : 0);
      }
    }
    if (!this.#isClient(slot, fromClient) || (this.#bits[slot] & NAME_SET) !== 0) {
      if (kind === StreamKind.DnsTcp && !this.#isClient(slot, fromClient)) {
        const answer = parseDnsTcp(bytes, offset, length).message;
        if (answer?.response) this.#bits[slot] |= ANSWERED;
        this.#learnDns(answer);
      }
      return null;
    }
    let rel = (seq - this.#base[slot]) | 0;
    let buffer = this.#buffer[slot];
    if (rel < 0 && (this.#bits[slot] & BASE_FIXED) !== 0) {
      // Bytes before the stream's known start (a retransmitted SYN, a PROXY header): skip them.
      if (-rel >= length) return null;
      offset -= rel;
      length += rel;
      rel = 0;
    } else if (rel < 0) {
      // The stream starts earlier than the first segment seen (reordering): move the base.
      if (buffer >= 0) this.pool.shift(buffer, -rel);
      this.#base[slot] = seq >>> 0;
      rel = 0;
    }
    if (buffer < 0 && rel === 0) {
      const r = parseClientStream(kind, bytes, offset, length);
      if (r.status !== 0 /* NeedMore */) return this.#streamEnd(slot, r.found);
    }
    if (buffer < 0) {
      buffer = this.pool.acquire();
      if (buffer < 0) return this.#streamEnd(slot, null); // pool exhausted: counted in drops
      this.#buffer[slot] = buffer;
    }
    const before = this.pool.contiguous(buffer);
    const have = this.pool.write(buffer, rel, bytes, offset, offset + length);
    if (have === before) return null;
    const r = parseClientStream(kind, this.pool.bytes, this.pool.offsetOf(buffer), have);
    if (r.status === 0 && r.needBytes <= this.pool.size) return null;
    return this.#streamEnd(slot, r.found);
  }

  /** UDP: QUIC Initials (reassembled across datagrams), DNS, DHCP, SSDP, DTLS, NetBIOS. */
  #udp(
    slot: number,
    fromClient: boolean,
    srcPort: number,
    dstPort: number,
    bytes: Uint8Array,
    offset: number,
    length: number,
  ): Found | null {
    const protocol = this.#protocol[slot];
    if (protocol === Protocol.Quic) {
      if ((this.#bits[slot] & NAME_SET) !== 0 || (bytes[offset] & 0x80) === 0) return null;
      const r = readQuicDatagram(
        bytes,
        offset,
        length,
        this.#dcid[slot],
        this.pool,
        this.#buffer[slot],
      );
      if (r.dcid && !this.#dcid[slot]) {
        this.#dcid[slot] = r.dcid;
        this.#setRole(slot, fromClient);
      }
      if (r.buffer !== this.#buffer[slot]) this.#buffer[slot] = r.buffer;
      if (r.done) this.#freeBuffer(slot);
      return r.found;
    }
    const r = readDatagramName(protocol, bytes, offset, length, srcPort, dstPort);
    if (r.dns?.response) {
      this.#bits[slot] |= ANSWERED;
      this.#learnDns(r.dns, protocol === Protocol.Dns ? NameSource.Dns : NameSource.Mdns);
    }
    if (r.clientSent) this.#setRole(slot, fromClient);
    return r.found;
  }

  /** Sets Confirmed once: the server side sent a handshake reply after the name was read. */
  #confirm(slot: number, fromClient: boolean, bytes: Uint8Array, offset: number, length: number) {
    const bits = this.#bits[slot];
    if ((bits & NAME_SET) === 0 || (bits & CONFIRMED) !== 0 || this.#isClient(slot, fromClient)) {
      return false;
    }
    const ok = serverConfirms(this.#source[slot], bytes, offset, length);
    if (ok) this.#bits[slot] |= CONFIRMED;
    return ok;
  }

  #complete(slot: number): boolean {
    const bits = this.#bits[slot];
    return nothingMoreToLearn({
      named: (bits & NAME_SET) !== 0,
      confirmed: (bits & CONFIRMED) !== 0,
      answered: (bits & ANSWERED) !== 0,
      source: this.#source[slot],
      protocol: this.#protocol[slot],
      dnsTcp: this.#kind[slot] === StreamKind.DnsTcp,
    });
  }

  #finish(slot: number, out: number): number {
    this.#state[slot] = DONE;
    this.#freeBuffer(slot);
    this.#dcid[slot] = undefined;
    return out | Inspect.Done;
  }

  /** Stores a segment whose stream kind is not known yet (it is not the stream's start). */
  #keep(slot: number, rel: number, bytes: Uint8Array, offset: number, length: number): void {
    if (this.#buffer[slot] < 0) this.#buffer[slot] = this.pool.acquire();
    if (this.#buffer[slot] >= 0) {
      this.pool.write(this.#buffer[slot], rel, bytes, offset, offset + length);
    }
  }

  #streamEnd(slot: number, found: Found | null): Found | null {
    this.#freeBuffer(slot);
    if (!found) this.#kind[slot] = StreamKind.Ended;
    return found;
  }

  #freeBuffer(slot: number): void {
    if (this.#buffer[slot] >= 0) this.pool.release(this.#buffer[slot]);
    this.#buffer[slot] = -1;
  }

  #setRole(slot: number, fromClient: boolean): void {
    if ((this.#bits[slot] & ROLE_KNOWN) !== 0) return;
    this.#bits[slot] |= fromClient ? ROLE_KNOWN : ROLE_KNOWN | REVERSED;
  }

  /** True when a packet in direction `fromClient` comes from the side that sent the hello. */
  #isClient(slot: number, fromClient: boolean): boolean {
    return fromClient !== ((this.#bits[slot] & REVERSED) !== 0);
  }

  #learnDns(message: ReturnType<typeof parseDnsMessage>, source: number = NameSource.Dns): void {
    if (message && this.#passiveDns) this.#passiveDns.learnDnsAnswers(message, this.#now, source);
  }

  #grow(size: number): void {
    this.#state = grown(this.#state, size);
    this.#kind = grown(this.#kind, size);
    this.#protocol = grown(this.#protocol, size);
    this.#source = grown(this.#source, size);
    this.#bits = grown(this.#bits, size);
    this.#packets = grown(this.#packets, size);
    this.#app = grown(this.#app, size);
    this.#name = grown(this.#name, size);
    this.#buffer = grown(this.#buffer, size);
    this.#base = grown(this.#base, size);
  }
}

/** A copy of `a` with room for `size` entries (same element type). */
function grown<T extends Uint8Array | Uint16Array | Uint32Array | Int32Array>(
  a: T,
  size: number,
): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}
