// A capture file's format and link type, read from its header (pcap) or first IDB (pcapng).

/** "pcap" or "pcapng", and the LINKTYPE_ number the file declares. */
export interface FileHeader {
  format: "pcap" | "pcapng";
  /** The link type; for pcapng, every interface's, joined by "/" when they differ. */
  linktype: string;
}

const PCAP_MAGICS = [0xa1b2c3d4, 0xa1b23c4d]; // microsecond, nanosecond
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_IDB = 1;

/** Reads the header of the capture at `path`; throws on a file that is neither format. */
export async function fileHeader(path: string): Promise<FileHeader> {
  const bytes = await Deno.readFile(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, true);
  for (const little of [true, false]) {
    if (PCAP_MAGICS.includes(view.getUint32(0, little))) {
      // pcap: 24-byte header, link type at offset 20; its upper bits are FCS and reserved.
      return { format: "pcap", linktype: String(view.getUint32(20, little) & 0x03ffffff) };
    }
  }
  if (magic !== PCAPNG_SHB) throw new Error(`${path} is neither pcap nor pcapng`);
  // pcapng: blocks of (type, total length, body); the SHB's byte-order magic sets endianness.
  const little = view.getUint32(8, true) === 0x1a2b3c4d;
  const types = new Set<number>();
  for (let at = 0; at + 12 <= bytes.length;) {
    const type = view.getUint32(at, little);
    const length = view.getUint32(at + 4, little);
    if (length < 12) break;
    if (type === PCAPNG_IDB) types.add(view.getUint16(at + 8, little));
    at += length;
  }
  return { format: "pcapng", linktype: [...types].join("/") };
}
