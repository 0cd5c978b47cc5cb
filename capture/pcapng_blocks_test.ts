// pcapng read without libpcap: timestamps exact past 2106 (against tshark and exact integer
// arithmetic), every resolution and offset as libpcap computes them, and damaged files handed
// to libpcap at the block where it must judge them.

import assert from "node:assert/strict";
import { corpusFiles, corpusPath } from "../tests/helpers/corpus.ts";
import { eth, frame, INNER_TCP } from "../tests/helpers/frames.ts";
import { PcapngBuilder } from "../tests/helpers/pcapng_file.ts";
import { CaptureError } from "./capture_error.ts";
import { PacketBatch } from "./packet_batch.ts";
import { openCaptureFile, type PacketReader, PcapFileReader } from "./pcap_file.ts";
import { PcapHandle } from "./pcap_handle.ts";

const PACKET = frame(eth("0800", INNER_TCP));

/** Timestamps ("sec.nnnnnnnnn"), lengths and ports of every packet, and how reading ended. */
function readAll(reader: PacketReader) {
  const batch = new PacketBatch(64);
  const packets: string[] = [];
  let error = "";
  try {
    for (;;) {
      batch.count = 0;
      let n = 0;
      try {
        n = reader.read(batch, 7);
      } catch (failure) {
        if (!(failure instanceof CaptureError)) throw failure;
        error = failure.message;
      }
      for (let i = 0; i < batch.count; i++) {
        const ts = `${batch.tsSec[i]}.${String(batch.tsNsec[i]).padStart(9, "0")}`;
        packets.push(`${ts} ${batch.wireLen[i]} ${batch.srcPort[i]} ${batch.dstPort[i]}`);
      }
      if (n === 0 || error) break;
    }
    return { packets, error, count: reader.packetsRead };
  } finally {
    reader.close();
  }
}

/** The same, with seconds modulo 2^32 as libpcap's 32-bit records hold them. */
function wrapped(result: ReturnType<typeof readAll>) {
  return {
    ...result,
    packets: result.packets.map((p) => p.replace(/^\d+/, (s) => String(Number(s) % 2 ** 32))),
  };
}

/** Reads `bytes` as a file with Netwatch's reader and with libpcap; says which read it. */
function bothReaders(bytes: Uint8Array) {
  const path = Deno.makeTempFileSync({ suffix: ".pcapng" });
  try {
    Deno.writeFileSync(path, bytes);
    const own = openCaptureFile(path);
    const got = readAll(own);
    const kind = !(own instanceof PcapFileReader)
      ? "libpcap"
      : own.handedOverAt === undefined
      ? "own"
      : "handed over";
    return { got, libpcap: readAll(PcapHandle.openFile(path)), kind };
  } finally {
    Deno.removeSync(path);
  }
}

/** "sec.nnnnnnnnn" of timestamp `t` in `resolution` units a second, plus `offset` s: by BigInt. */
function exact(t: bigint, resolution: bigint, offset = 0n): string {
  const sec = t / resolution + offset;
  const nsec = (t % resolution) * 1_000_000_000n / resolution;
  return `${sec}.${String(nsec).padStart(9, "0")}`;
}

Deno.test("pcapng timestamps are exact for every resolution and offset, past 2106 too", () => {
  const cases: [string, number | undefined, bigint][] = [
    ["microseconds (the default)", undefined, 1_000_000n],
    ["milliseconds", 3, 1000n],
    ["nanoseconds", 9, 1_000_000_000n],
    ["10 picoseconds", 11, 100_000_000_000n],
    ["2^-10 s", 0x8a, 1024n],
    ["2^-20 s", 0x94, 1n << 20n],
    ["2^-32 s", 0xa0, 1n << 32n],
    ["seconds", 0, 1n],
  ];
  const seconds = [
    0n,
    1_700_000_000n,
    4_294_967_295n,
    4_294_967_296n,
    5_000_000_000n,
    32_503_680_000n,
  ];
  for (const [what, tsresol, units] of cases) {
    for (const offset of [0n, 86_400n, -1_000n]) {
      const b = new PcapngBuilder();
      const options: [number, Uint8Array][] = [];
      if (tsresol !== undefined) options.push([9, new Uint8Array([tsresol])]);
      if (offset) options.push([14, b.int64(offset)]);
      b.shb().idb(1, 0, options);
      const want: string[] = [];
      for (const s of seconds) {
        if (s + offset < 0n || (s * units) >> 64n) continue;
        const t = s * units + (units * 3n) / 7n; // a fraction that is not round in any unit
        b.epb(0, t, PACKET);
        want.push(`${exact(t, units, offset)} ${PACKET.length} 40000 443`);
      }
      const { got, libpcap, kind } = bothReaders(b.bytes());
      assert.equal(kind, "own", what);
      assert.deepEqual(got.packets, want, `${what}, offset ${offset}`);
      assert.deepEqual(wrapped(got), libpcap, `${what}, offset ${offset}: libpcap, modulo 2^32`);
    }
  }
});

