// Reads classic pcap files straight into batches, without libpcap, for the common case; libpcap
// (PcapHandle) reads everything else and takes over wherever a file stops being plain.
//
// Reading a file through libpcap costs a copy of every record through pcap_dump() and stdio:
// about a third of `report --flows` on a large capture. A classic pcap file is already the
// record format decodeRecords() walks, so the file's own bytes are decoded in place, read in
// large chunks. libpcap's behaviour on damaged files is kept exactly: this reader accepts only
// what libpcap reads the same way (version 2.4, a link type libpcap passes through unchanged,
// records no longer than the snapshot length, and whole), and at the first record that is
// anything else it opens the file with libpcap, skips the packets already delivered and goes on
// there, so that libpcap decides what happens (truncate, stop with an error, or go on).

import { CaptureError } from "./capture_error.ts";
import { type LinkType, linkType } from "./link_types.ts";
import { PacketBatch } from "./packet_batch.ts";
import { PcapHandle } from "./pcap_handle.ts";
import {
  decodeRecords,
  RECORD_HEADER_BYTES,
  type RecordCursor,
  type RecordFormat,
  savefileOrder,
} from "./records.ts";

/** What the capture worker and readCaptureFile() need from a file source. */
export interface PacketReader {
  readonly linkType: LinkType;
  readonly snaplen: number;
  readonly path?: string;
  readonly device?: string;
  readonly packetsRead: number;
  readonly overruns: number;
  read(batch: PacketBatch, limit?: number): number;
  stats(): undefined | ReturnType<PcapHandle["stats"]>;
  close(): void;
}

const FILE_HEADER_BYTES = 24;
/** libpcap's MAXIMUM_SNAPLEN: the longest record it reads for these link types. */
const MAXIMUM_SNAPLEN = 262144;
/**
 * Link types whose LINKTYPE value libpcap reports unchanged as the DLT (NULL, EN10MB,
 * LINUX_SLL, NFLOG, LINUX_SLL2); any other goes through libpcap.
 */
const PASSED_THROUGH = new Set([0, 1, 113, 239, 276]);
/** Bytes read from the file at a time (a record is at most 256 KiB + 16). */
const CHUNK_BYTES = 8 << 20;
/** Default most packets one read() takes, as PcapHandle's. */
const PER_READ = 1 << 16;
/** Packets read at a time while skipping those delivered before libpcap took over. */
const SKIP_BATCH = 4096;

/**
 * Opens `path` for reading in batches: this reader for a plain classic pcap file with no
 * filter, libpcap for anything else. Throws CaptureError("bad_file") as libpcap does.
 */
export function openCaptureFile(path: string, filter?: string): PacketReader {
  if (!filter) {
    const reader = PcapFileReader.open(path);
    if (reader) return reader;
  }
  return PcapHandle.openFile(path, filter);
}

/** A classic pcap file read in chunks and decoded in place. */
export class PcapFileReader implements PacketReader {
  readonly path: string;
  readonly device = undefined;
  readonly linkType: LinkType;
  readonly snaplen: number;
  readonly overruns = 0;
  #file: Deno.FsFile | undefined;
  #bytes = new Uint8Array(CHUNK_BYTES);
  #view = new DataView(this.#bytes.buffer);
  /** Undecoded bytes are #bytes[#pos, #end). */
  #pos = 0;
  #end = 0;
  #eof = false;
  #format: RecordFormat;
  #cursor: RecordCursor = { offset: 0, overrun: false };
  #read = 0;
  /** libpcap, once the file stopped being plain. */
  #fallback: PcapHandle | undefined;

  private constructor(
    path: string,
    file: Deno.FsFile,
    header: DataView,
    order: { littleEndian: boolean; nsecPerUnit: number },
  ) {
    this.path = path;
    this.#file = file;
    this.snaplen = header.getUint32(16, order.littleEndian);
    this.linkType = linkType(header.getUint32(20, order.littleEndian));
    this.#format = { decoder: this.linkType.decoder, ...order };
  }

