// Walks a run of pcap savefile records in memory and decodes each into a PacketBatch.
//
// The records are what libpcap's pcap_dump() writes: a 16-byte header (seconds, sub-second,
// captured length, original length, in the writing host's byte order) followed by the bytes.

import { decodeFrame } from "./decode_link.ts";
import { clearSlot, PacketBatch, pointRaw } from "./packet_batch.ts";

/** Size of a pcap record header. */
export const RECORD_HEADER_BYTES = 16;

/** Where decodeRecords() stopped, kept in one reused object. */
export interface RecordCursor {
  /** Offset of the first record not yet decoded. */
  offset: number;
  /** Set when a record claimed more bytes than the run holds (the writer ran out of room). */
  overrun: boolean;
}

/** How to read the records of one stream. */
export interface RecordFormat {
  /** Link decoder from link_types.ts. */
  decoder: number;
  /** Byte order of the record headers. */
  littleEndian: boolean;
  /** 1000 when the sub-second field is in microseconds, 1 when it is in nanoseconds. */
  nsecPerUnit: number;
}

const MAGIC_MICROSECONDS = 0xa1b2c3d4;
const MAGIC_NANOSECONDS = 0xa1b23c4d;

/**
 * Byte order and sub-second unit of a pcap savefile, from the magic number at the start of its
 * header in `header`; undefined when the magic is not a classic pcap one.
 */
export function savefileOrder(
  header: DataView,
): { littleEndian: boolean; nsecPerUnit: number } | undefined {
  for (const littleEndian of [true, false]) {
    const magic = header.getUint32(0, littleEndian);
    if (magic === MAGIC_MICROSECONDS) return { littleEndian, nsecPerUnit: 1000 };
    if (magic === MAGIC_NANOSECONDS) return { littleEndian, nsecPerUnit: 1 };
  }
  return undefined;
}

/**
 * Decodes records from `bytes[cursor.offset, end)` into `batch`, appending from `batch.count`
 * until the batch is full or the run ends. Updates `cursor` in place; allocates nothing. Sets
 * `batch.raw` to `bytes`, which the payload offsets of the packets decoded point into.
 */
export function decodeRecords(
  bytes: Uint8Array,
  dv: DataView,
  end: number,
  format: RecordFormat,
  batch: PacketBatch,
  cursor: RecordCursor,
): void {
  const le = format.littleEndian;
  const decoder = format.decoder;
  const nsecPerUnit = format.nsecPerUnit;
  let off = cursor.offset;
  let i = batch.count;
  const capacity = batch.capacity;
  pointRaw(batch, bytes, false);
  while (i < capacity && end - off >= RECORD_HEADER_BYTES) {
    const capLen = dv.getUint32(off + 8, le);
    if (capLen > end - off - RECORD_HEADER_BYTES) {
      cursor.overrun = true;
      break;
    }
    batch.tsSec[i] = dv.getUint32(off, le);
    // A damaged sub-second field can exceed one second; the typed array wraps it modulo 2^32.
    batch.tsNsec[i] = dv.getUint32(off + 4, le) * nsecPerUnit;
    batch.wireLen[i] = dv.getUint32(off + 12, le);
    clearSlot(batch, i);
    decodeFrame(bytes, dv, off + RECORD_HEADER_BYTES, capLen, decoder, batch, i);
    off += RECORD_HEADER_BYTES + capLen;
    i++;
  }
  finish(batch, cursor, i, off);
}

/**
 * Stores where decodeRecords() ended. A call rather than two stores after its loop: V8 compiles
 * the loop on its first long run (OSR), before those stores ever ran, and stores with no type
 * feedback made every later run leave the compiled loop through a deoptimization (measured);
 * a call site needs no feedback.
 */
function finish(batch: PacketBatch, cursor: RecordCursor, count: number, offset: number): void {
  batch.count = count;
  cursor.offset = offset;
}
