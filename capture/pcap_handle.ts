// One libpcap handle, live or offline, read in batches into a PacketBatch.
//
// Packets reach TypeScript in batches, not one FFI call each: libpcap's own pcap_dump() is the
// pcap_dispatch() callback, writing savefile records into memory we own (libc fmemopen over a
// Uint8Array). After each dispatch the stream is flushed, the records are decoded in place and
// the stream is rewound. fmemopen silently drops writes once full, so each dispatch asks for at
// most as many packets as can fit at the handle's snapshot length.

import { CaptureError, netRawHint } from "./capture_error.ts";
import { listInterfaces } from "./interfaces.ts";
import { cString, libpcap, PCAP_ERRBUF_SIZE, readCString } from "./libpcap.ts";
import { type LinkType, linkType } from "./link_types.ts";
import { BATCH_CAPACITY, PacketBatch, pointRaw } from "./packet_batch.ts";
import {
  decodeRecords,
  RECORD_HEADER_BYTES,
  type RecordCursor,
  type RecordFormat,
  savefileOrder,
} from "./records.ts";

const PCAP_TSTAMP_PRECISION_NANO = 1;
const PCAP_NETMASK_UNKNOWN = 0xffffffff;
const PCAP_ERROR_BREAK = -2;
const PCAP_ERROR_NO_SUCH_DEVICE = -5;
const PCAP_ERROR_PERM_DENIED = -8;
const PCAP_ERROR_IFACE_NOT_UP = -9;
const PCAP_ERROR_PROMISC_PERM_DENIED = -11;
const SEEK_SET = 0;
/** setsockopt() level and option for a fanout group (linux/if_packet.h). */
const SOL_PACKET = 263;
const PACKET_FANOUT = 18;
const PACKET_FANOUT_HASH = 0;
/** Reassemble IP fragments before hashing, so a datagram's fragments go to one socket. */
const PACKET_FANOUT_FLAG_DEFRAG = 0x8000;
const IOFBF = 0;
/** __fsetlocking(): the caller guarantees the stream is not used by two threads at once. */
const FSETLOCKING_BYCALLER = 2;
/** stdio buffer in front of the memory stream: one copy per 64 KiB beats one call per write. */
const STDIO_BUFFER_BYTES = 65536n;
/** sizeof(struct bpf_program) on 64-bit: u_int length, padding, pointer. */
const BPF_PROGRAM_BYTES = 16;

/** Options for capturing from an interface. */
export interface LiveOptions {
  /** Interface name, as `netwatch interfaces` lists them. */
  device: string;
  /** Bytes kept per packet; enough for the headers Netwatch decodes by default. */
  snaplen?: number;
  /** Promiscuous mode; on by default. */
  promiscuous?: boolean;
  /** Kernel ring buffer size in bytes; 64 MiB by default. */
  bufferBytes?: number;
  /** Deliver each packet as it arrives instead of in kernel blocks (more CPU, less latency). */
  immediate?: boolean;
  /** Longest a packet waits in a partly filled kernel block, in milliseconds. */
  timeoutMs?: number;
  /** A BPF filter expression (pcap-filter(7)). */
  filter?: string;
}

/** Counters from pcap_stats(): packets the kernel saw and dropped since the handle opened. */
export interface CaptureStats {
  received: number;
  /** Dropped because Netwatch did not read fast enough (the kernel buffer was full). */
  droppedByKernel: number;
  /** Dropped by the network interface or its driver. */
  droppedByInterface: number;
}

/**
 * Default snapshot length: a whole Ethernet frame with VLAN tags and tunnel headers. Names come
 * from payloads that a header-sized snaplen cuts: a QUIC Initial (1,200 bytes at least) is
 * authenticated whole, and a ClientHello with a post-quantum key share fills a segment.
 */
export const DEFAULT_SNAPLEN = 2048;
export const DEFAULT_BUFFER_BYTES = 64 << 20;
const DEFAULT_TIMEOUT_MS = 50;
/**
 * Packets a live handle's record memory holds at its snaplen: a whole batch, so a batch read in
 * several dispatches keeps every packet's payload (#room()).
 */
const LIVE_RECORD_PACKETS = BATCH_CAPACITY;
/** Bounds of a live handle's record memory (64 MiB: a batch at a 16 KiB snaplen). */
const MIN_LIVE_RECORD_BYTES = 2 << 20;
const MAX_LIVE_RECORD_BYTES = 64 << 20;
/** poll(2)'s "data to read" event. */
const POLLIN = 1;
/** Record memory for a file, whose snapshot length is often 262144. */
const OFFLINE_RECORD_BYTES = 64 << 20;