Deno.test("pcapng sections, big-endian files and every packet block type are read natively", () => {
  for (const littleEndian of [true, false]) {
    const b = new PcapngBuilder(littleEndian);
    b.shb().block(0x0bad, new Uint8Array(8)).idb(1, 65535).idb(1, 65535, [[
      9,
      new Uint8Array([9]),
    ]]);
    b.epb(0, 1_700_000_000_000_000n, PACKET).epb(1, 1_700_000_000_123_456_789n, PACKET);
    b.spb(PACKET).pb(1, 1_700_000_001_000_000_000n, PACKET);
    b.block(5, new Uint8Array(24)); // an interface statistics block, skipped
    b.shb(1, 2).idb(1, 65535, [[9, new Uint8Array([3])]]).epb(0, 1_700_000_002_500n, PACKET);
    const { got, libpcap, kind } = bothReaders(b.bytes());
    assert.equal(kind, "own");
    assert.deepEqual(got, libpcap);
    assert.deepEqual(got.packets.map((p) => p.split(" ")[0]), [
      "1700000000.000000000",
      "1700000000.123456789",
      "0.000000000", // a simple packet block has no timestamp
      "1700000001.000000000",
      "1700000002.500000000",
    ]);
  }
});

Deno.test("pcapng interfaces of different link types and snapshot lengths are read whole", () => {
  // dumpcap -i eth0 -i any -i tun0 writes this: libpcap 1.10 stops at the second interface.
  // Linux cooked header: to us, ARPHRD_ETHER, 6-byte address (padded to 8), IPv4.
  const sll = "0000 0001 0006 020000000001 0000 0800";
  const bytes = new PcapngBuilder().shb()
    .idb(1, 1500).idb(113, 9000).idb(228, 65535)
    .epb(0, 1n, PACKET)
    .epb(1, 2n, frame(`${sll} ${INNER_TCP}`))
    .epb(2, 3n, frame(INNER_TCP))
    .bytes();
  const { got, libpcap, kind } = bothReaders(bytes);
  assert.equal(kind, "own");
  assert.match(libpcap.error, /an interface has a type 113 different from the type of the first/);
  assert.equal(got.error, "");
  assert.equal(got.count, 3);
  // The same TCP packet under each link header: decoded alike, ports and all.
  const ports = got.packets.map((p) => p.split(" ").slice(2).join(" "));
  assert.deepEqual(ports, [ports[0], ports[0], ports[0]]);
  assert.notEqual(ports[0], "0 0");
});

Deno.test("damaged pcapng files go to libpcap at the block it must judge", () => {
  const start = () => new PcapngBuilder().shb().idb(1, 1500).epb(0, 1n, PACKET).epb(0, 2n, PACKET);
  const cases: [string, Uint8Array][] = [
    ["cut inside a block", start().epb(0, 3n, PACKET).bytes().slice(0, -10)],
    [
      "trailer length not the header's",
      start().block(6, new Uint8Array(80), { trailer: 96 }).bytes(),
    ],
    [
      "a block length not a multiple of 4",
      start().block(6, new Uint8Array(80), { header: 94 }).bytes(),
    ],
    // A packet on an interface whose link type only libpcap reads (PFLOG).
    ["a link type read by libpcap only", start().idb(117, 1500).epb(1, 3n, PACKET).bytes()],
    ["a packet on an unknown interface", start().epb(3, 3n, PACKET).bytes()],
    ["a packet longer than the snapshot length", start().epb(0, 3n, new Uint8Array(1501)).bytes()],
    ["a section in the other byte order", start().bytes()],
    [
      "if_tsresol given twice",
      start().idb(1, 1500, [[9, new Uint8Array([6])], [9, new Uint8Array([6])]]).bytes(),
    ],
  ];
  // The other byte order's section header, appended whole.
  cases[6][1] = new Uint8Array([...cases[6][1], ...new PcapngBuilder(false).shb().bytes()]);
  for (const [what, bytes] of cases) {
    const { got, libpcap, kind } = bothReaders(bytes);
    assert.equal(kind, "handed over", what);
    assert.deepEqual(got, libpcap, what);
    assert.ok(got.count >= 2, `${what}: the packets before it are delivered`);
  }
  // A resolution this reader does not compute exactly (2^-40) goes to libpcap from the start.
  const fine = new PcapngBuilder().shb().idb(1, 1500, [[9, new Uint8Array([0xa8])]]);
  const { got, libpcap, kind } = bothReaders(fine.epb(0, 3n << 40n, PACKET).bytes());
  assert.deepEqual([kind, got], ["libpcap", libpcap]);
});

Deno.test("pcapng timestamps are tshark's, to the nanosecond, on the corpus (2106 included)", async () => {
  const files = [
    ...corpusFiles("real").map((f) => `real/${f}`),
    ...corpusFiles("malformed").map((f) => `malformed/${f}`),
  ].filter((f) => f.endsWith(".pcapng"));
  let native = 0;
  for (const file of files) {
    const path = corpusPath(file);
    let reader: PacketReader;
    try {
      reader = openCaptureFile(path);
    } catch {
      continue; // libpcap refuses it
    }
    const result = readAll(reader);
    if (!(reader instanceof PcapFileReader) || reader.handedOverAt !== undefined) continue;
    native++;
    const tshark = await new Deno.Command("tshark", {
      args: ["-r", path, "-T", "fields", "-e", "frame.time_epoch"],
      stdout: "piped",
      stderr: "null",
    }).output();
    const want = new TextDecoder().decode(tshark.stdout).trim().split("\n");
    assert.deepEqual(result.packets.map((p) => p.split(" ")[0]), want, file);
    if (file.includes("2106")) assert.deepEqual(want, ["4294967296.000000000"]);
  }
  assert.ok(native >= 5, `only ${native} pcapng files read natively`);
});
