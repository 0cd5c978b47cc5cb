// Reads pcap and pcapng files straight into batches, without libpcap, for the common case;
// libpcap (PcapHandle) reads everything else and takes over wherever a file stops being plain.
//
// Reading a file through libpcap costs a copy of every record through pcap_dump() and stdio:
// about a third of `report --flows` on a large capture. And pcap_dump()'s records hold 32-bit
// seconds, so pcapng timestamps past 2106 would wrap. A classic pcap file is already the record
// format decodeRecords() walks, and pcapng blocks are walked by pcapng_blocks.ts, so the file's
// own bytes are decoded in place, read in large chunks. libpcap's behaviour on damaged files
// is kept exactly: this reader accepts only what libpcap reads the same way (classic version
// 2.4 or pcapng 1.0/1.2, a link type libpcap passes through unchanged, records no longer than
// the snapshot length, and whole), and at the first record or block that is anything else it
// opens the file with libpcap, skips the packets already delivered and goes on there, so that
// libpcap decides what happens (truncate, stop with an error, or go on).

import { CaptureError } from "./capture_error.ts";
import { type LinkType, linkType } from "./link_types.ts";
import { PacketBatch, pointRaw } from "./packet_batch.ts";
import { PcapngWalker, Walk } from "./pcapng_blocks.ts";
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
  /**
   * Decodes up to `limit` packets into `batch`, appending; 0 at the end. Sets `batch.raw`:
   * the payload offsets of the packets this call decoded point into it until the next call.
   */
  read(batch: PacketBatch, limit?: number): number;
  stats(): undefined | ReturnType<PcapHandle["stats"]>;
  close(): void;
}

const FILE_HEADER_BYTES = 24;
/** libpcap's MAXIMUM_SNAPLEN: the longest record it reads for these link types. */
const MAXIMUM_SNAPLEN = 262144;
/**
 * Link types whose LINKTYPE value libpcap reports unchanged as the DLT, with packet bytes it
 * leaves as they are: NULL, EN10MB, PPP, PPP_SERIAL, PPP_ETHER, C_HDLC, IEEE802_11, LINUX_SLL,
 * IEEE802_11_RADIO, PPI, PPP_WITH_DIR, C_HDLC_WITH_DIR, IPV4, IPV6, NFLOG (whose headers it
 * byte-swaps in a file of the other byte order: such files go through libpcap), LINUX_SLL2.
 * Any other goes through libpcap.
 */
const PASSED_THROUGH: ReadonlySet<number> = new Set([
  0,
  1,
  9,
  50,
  51,
  104,
  105,
  113,
  127,
  192,
  204,
  205,
  228,
  229,
  239,
  276,
]);
const DLT_NFLOG = 239;
/** Bytes read from the file at a time (a record is at most 256 KiB + 16). */
const CHUNK_BYTES = 8 << 20;
/** Default most packets one read() takes, as PcapHandle's. */
const PER_READ = 1 << 16;
/** Packets read at a time while skipping those delivered before libpcap took over. */
const SKIP_BATCH = 4096;

/**
 * Opens `path` for reading in batches: this reader for a plain pcap or pcapng file with no
 * filter, libpcap for anything else. Throws CaptureError("bad_file") as libpcap does.
 */
export function openCaptureFile(path: string, filter?: string): PacketReader {
  if (!filter) {
    const reader = PcapFileReader.open(path);
    if (reader) return reader;
  }
  return PcapHandle.openFile(path, filter);
}

/** A classic pcap or pcapng file read in chunks and decoded in place. */
export class PcapFileReader implements PacketReader {
  readonly path: string;
  readonly device = undefined;
  readonly linkType: LinkType;
  readonly snaplen: number;
  readonly overruns = 0;
  #file: Deno.FsFile | undefined;
  #bytes: Uint8Array<ArrayBuffer>;
  #view: DataView;
  /** Undecoded bytes are #bytes[#pos, #end). */
  #pos: number;
  #end: number;
  #eof = false;
  /** Classic pcap: how to read its records. */
  #format: RecordFormat | undefined;
  /** pcapng: the block walker. */
  #blocks: PcapngWalker | undefined;
  #cursor: RecordCursor = { offset: 0, overrun: false };
  #read = 0;
  /** libpcap, once the file stopped being plain. */
  #fallback: PcapHandle | undefined;

  private constructor(
    path: string,
    file: Deno.FsFile,
    chunk: { bytes: Uint8Array<ArrayBuffer>; end: number; eof: boolean; pos: number },
    format: { dlt: number; snaplen: number; records?: RecordFormat; blocks?: PcapngWalker },
  ) {
    this.path = path;
    this.#file = file;
    this.#bytes = chunk.bytes;
    this.#view = new DataView(chunk.bytes.buffer);
    this.#pos = chunk.pos;
    this.#end = chunk.end;
    this.#eof = chunk.eof;
    this.linkType = linkType(format.dlt);
    this.snaplen = format.snaplen;
    this.#format = format.records;
    this.#blocks = format.blocks;
  }

