// Writes small MaxMind DB (MMDB v2) files for tests: an IPv6 search tree (IPv4 networks under
// ::/96, as MaxMind's own files have them), a data section of maps, and the metadata.
// Format: https://maxmind.github.io/MaxMind-DB/ (24-bit records).

/** One network and the record stored for it. */
export interface MmdbEntry {
  /** CIDR: "192.0.2.0/24" or "2001:db8::/32". */
  network: string;
  data: unknown;
}

interface TrieNode {
  children: [TrieNode | number | undefined, TrieNode | number | undefined];
}

/**
 * An MMDB file holding `entries` (more specific networks must come after their parents). With
 * `ipVersion` 4, an IPv4-only tree of 32-bit addresses, as ip-location-db's "-ipv4" files are.
 */
export function writeMmdb(
  entries: MmdbEntry[],
  databaseType = "Test-DB",
  ipVersion: 4 | 6 = 6,
): Uint8Array {
  const data: number[] = [];
  const root: TrieNode = { children: [undefined, undefined] };
  for (const entry of entries) {
    const offset = data.length;
    data.push(...encode(entry.data));
    let [bits, prefix] = networkBits(entry.network);
    if (ipVersion === 4) [bits, prefix] = [bits.slice(96), prefix - 96];
    let node = root;
    for (let i = 0; i < prefix - 1; i++) {
      const b = bits[i];
      let child = node.children[b];
      if (typeof child !== "object") {
        const inherited = child; // a shorter network's data covers both halves below it
        child = { children: [inherited, inherited] };
        node.children[b] = child;
      }
      node = child;
    }
    node.children[bits[prefix - 1]] = -(offset + 1); // data offsets stored negative until numbered
  }
  // Number the nodes breadth first, then write each node's two 24-bit records.
  const nodes: TrieNode[] = [root];
  for (let i = 0; i < nodes.length; i++) {
    for (const c of nodes[i].children) if (typeof c === "object") nodes.push(c);
  }
  const count = nodes.length;
  const tree = new Uint8Array(count * 6);
  nodes.forEach((node, i) => {
    node.children.forEach((c, side) => {
      let value: number;
      if (typeof c === "object") value = nodes.indexOf(c);
      else if (c === undefined) value = count; // no data
      else value = count + 16 + (-c - 1);
      const at = i * 6 + side * 3;
      tree[at] = (value >> 16) & 0xff;
      tree[at + 1] = (value >> 8) & 0xff;
      tree[at + 2] = value & 0xff;
    });
  });
  const metadata = encode({
    node_count: count,
    record_size: 24,
    ip_version: ipVersion,
    database_type: databaseType,
    languages: ["en"],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: 1700000000,
    description: { en: "Netwatch test database" },
  }, {
    node_count: 6,
    record_size: 5,
    ip_version: 5,
    binary_format_major_version: 5,
    binary_format_minor_version: 5,
    build_epoch: 9,
  });
  const marker = [0xab, 0xcd, 0xef, ...new TextEncoder().encode("MaxMind.com")];
  return new Uint8Array([...tree, ...new Array(16).fill(0), ...data, ...marker, ...metadata]);
}

/** 128 bits of the network and its prefix length (IPv4 mapped under ::/96). */
function networkBits(cidr: string): [number[], number] {
  const [address, lengthText] = cidr.split("/");
  const bytes: number[] = new Array(16).fill(0);
  let prefix = Number(lengthText);
  if (address.includes(".")) {
    address.split(".").forEach((p, i) => bytes[12 + i] = Number(p));
    prefix += 96;
  } else {
    const [head, tail] = address.split("::");
    const h = head ? head.split(":") : [];
    const t = tail ? tail.split(":") : [];
    const groups = [...h, ...new Array(8 - h.length - t.length).fill("0"), ...t];
    groups.forEach((g, i) => {
      const v = parseInt(g, 16);
      bytes[2 * i] = v >> 8;
      bytes[2 * i + 1] = v & 0xff;
    });
  }
  const bits = bytes.flatMap((b) => [7, 6, 5, 4, 3, 2, 1, 0].map((s) => (b >> s) & 1));
  return [bits, prefix];
}

/** MMDB data encoding; `types` picks an integer type per map key (5 uint16, 6 uint32, 9 uint64). */
function encode(value: unknown, types: Record<string, number> = {}, key = ""): number[] {
  if (typeof value === "string") {
    const bytes = [...new TextEncoder().encode(value)];
    return [...control(2, bytes.length), ...bytes];
  }
  if (typeof value === "number") {
    const type = types[key] ?? 6;
    const out: number[] = [];
    for (let v = value; v > 0; v = Math.floor(v / 256)) out.unshift(v % 256);
    return [...control(type, out.length), ...out];
  }
  if (typeof value === "boolean") return control(14, value ? 1 : 0);
  if (Array.isArray(value)) {
    return [
      ...control(11, value.length),
      ...value.flatMap((v) => encode(v, types)),
    ];
  }
  if (value && typeof value === "object") {
    const pairs = Object.entries(value);
    return [
      ...control(7, pairs.length),
      ...pairs.flatMap(([k, v]) => [...encode(k), ...encode(v, types, k)]),
    ];
  }
  throw new TypeError(`Cannot encode ${String(value)} in an MMDB`);
}

/** A control byte (and extended type byte, and size bytes) for `type` and `size`. */
function control(type: number, size: number): number[] {
  const head = type <= 7 ? type << 5 : 0;
  const extended = type > 7 ? [type - 7] : [];
  if (size < 29) return [head | size, ...extended];
  if (size < 285) return [head | 29, ...extended, size - 29];
  const s = size - 285;
  return [head | 30, ...extended, s >> 8, s & 0xff];
}