/** A libpcap handle that reads packets in batches. Close it when done. */
export class PcapHandle {
  readonly linkType: LinkType;
  /** Largest captured length a packet can have on this handle. */
  readonly snaplen: number;
  /** Set for live handles. */
  readonly device?: string;
  /** Set for offline handles. */
  readonly path?: string;
  /** Packets read so far. */
  packetsRead = 0;
  /** Records the in-memory stream held that claimed more bytes than it had (should stay 0). */
  overruns = 0;

  #pcap: Deno.PointerObject | null;
  #dumper: Deno.PointerObject;
  #file: Deno.PointerObject;
  #records: Uint8Array<ArrayBuffer>;
  #view: DataView;
  #format: RecordFormat;
  #cursor: RecordCursor = { offset: 0, overrun: false };
  #perDispatch: number;
  /** Bytes of #records holding the records of the batch being filled. */
  #used = 0;
  #stats = new Uint32Array(4);
  /** One struct pollfd (int fd, short events, short revents) for waitReadable(). */
  #pollBytes = new Uint8Array(8);
  #pollFd = new DataView(this.#pollBytes.buffer);
  #nonBlocking = false;

  private constructor(
    pcap: Deno.PointerObject,
    recordBytes: number,
    source: { device?: string; path?: string },
  ) {
    const { pcap: lib, libc } = libpcap();
    this.#pcap = pcap;
    this.device = source.device;
    this.path = source.path;
    this.linkType = linkType(lib.pcap_datalink(pcap));
    this.snaplen = lib.pcap_snapshot(pcap);
    // waitReadable()'s struct pollfd: the capture socket (a file's descriptor for a file), POLLIN.
    this.#pollFd.setInt32(0, lib.pcap_fileno(pcap), true);
    this.#pollFd.setInt16(4, POLLIN, true);
    this.#records = new Uint8Array(recordBytes);
    this.#view = new DataView(this.#records.buffer);
    this.#perDispatch = Math.max(1, Math.floor(recordBytes / (RECORD_HEADER_BYTES + this.snaplen)));
    const file = libc.fmemopen(this.#records, BigInt(recordBytes), cString("w"));
    if (!file) throw this.#fail("failed", "fmemopen() failed");
    this.#file = file;
    // Measured: fully buffered is ~10% faster than unbuffered for 2M small packets.
    libc.setvbuf(file, null, IOFBF, STDIO_BUFFER_BYTES);
    // pcap_dump() makes three stdio calls per packet, each taking the stream's lock. One thread
    // at a time uses the stream (the dispatch, then this handle's flush, tell and seek), so
    // the locks guard nothing: leave them out.
    libc.__fsetlocking(file, FSETLOCKING_BYCALLER);
    const dumper = lib.pcap_dump_fopen(pcap, file);
    if (!dumper) {
      libc.fclose(file);
      // libpcap says "stream: link-layer type N isn't supported in savefiles": drop the prefix.
      const reason = this.#lastError().replace(/^stream: /, "");
      const name = source.path ?? source.device;
      throw this.#fail(source.path ? "bad_file" : "failed", `Cannot read "${name}": ${reason}`);
    }
    this.#dumper = dumper;
    lib.pcap_dump_flush(dumper);
    // pcap_dump_fopen() wrote the savefile header: its magic tells byte order and precision.
    this.#format = { decoder: this.linkType.decoder, ...savefileOrder(this.#view)! };
    libc.fseek(file, 0n, SEEK_SET);
  }

  /** Opens a pcap or pcapng file. Throws CaptureError("bad_file") if libpcap cannot read it. */
  static openFile(path: string, filter?: string): PcapHandle {
    const { pcap: lib } = libpcap();
    const errbuf = new Uint8Array(PCAP_ERRBUF_SIZE);
    const pcap = lib.pcap_open_offline_with_tstamp_precision(
      cString(path),
      PCAP_TSTAMP_PRECISION_NANO,
      errbuf,
    );
    if (!pcap) {
      let reason = readCString(errbuf);
      if (reason.startsWith(`${path}: `)) reason = reason.slice(path.length + 2);
      throw new CaptureError("bad_file", `Cannot read "${path}": ${reason}`);
    }
    const handle = new PcapHandle(pcap, OFFLINE_RECORD_BYTES, { path });
    if (filter) handle.#setFilter(filter);
    return handle;
  }

  /**
   * Opens an interface for live capture (read without blocking after waitReadable()). Throws
   * CaptureError with kind "no_device", "permission", "bad_filter" or "failed" and a message
   * that says what to do.
   */
  static openLive(options: LiveOptions): PcapHandle {
    const { pcap: lib } = libpcap();
    const { device } = options;
    const errbuf = new Uint8Array(PCAP_ERRBUF_SIZE);
    const pcap = lib.pcap_create(cString(device), errbuf);
    if (!pcap) throw new CaptureError("failed", `Cannot open "${device}": ${readCString(errbuf)}`);
    const snaplen = options.snaplen ?? DEFAULT_SNAPLEN;
    lib.pcap_set_snaplen(pcap, snaplen);
    lib.pcap_set_promisc(pcap, options.promiscuous === false ? 0 : 1);
    lib.pcap_set_buffer_size(pcap, options.bufferBytes ?? DEFAULT_BUFFER_BYTES);
    lib.pcap_set_timeout(pcap, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    if (options.immediate) lib.pcap_set_immediate_mode(pcap, 1);
    const status = lib.pcap_activate(pcap);
    if (status < 0) {
      const detail = readCString(lib.pcap_geterr(pcap)) ||
        readCString(lib.pcap_statustostr(status));
      lib.pcap_close(pcap);
      throw activationError(device, status, detail);
    }
    const recordBytes = Math.min(
      MAX_LIVE_RECORD_BYTES,
      Math.max(MIN_LIVE_RECORD_BYTES, LIVE_RECORD_PACKETS * (RECORD_HEADER_BYTES + snaplen)),
    );
    const handle = new PcapHandle(pcap, recordBytes, { device });
    if (options.filter) handle.#setFilter(options.filter);
    return handle;
  }

  /** Most packets one read() call takes from libpcap. */
  get perDispatch(): number {
    return this.#perDispatch;
  }

  /**
   * Reads up to `limit` packets (and no more than fit in `batch`) and decodes them into `batch`,
   * appending. Returns the number of packets read: 0 means the end of the file, or for a live
   * handle in non-blocking mode that none are waiting (a blocking live handle waits here, on
   * this thread). Throws CaptureError("failed") on a read error, after decoding every packet
   * read before it. Sets `batch.raw` to the handle's record memory: the payload offsets of the
   * packets from `batch.rawStart` on point into it until the next read.
   */
  read(batch: PacketBatch, limit = this.#perDispatch): number {
    const pcap = this.#pcap;
    if (!pcap) return 0;
    const count = this.#room(batch, limit);
    if (count <= 0) return 0;
    const { pcap: lib, pcapDump } = libpcap();
    const before = batch.count;
    return this.#collect(lib.pcap_dispatch(pcap, count, pcapDump, this.#dumper), batch, before);
  }

  /**
   * Live handles: non-blocking (read() returns what is waiting, at once) or blocking (reads
   * wait for packets). Handles open blocking.
   */
  setNonBlocking(nonBlocking: boolean): void {
    if (!this.#pcap || this.#nonBlocking === nonBlocking) return;
    const errbuf = new Uint8Array(PCAP_ERRBUF_SIZE);
    if (libpcap().pcap.pcap_setnonblock(this.#pcap, nonBlocking ? 1 : 0, errbuf) < 0) {
      throw new CaptureError(
        "failed",
        `Cannot set "${this.device}" non-blocking: ${readCString(errbuf)}`,
      );
    }
    this.#nonBlocking = nonBlocking;
  }

  /**
   * Joins PACKET_FANOUT group `group` (1-65535) in hash mode: the kernel splits the interface's
   * packets among the sockets of the group by a symmetric hash of the flow, so both directions
   * of a flow reach the same socket (one worker each). Linux only; throws CaptureError.
   */
  joinFanout(group: number): void {
    if (!this.#pcap) return;
    const { pcap, libc } = libpcap();
    const fd = pcap.pcap_fileno(this.#pcap);
    // PACKET_FANOUT value: group id in the low 16 bits, mode and flags above.
    const value = new Uint32Array([
      ((group & 0xffff) | ((PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16)) >>> 0,
    ]);
    if (libc.setsockopt(fd, SOL_PACKET, PACKET_FANOUT, value, 4) !== 0) {
      throw new CaptureError(
        "failed",
        `Cannot split "${this.device}" across workers (PACKET_FANOUT failed): use --workers 1`,
      );
    }
  }

  /**
   * Waits on this thread, at most `timeoutMs`, until the kernel hands over packets (poll(2) on
   * the capture socket, as libpcap's own blocking read does); true when some are ready.
   */
  waitReadable(timeoutMs: number): boolean {
    if (!this.#pcap) return false;
    this.#pollFd.setInt16(6, 0, true); // revents
    return libpcap().libc.poll(this.#pollBytes, 1n, timeoutMs) > 0;
  }

  /**
   * How many packets the next dispatch may take, and where its records go. While one batch
   * fills, records go after the ones its packets already point into, so that every payload of
   * the batch stays in `batch.raw`; when that room would cut the dispatch short (or a new batch
   * starts) the memory is reused from its start, and `batch.rawStart` moves past the packets
   * it held.
   */
  #room(batch: PacketBatch, limit: number): number {
    const count = Math.min(limit, batch.capacity - batch.count, this.#perDispatch);
    const free = Math.floor(
      (this.#records.length - this.#used) / (RECORD_HEADER_BYTES + this.snaplen),
    );
    const append = batch.count > 0 && batch.raw === this.#records && free >= count;
    if (!append && this.#used !== 0) {
      libpcap().libc.fseek(this.#file, 0n, SEEK_SET);
      this.#used = 0;
      pointRaw(batch, this.#records, true);
    }
    return count;
  }

  /** Decodes what pcap_dispatch() (returning `n`) wrote; throws on its error, as read() says. */
  #collect(n: number, batch: PacketBatch, before: number): number {
    const { pcap: lib, libc } = libpcap();
    lib.pcap_dump_flush(this.#dumper);
    const written = Number(libc.ftell(this.#file));
    const cursor = this.#cursor;
    cursor.offset = this.#used;
    cursor.overrun = false;
    decodeRecords(this.#records, this.#view, written, this.#format, batch, cursor);
    if (cursor.overrun) this.overruns++;
    this.#used = written;
    const read = batch.count - before;
    this.packetsRead += read;
    if (n < 0 && n !== PCAP_ERROR_BREAK) {
      const source = this.path ?? this.device;
      throw new CaptureError(
        "failed",
        `Cannot read "${source}" past packet ${this.packetsRead}: ${this.#lastError()}`,
      );
    }
    return read;
  }

  /** Kernel counters for a live handle; undefined for a file. */
  stats(): CaptureStats | undefined {
    if (!this.#pcap || this.path !== undefined) return undefined;
    if (libpcap().pcap.pcap_stats(this.#pcap, this.#stats) < 0) return undefined;
    return {
      received: this.#stats[0],
      droppedByKernel: this.#stats[1],
      droppedByInterface: this.#stats[2],
    };
  }

  /** Releases the handle. Safe to call twice. */
  close(): void {
    if (!this.#pcap) return;
    const { pcap: lib } = libpcap();
    lib.pcap_dump_close(this.#dumper); // also fcloses the memory stream
    lib.pcap_close(this.#pcap);
    this.#pcap = null;
  }

  #setFilter(filter: string): void {
    const { pcap: lib } = libpcap();
    const program = new Uint8Array(BPF_PROGRAM_BYTES);
    const pcap = this.#pcap!;
    if (lib.pcap_compile(pcap, program, cString(filter), 1, PCAP_NETMASK_UNKNOWN) < 0) {
      const reason = this.#lastError();
      this.close();
      throw new CaptureError("bad_filter", `Invalid filter "${filter}": ${reason}`);
    }
    const status = lib.pcap_setfilter(pcap, program);
    lib.pcap_freecode(program);
    if (status < 0) {
      const reason = this.#lastError();
      this.close();
      throw new CaptureError("bad_filter", `Cannot apply filter "${filter}": ${reason}`);
    }
  }

  #lastError(): string {
    return this.#pcap ? readCString(libpcap().pcap.pcap_geterr(this.#pcap)) : "handle closed";
  }

  #fail(kind: "failed" | "bad_file", message: string): CaptureError {
    if (this.#pcap) libpcap().pcap.pcap_close(this.#pcap);
    this.#pcap = null;
    return new CaptureError(kind, message);
  }
}

function activationError(device: string, status: number, detail: string): CaptureError {
  switch (status) {
    case PCAP_ERROR_NO_SUCH_DEVICE:
      return new CaptureError(
        "no_device",
        `Cannot capture on "${device}": no such interface (interfaces: ${interfaceNames()})`,
      );
    case PCAP_ERROR_PERM_DENIED:
    case PCAP_ERROR_PROMISC_PERM_DENIED:
      return new CaptureError(
        "permission",
        `Cannot capture on "${device}": permission denied. ${netRawHint()}`,
      );
    case PCAP_ERROR_IFACE_NOT_UP:
      return new CaptureError(
        "failed",
        `Cannot capture on "${device}": the interface is down (ip link set ${device} up)`,
      );
    default:
      return new CaptureError("failed", `Cannot capture on "${device}": ${detail}`);
  }
}

function interfaceNames(): string {
  try {
    return listInterfaces().map((i) => i.name).join(", ") || "none";
  } catch {
    return "unknown";
  }
}