  /** The reader for `path`, or undefined when it is not a file this reader takes. */
  static open(path: string): PcapFileReader | undefined {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path);
    } catch {
      return undefined; // libpcap says why, in its words
    }
    const bytes = new Uint8Array(CHUNK_BYTES);
    let end = 0;
    let eof = false;
    try {
      while (end < bytes.length) {
        const n = file.readSync(bytes.subarray(end));
        if (n === null) {
          eof = true;
          break;
        }
        end += n;
      }
    } catch {
      end = 0; // a directory, or unreadable: libpcap says why
    }
    const view = new DataView(bytes.buffer);
    const order = end >= FILE_HEADER_BYTES ? savefileOrder(view) : undefined;
    if (order && plainHeader(view, order.littleEndian)) {
      const dlt = view.getUint32(20, order.littleEndian);
      const records = { decoder: linkType(dlt).decoder, ...order };
      const snaplen = view.getUint32(16, order.littleEndian);
      const chunk = { bytes, end, eof, pos: FILE_HEADER_BYTES };
      return new PcapFileReader(path, file, chunk, { dlt, snaplen, records });
    }
    const pcapng = order ? undefined : PcapngWalker.open(view, end, PASSED_THROUGH);
    if (pcapng) {
      const { walker, offset } = pcapng;
      const chunk = { bytes, end, eof, pos: offset };
      return new PcapFileReader(path, file, chunk, {
        dlt: walker.dlt,
        snaplen: walker.snaplen,
        blocks: walker,
      });
    }
    file.close();
    return undefined;
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
   * the file. Throws CaptureError("failed") where libpcap stops with an error. A call stops
   * early, with what it has, rather than move the bytes its packets point into (`batch.raw`).
   */
  read(batch: PacketBatch, limit = PER_READ): number {
    if (this.#fallback) return this.#fallback.read(batch, limit);
    const before = batch.count;
    const target = Math.min(batch.capacity, before + limit);
    while (batch.count < target) {
      const from = this.#pos;
      const status = this.#walk(batch, target);
      if (this.#pos !== from) continue;
      if (status === Walk.Progress) break; // the batch is full
      // Stuck at a record that is not whole here, or that libpcap must judge. Moving the
      // bytes or handing over would leave this call's packets pointing at nothing: return
      // them first.
      if (batch.count > before) break;
      const full = this.#pos === 0 && this.#end === this.#bytes.length;
      if (status === Walk.NeedMore && !this.#eof && !full) {
        this.#fill();
        pointRaw(batch, this.#bytes, true); // packets from earlier reads pointed at moved bytes
        continue;
      }
      if (status === Walk.NeedMore && this.#pos === this.#end && this.#eof) break; // the end
      // A record too long, cut short by the end of the file, or damaged: libpcap judges it.
      this.#handOver();
      return this.#fallback!.read(batch, target - batch.count);
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

  /** Decodes the whole, plain records or blocks from #pos, as many as `target` allows. */
  #walk(batch: PacketBatch, target: number): number {
    if (this.#blocks) {
      const count = batch.count;
      this.#cursor.offset = this.#pos;
      const status = this.#blocks.walk(
        this.#bytes,
        this.#view,
        this.#end,
        batch,
        target,
        this.#cursor,
      );
      this.#read += batch.count - count;
      this.#pos = this.#cursor.offset;
      return status;
    }
    // The run of whole, plain records from #pos, at most as many as fit.
    const format = this.#format!;
    const le = format.littleEndian;
    let off = this.#pos;
    let records = 0;
    const room = target - batch.count;
    let status: number = Walk.NeedMore;
    while (records < room && this.#end - off >= RECORD_HEADER_BYTES) {
      const capLen = this.#view.getUint32(off + 8, le);
      if (capLen > this.snaplen) {
        status = Walk.NotPlain;
        break;
      }
      if (this.#end - off - RECORD_HEADER_BYTES < capLen) break;
      off += RECORD_HEADER_BYTES + capLen;
      records++;
    }
    if (records === room) status = Walk.Progress;
    if (records > 0) {
      this.#cursor.offset = this.#pos;
      decodeRecords(this.#bytes, this.#view, off, format, batch, this.#cursor);
      this.#pos = this.#cursor.offset;
      this.#read += records;
    }
    return status;
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
  const dlt = view.getUint32(20, le);
  return view.getUint16(4, le) === 2 && view.getUint16(6, le) === 4 &&
    snaplen > 0 && snaplen <= MAXIMUM_SNAPLEN && PASSED_THROUGH.has(dlt) &&
    (dlt !== DLT_NFLOG || le);
}
