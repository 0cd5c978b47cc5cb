// Walks pcapng blocks in memory and decodes their packets into a PacketBatch, for the plain
// files that libpcap would read the same way; pcap_file.ts hands anything else to libpcap.
//
// Read here rather than through libpcap for one reason besides speed: libpcap's savefile
// records hold 32-bit seconds, so pcapng's 64-bit timestamps past 2106 wrap there. "Plain"
// follows libpcap 1.10's sf-pcapng.c: every check it makes is made here, and where it would
// fail, or where this reader could not compute the same timestamp exactly in float64
// arithmetic, the walk stops with NotPlain at that block, so that libpcap decides.

import { decodeFrame } from "./decode_link.ts";
import { linkType } from "./link_types.ts";
import { clearSlot, type PacketBatch, pointRaw } from "./packet_batch.ts";

/** What a walk ended on. */
export const Walk = {
  /** It decoded or skipped blocks, or the batch is full: call again. */
  Progress: 0,
  /** The next block is not whole in the bytes given: read more first. */
  NeedMore: 1,
  /** The next block is one libpcap must judge (an error, or a form not read here). */
  NotPlain: 2,
} as const;

const BT_SHB = 0x0a0d0d0a;
const BT_IDB = 0x00000001;
const BT_PB = 0x00000002; // obsolete Packet Block
const BT_SPB = 0x00000003;
const BT_EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** libpcap's limits: an SHB is at most 1 MiB, any block at most 16 MiB. */
const SHB_MAX = 1 << 20;
const BLOCK_MAX = 16 << 20;
const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;
/** libpcap's MAXIMUM_SNAPLEN, which a snapshot length of 0 or above it becomes. */
const MAXIMUM_SNAPLEN = 262144;
/** Interfaces kept per section; a file with more goes to libpcap. */
const MAX_INTERFACES = 4096;
const DLT_NFLOG = 239;
/** 2^32, and the largest count of whole seconds a float64 holds exactly. */
const TWO_32 = 4294967296;
const TWO_21 = 2097152;

/**
 * The state of a pcapng file being walked: byte order, the first interface's link type and
 * snapshot length (the file's, as reported), and for each interface of the current section its
 * own link type and snapshot length and how it turns timestamps into seconds and nanoseconds.
 *
 * libpcap 1.10 stops at an interface whose link type or snapshot length differs from the first
 * one's ("an interface has a type ... different from the type of the first interface"), though
 * such files are valid pcapng and common (dumpcap -i eth0 -i wlan0). Each packet is decoded with
 * its own interface's link type here, so they are read whole; a packet on an interface whose
 * link type is not read here still goes to libpcap, which says why it stops.
 */
export class PcapngWalker {
  readonly littleEndian: boolean;
  readonly dlt: number;
  readonly snaplen: number;
  readonly #passedThrough: ReadonlySet<number>;
  #interfaces = 0;
  /** Each interface's link decoder, or -1 for a link type libpcap must judge. */
  readonly #decoders = new Int32Array(MAX_INTERFACES);
  /** Each interface's snapshot length (libpcap's adjusted value). */
  readonly #snaplens = new Uint32Array(MAX_INTERFACES);
  /** Units per second (if_tsresol), below 2^37 so that long division stays exact. */
  readonly #units = new Float64Array(MAX_INTERFACES);
  /** Nanoseconds = floor(remainder * #nsMul / #nsDiv), exact for the resolutions taken. */
  readonly #nsMul = new Float64Array(MAX_INTERFACES);
  readonly #nsDiv = new Float64Array(MAX_INTERFACES);
  /** if_tsoffset, in seconds. */
  readonly #offset = new Float64Array(MAX_INTERFACES);

  private constructor(
    littleEndian: boolean,
    dlt: number,
    snaplen: number,
    passedThrough: ReadonlySet<number>,
  ) {
    this.littleEndian = littleEndian;
    this.dlt = dlt;
    this.snaplen = snaplen;
    this.#passedThrough = passedThrough;
  }

