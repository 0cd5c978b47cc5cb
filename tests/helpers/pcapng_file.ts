// Builds pcapng files block by block for tests: any byte order, resolutions, sections, packet
// block types, and damage on purpose.

/** One option: code and value bytes. */
export type PcapngOption = [code: number, value: Uint8Array];

/** Writes blocks in one byte order; `bytes()` returns the file so far. */
export class PcapngBuilder {
  readonly littleEndian: boolean;
  #parts: Uint8Array[] = [];

  constructor(littleEndian = true) {
    this.littleEndian = littleEndian;
  }

  /** A block of `type` with `body` (padded to 4 bytes) between its header and trailer. */
  block(type: number, body: Uint8Array, lengthOverride?: { header?: number; trailer?: number }) {
    const padded = (body.length + 3) & ~3;
    const length = 12 + padded;
    const out = new Uint8Array(length);
    const view = new DataView(out.buffer);
    view.setUint32(0, type, this.littleEndian);
    view.setUint32(4, lengthOverride?.header ?? length, this.littleEndian);
    out.set(body, 8);
    view.setUint32(length - 4, lengthOverride?.trailer ?? length, this.littleEndian);
    this.#parts.push(out);
    return this;
  }

  /** A section header block, version 1.0 unless told. */
  shb(major = 1, minor = 0): this {
    const body = this.#fields([[4, 0x1a2b3c4d], [2, major], [2, minor], [4, 0xffffffff], [
      4,
      0xffffffff,
    ]]);
    return this.block(0x0a0d0d0a, body);
  }

  /** An interface description block with options (if_tsresol is code 9, if_tsoffset 14). */
  idb(linktype: number, snaplen: number, options: PcapngOption[] = []): this {
    return this.block(
      1,
      concat([this.#fields([[2, linktype], [2, 0], [4, snaplen]]), ...this.#options(options)]),
    );
  }

  /** An enhanced packet block: interface, 64-bit timestamp, lengths and data. */
  epb(
    iface: number,
    timestamp: bigint,
    data: Uint8Array,
    wireLen = data.length,
    capLen = data.length,
  ) {
    const fixed = this.#fields([
      [4, iface],
      [4, Number(timestamp >> 32n)],
      [4, Number(timestamp & 0xffffffffn)],
      [4, capLen],
      [4, wireLen],
    ]);
    return this.block(6, concat([fixed, data]));
  }

  /** A simple packet block: original length and data (no timestamp, interface 0). */
  spb(data: Uint8Array, wireLen = data.length): this {
    return this.block(3, concat([this.#fields([[4, wireLen]]), data]));
  }

  /** The obsolete packet block: 16-bit interface and drop count, then as an EPB. */
  pb(iface: number, timestamp: bigint, data: Uint8Array): this {
    const fixed = this.#fields([
      [2, iface],
      [2, 0],
      [4, Number(timestamp >> 32n)],
      [4, Number(timestamp & 0xffffffffn)],
      [4, data.length],
      [4, data.length],
    ]);
    return this.block(2, concat([fixed, data]));
  }

  /** The file so far. */
  bytes(): Uint8Array<ArrayBuffer> {
    return concat(this.#parts);
  }

  /** An 8-byte option value of a signed 64-bit number in this byte order. */
  int64(value: bigint): Uint8Array {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigInt64(0, value, this.littleEndian);
    return out;
  }

  #fields(fields: [size: number, value: number][]): Uint8Array {
    const out = new Uint8Array(fields.reduce((n, [size]) => n + size, 0));
    const view = new DataView(out.buffer);
    let at = 0;
    for (const [size, value] of fields) {
      if (size === 2) view.setUint16(at, value, this.littleEndian);
      else view.setUint32(at, value, this.littleEndian);
      at += size;
    }
    return out;
  }

  #options(options: PcapngOption[]): Uint8Array[] {
    if (!options.length) return [];
    const parts = options.map(([code, value]) => {
      const padded = new Uint8Array(4 + ((value.length + 3) & ~3));
      const view = new DataView(padded.buffer);
      view.setUint16(0, code, this.littleEndian);
      view.setUint16(2, value.length, this.littleEndian);
      padded.set(value, 4);
      return padded;
    });
    return [...parts, new Uint8Array(4)]; // opt_endofopt
  }
}

function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