  /** The reader for `path`, or undefined when it is not a file this reader takes. */
  static open(path: string): PcapFileReader | undefined {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path);
    } catch {
      return undefined; // libpcap says why, in its words
    }
    const header = new Uint8Array(FILE_HEADER_BYTES);
    let got = 0;
    try {
      while (got < FILE_HEADER_BYTES) {
        const n = file.readSync(header.subarray(got));
        if (n === null) break;
        got += n;
      }
    } catch {
      got = 0; // a directory, or unreadable: libpcap says why
    }
    const view = new DataView(header.buffer);
    const order = got === FILE_HEADER_BYTES ? savefileOrder(view) : undefined;
    if (!order || !plainHeader(view, order.littleEndian)) {
      file.close();
      return undefined;
    }
    return new PcapFileReader(path, file, view, order);
  }

  /** Packets delivered before libpcap took over the file, or undefined while it has not. */
  get handedOverAt(): number | undefined {
    return this.#fallback ? this.#read : undefined;
  }

  get packetsRead(): number {
    return this.#fallback ? this.#fallback.packetsRead : this.#read;
  }

  /**
   * Decodes up to `limit` packets into `batch` (appending, no more than fit); 0 at the end of
   * the file. Throws CaptureError("failed") where libpcap stops with an error.
   */
  read(batch: PacketBatch, limit = PER_READ): number {
    if (this.#fallback) return this.#fallback.read(batch, limit);
    const before = batch.count;
    const target = Math.min(batch.capacity, before + limit);
    const le = this.#format.littleEndian;
    while (batch.count < target) {
      // The run of whole, plain records from #pos, at most as many as fit.
      let off = this.#pos;
      let records = 0;
      const room = target - batch.count;
      let plain = true;
      while (records < room && this.#end - off >= RECORD_HEADER_BYTES) {
        const capLen = this.#view.getUint32(off + 8, le);
        if (capLen > this.snaplen) {
          plain = false;
          break;
        }
        if (this.#end - off - RECORD_HEADER_BYTES < capLen) break;
        off += RECORD_HEADER_BYTES + capLen;
        records++;
      }
      if (records > 0) {
        this.#cursor.offset = this.#pos;
        decodeRecords(this.#bytes, this.#view, off, this.#format, batch, this.#cursor);
        this.#pos = this.#cursor.offset;
        this.#read += records;
        continue;
      }
      if (plain && !this.#eof) {
        this.#fill();
        continue;
      }
      if (this.#pos === this.#end && this.#eof) break; // the end, on a record boundary
      // A record libpcap must judge: too long, or cut short by the end of the file.
      this.#handOver();
      return batch.count - before + this.#fallback!.read(batch, target - batch.count);
    }
    return batch.count - before;
  }

  stats(): undefined {
    return undefined;
  }

  close(): void {
    this.#file?.close();
    this.#file = undefined;
    this.#fallback?.close();
  }

  /** Moves the undecoded bytes to the front and reads more after them. */
  #fill(): void {
    const left = this.#end - this.#pos;
    this.#bytes.copyWithin(0, this.#pos, this.#end);
    this.#pos = 0;
    this.#end = left;
    while (this.#end < this.#bytes.length) {
      const n = this.#file!.readSync(this.#bytes.subarray(this.#end));
      if (n === null) {
        this.#eof = true;
        return;
      }
      this.#end += n;
    }
  }

  /** Continues in libpcap after the packets delivered so far. */
  #handOver(): void {
    this.#file?.close();
    this.#file = undefined;
    const handle = PcapHandle.openFile(this.path);
    try {
      // The packets already delivered are read again and dropped.
      const scratch = new PacketBatch(SKIP_BATCH);
      let skipped = 0;
      while (skipped < this.#read) {
        scratch.count = 0;
        const n = handle.read(scratch, this.#read - skipped);
        if (n === 0) break;
        skipped += n;
      }
      if (skipped !== this.#read) {
        throw new CaptureError(
          "failed",
          `Cannot read "${this.path}": it changed while being read`,
        );
      }
    } catch (error) {
      handle.close();
      throw error;
    }
    this.#fallback = handle;
  }
}

/** True for a version 2.4 classic pcap header (in byte order `le`) that libpcap reads as it is. */
function plainHeader(view: DataView, le: boolean): boolean {
  const snaplen = view.getUint32(16, le);
  return view.getUint16(4, le) === 2 && view.getUint16(6, le) === 4 &&
    snaplen > 0 && snaplen <= MAXIMUM_SNAPLEN && PASSED_THROUGH.has(view.getUint32(20, le));
}