  /**
   * Reads the section header and the blocks up to the first interface description from the
   * start of a file, whose first `end` bytes `view` holds. Returns the walker and where the
   * next block starts, or undefined when the file is not a plain pcapng file (or its start is
   * not within `end`).
   * `passedThrough` tells which link types libpcap reports unchanged.
   */
  static open(
    view: DataView,
    end: number,
    passedThrough: ReadonlySet<number>,
  ): { walker: PcapngWalker; offset: number } | undefined {
    if (end < 28 || view.getUint32(0, true) !== BT_SHB) return undefined;
    let le: boolean;
    if (view.getUint32(8, true) === BYTE_ORDER_MAGIC) le = true;
    else if (view.getUint32(8, false) === BYTE_ORDER_MAGIC) le = false;
    else return undefined;
    const shbLength = wholeBlock(view, 0, end, le);
    if (shbLength < 28 || shbLength > SHB_MAX) return undefined;
    const major = view.getUint16(12, le);
    const minor = view.getUint16(14, le);
    if (major !== 1 || (minor !== 0 && minor !== 2)) return undefined;
    for (let at = shbLength; at < end;) {
      const length = wholeBlock(view, at, end, le);
      if (length < 0) return undefined;
      const type = view.getUint32(at, le);
      if (type === BT_EPB || type === BT_SPB || type === BT_PB) return undefined;
      if (type === BT_IDB) {
        if (length < 20) return undefined; // header, fixed part, trailer
        const dlt = view.getUint16(at + 8, le);
        if (!passedThrough.has(dlt) || (dlt === DLT_NFLOG && !le)) return undefined;
        const snaplen = adjustSnaplen(view.getUint32(at + 12, le));
        const walker = new PcapngWalker(le, dlt, snaplen, passedThrough);
        if (!walker.#addInterface(view, at, length)) return undefined;
        return { walker, offset: at + length };
      }
      at += length;
    }
    return undefined;
  }

  /**
   * Walks the blocks in `bytes[cursor.offset, end)`, decoding packets into `batch` (appending)
   * until it holds `target` packets, and moves `cursor.offset` past what it took. Sets
   * `batch.raw` to `bytes`.
   */
  walk(
    bytes: Uint8Array,
    view: DataView,
    end: number,
    batch: PacketBatch,
    target: number,
    cursor: { offset: number },
  ): number {
    const le = this.littleEndian;
    let at = cursor.offset;
    let status: number = Walk.Progress;
    pointRaw(batch, bytes, false);
    while (batch.count < target) {
      if (end - at < 12) {
        status = Walk.NeedMore;
        break;
      }
      const length = wholeBlock(view, at, end, le);
      if (length === NOT_WHOLE) {
        status = Walk.NeedMore;
        break;
      }
      if (length < 0) {
        status = Walk.NotPlain;
        break;
      }
      const type = view.getUint32(at, le);
      if (type === BT_EPB || type === BT_PB || type === BT_SPB) {
        if (!this.#packet(bytes, view, at, length, type, batch)) {
          status = Walk.NotPlain;
          break;
        }
      } else if (type === BT_IDB) {
        if (length < 20 || !this.#addInterface(view, at, length)) {
          status = Walk.NotPlain;
          break;
        }
      } else if (type === BT_SHB) {
        // A new section: same byte order and major version, and interfaces of its own.
        if (length < 28 || view.getUint32(at + 8, le) !== BYTE_ORDER_MAGIC) {
          status = Walk.NotPlain;
          break;
        }
        if (view.getUint16(at + 12, le) !== 1) {
          status = Walk.NotPlain;
          break;
        }
        this.#interfaces = 0;
      }
      at += length;
    }
    cursor.offset = at;
    return status;
  }

  /** Decodes the packet block at `at` into the batch; false when libpcap must judge it. */
  #packet(
    bytes: Uint8Array,
    view: DataView,
    at: number,
    length: number,
    type: number,
    batch: PacketBatch,
  ): boolean {
    const le = this.littleEndian;
    const body = length - 12; // block header and trailer
    let iface: number;
    let hi = 0;
    let lo = 0;
    let capLen: number;
    let wireLen: number;
    let data: number;
    if (type === BT_SPB) {
      if (body < 4) return false;
      iface = 0;
      wireLen = view.getUint32(at + 8, le);
      const snaplen = this.#snaplens[0];
      capLen = wireLen < snaplen ? wireLen : snaplen;
      data = at + 12;
      if (body - 4 < capLen) return false;
    } else {
      // EPB: interface (32 bits), timestamp high, low, captured and original length.
      // PB: interface (16 bits), drops (16 bits), then the same.
      if (body < 20) return false;
      iface = type === BT_EPB ? view.getUint32(at + 8, le) : view.getUint16(at + 8, le);
      hi = view.getUint32(at + 12, le);
      lo = view.getUint32(at + 16, le);
      capLen = view.getUint32(at + 20, le);
      wireLen = view.getUint32(at + 24, le);
      data = at + 28;
      if (iface >= this.#interfaces) return false;
      if (capLen > this.#snaplens[iface] || body - 20 < capLen) return false;
    }
    if (iface >= this.#interfaces) return false;
    const decoder = this.#decoders[iface];
    if (decoder < 0) return false;
    // Seconds = t / units + offset, by long division of (hi, lo) in 16-bit digits: every
    // intermediate stays below 2^53 because units < 2^37.
    const units = this.#units[iface];
    const qHi = Math.floor(hi / units);
    if (qHi >= TWO_21) return false; // 2^53 seconds or more
    let r = hi - qHi * units;
    let x = r * 65536 + (lo >>> 16);
    const q1 = Math.floor(x / units);
    r = x - q1 * units;
    x = r * 65536 + (lo & 0xffff);
    const q0 = Math.floor(x / units);
    r = x - q0 * units;
    const seconds = qHi * TWO_32 + q1 * 65536 + q0 + this.#offset[iface];
    if (seconds < 0 || seconds > Number.MAX_SAFE_INTEGER) return false; // libpcap wraps these
    const i = batch.count++;
    batch.tsSec[i] = seconds;
    batch.tsNsec[i] = Math.floor(r * this.#nsMul[iface] / this.#nsDiv[iface]);
    batch.wireLen[i] = wireLen;
    clearSlot(batch, i);
    decodeFrame(bytes, view, data, capLen, decoder, batch, i);
    return true;
  }

  /**
   * Adds the interface described by the IDB at `at`, reading its options as libpcap does
   * (if_tsresol, if_tsoffset; each at most once, with the right length). False when libpcap
   * would fail on them, or their resolution is one not computed exactly here.
   */
  #addInterface(view: DataView, at: number, length: number): boolean {
    if (this.#interfaces === MAX_INTERFACES) return false;
    const le = this.littleEndian;
    let decimal = 6; // microseconds by default
    let binary = -1;
    let offset = 0;
    let sawResolution = false;
    let sawOffset = false;
    const end = at + length - 4;
    for (let p = at + 16; p < end;) {
      if (end - p < 4) return false;
      const code = view.getUint16(p, le);
      const size = view.getUint16(p + 2, le);
      const padded = (size + 3) & ~3;
      if (end - p - 4 < padded) return false;
      if (code === 0) {
        if (size !== 0) return false;
        break; // opt_endofopt: libpcap reads no further
      }
      if (code === IF_TSRESOL) {
        if (size !== 1 || sawResolution) return false;
        sawResolution = true;
        const value = view.getUint8(p + 4);
        if (value & 0x80) binary = value & 0x7f;
        else decimal = value;
      } else if (code === IF_TSOFFSET) {
        if (size !== 8 || sawOffset) return false;
        sawOffset = true;
        const high = view.getInt32(p + (le ? 8 : 4), le);
        const low = view.getUint32(p + (le ? 4 : 8), le);
        if (high >= TWO_21 || high < -TWO_21) return false;
        offset = high * TWO_32 + low;
      }
      p += 4 + padded;
    }
    const n = this.#interfaces;
    if (binary >= 0) {
      if (binary > 32) return false;
      this.#units[n] = 2 ** binary;
      // 1e9 = 2^9 * 1953125: r * 1953125 / 2^(k-9) keeps the product below 2^53.
      this.#nsMul[n] = binary >= 9 ? 1953125 : 1e9;
      this.#nsDiv[n] = binary >= 9 ? 2 ** (binary - 9) : 2 ** binary;
    } else {
      if (decimal > 11) return false;
      this.#units[n] = 10 ** decimal;
      this.#nsMul[n] = decimal <= 9 ? 10 ** (9 - decimal) : 1;
      this.#nsDiv[n] = decimal <= 9 ? 1 : 10 ** (decimal - 9);
    }
    this.#offset[n] = offset;
    const dlt = view.getUint16(at + 8, le);
    const readHere = this.#passedThrough.has(dlt) && (dlt !== DLT_NFLOG || le);
    this.#decoders[n] = readHere ? linkType(dlt).decoder : -1;
    this.#snaplens[n] = adjustSnaplen(view.getUint32(at + 12, le));
    this.#interfaces = n + 1;
    return true;
  }
}

/** wholeBlock(): the block runs past the bytes given. */
const NOT_WHOLE = -1;
/** wholeBlock(): the block's lengths are ones libpcap rejects. */
const BAD_BLOCK = -2;

/**
 * Total length of the block at `at` when it is whole in `[at, end)` and its lengths are sound
 * (at least 12, a multiple of 4, at most libpcap's maximum, the trailer repeating it);
 * NOT_WHOLE or BAD_BLOCK otherwise.
 */
function wholeBlock(view: DataView, at: number, end: number, le: boolean): number {
  if (end - at < 12) return NOT_WHOLE;
  const length = view.getUint32(at + 4, le);
  if (length < 12 || length % 4 !== 0 || length > BLOCK_MAX) return BAD_BLOCK;
  if (end - at < length) return NOT_WHOLE;
  if (view.getUint32(at + length - 4, le) !== length) return BAD_BLOCK;
  return length;
}

/** libpcap's pcapint_adjust_snapshot() for the link types read here. */
function adjustSnaplen(snaplen: number): number {
  return snaplen === 0 || snaplen > MAXIMUM_SNAPLEN ? MAXIMUM_SNAPLEN : snaplen;
}
