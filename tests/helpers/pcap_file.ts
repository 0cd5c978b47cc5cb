// Classic pcap files in plain TypeScript, for tests and benchmarks (Netwatch itself uses libpcap).

/** One record of a pcap file. */
export interface PcapRecord {
  tsSec: number;
  /** Microseconds or nanoseconds, per the file's magic. */
  tsFrac: number;
  /** Original length on the wire. */
  wireLen: number;
  /** The captured bytes. */
  data: Uint8Array;
}

export interface PcapContents {
  linktype: number;
  nanoseconds: boolean;
  records: PcapRecord[];
}

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;

/** Parses a classic pcap file (either byte order). Throws on pcapng or a damaged header. */
export function parsePcap(bytes: Uint8Array): PcapContents {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 24) throw new SyntaxError("pcap file shorter than its 24-byte header");
  let le = true;
  let magic = view.getUint32(0, true);
  if (magic !== MAGIC_US && magic !== MAGIC_NS) {
    le = false;
    magic = view.getUint32(0, false);
  }
  if (magic !== MAGIC_US && magic !== MAGIC_NS) {
    throw new SyntaxError(`not a classic pcap file (magic 0x${view.getUint32(0).toString(16)})`);
  }
  const linktype = view.getUint32(20, le) & 0x03ffffff;
  const records: PcapRecord[] = [];
  for (let off = 24; off + 16 <= bytes.length;) {
    const capLen = view.getUint32(off + 8, le);
    if (off + 16 + capLen > bytes.length) break;
    records.push({
      tsSec: view.getUint32(off, le),
      tsFrac: view.getUint32(off + 4, le),
      wireLen: view.getUint32(off + 12, le),
      data: bytes.subarray(off + 16, off + 16 + capLen),
    });
    off += 16 + capLen;
  }
  return { linktype, nanoseconds: magic === MAGIC_NS, records };
}

/** Streams records into a little-endian, microsecond pcap file without holding it in memory. */
export class PcapWriter {
  #file: Deno.FsFile;
  #buffer = new Uint8Array(1 << 20);
  #view = new DataView(this.#buffer.buffer);
  #used = 0;

  constructor(path: string, linktype: number, snaplen = 262144) {
    this.#file = Deno.openSync(path, { write: true, create: true, truncate: true });
    this.#view.setUint32(0, MAGIC_US, true);
    this.#view.setUint16(4, 2, true); // version 2.4
    this.#view.setUint16(6, 4, true);
    this.#view.setUint32(16, snaplen, true);
    this.#view.setUint32(20, linktype, true);
    this.#used = 24;
  }

  /** Appends one record; `data` is the captured part of a `wireLen`-byte frame. */
  write(tsSec: number, tsUsec: number, data: Uint8Array, wireLen = data.length): void {
    if (this.#used + 16 + data.length > this.#buffer.length) this.#flush();
    const v = this.#view;
    v.setUint32(this.#used, tsSec, true);
    v.setUint32(this.#used + 4, tsUsec, true);
    v.setUint32(this.#used + 8, data.length, true);
    v.setUint32(this.#used + 12, wireLen, true);
    this.#buffer.set(data, this.#used + 16);
    this.#used += 16 + data.length;
  }

  close(): void {
    this.#flush();
    this.#file.close();
  }

  #flush(): void {
    let at = 0;
    while (at < this.#used) at += this.#file.writeSync(this.#buffer.subarray(at, this.#used));
    this.#used = 0;
  }
}

/** Bytes from a hex dump: whitespace, newlines and `#` comments to end of line are ignored. */
export function hex(dump: string): Uint8Array<ArrayBuffer> {
  const digits = dump.replace(/#[^\n]*/g, "").replace(/\s+/g, "");
  if (digits.length % 2 !== 0 || /[^0-9a-f]/i.test(digits)) {
    throw new SyntaxError(`bad hex dump: ${digits.slice(0, 40)}...`);
  }
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(i * 2, i * 2 + 2), 16);
  return out;
}
