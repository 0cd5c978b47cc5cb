// The pcap and pcapng reader of Netwatch's own against libpcap: the same packets, decoded the
// same way (payload bytes included), and the same end (or the same error, after the same
// packet) on every real and malformed capture.

import assert from "node:assert/strict";
import { corpusFiles, corpusPath } from "../tests/helpers/corpus.ts";
import { CaptureError } from "./capture_error.ts";
import { PacketBatch } from "./packet_batch.ts";
import { openCaptureFile, type PacketReader, PcapFileReader } from "./pcap_file.ts";
import { PcapHandle } from "./pcap_handle.ts";

/** Every field of every packet, and how reading ended. */
function readAll(reader: PacketReader, perRead: number) {
  const batch = new PacketBatch(1000);
  const rows: number[][] = [];
  let error = "";
  try {
    for (;;) {
      batch.count = 0;
      let n = 0;
      try {
        n = reader.read(batch, perRead);
      } catch (failure) {
        if (!(failure instanceof CaptureError)) throw failure;
        error = failure.message;
      }
      for (let i = 0; i < batch.count; i++) {
        const row = [
          // libpcap's records hold 32-bit seconds; this reader keeps pcapng's past 2106.
          batch.tsSec[i] % 2 ** 32,
          batch.tsNsec[i],
          batch.wireLen[i],
          batch.kind[i],
          batch.proto[i],
          batch.flags[i],
          batch.tcpFlags[i],
          batch.srcPort[i],
          batch.dstPort[i],
          batch.vlan[i],
          ...batch.src.subarray(i * 4, i * 4 + 4),
          ...batch.dst.subarray(i * 4, i * 4 + 4),
          batch.tunnel[i],
          // The outer fields mean something only with a tunnel.
          batch.tunnel[i] ? batch.outerKind[i] : -1,
          batch.tunnel[i] ? batch.outerProto[i] : -1,
          batch.tunnel[i] ? batch.outerFlags[i] : -1,
          batch.tcpSeq[i],
          batch.payloadLength[i],
          // The payload bytes themselves: offsets must be right in either reader's memory.
          payloadDigest(batch, i),
        ];
        rows.push(row);
      }
      if (n === 0 || error) break;
    }
    return {
      rows,
      error,
      packets: reader.packetsRead,
      linkType: reader.linkType,
      snaplen: reader.snaplen,
    };
  } finally {
    reader.close();
  }
}

/** FNV-1a of packet `i`'s payload bytes, read through `batch.raw`. */
export function payloadDigest(batch: PacketBatch, i: number): number {
  let h = 0x811c9dc5;
  const start = batch.payloadOffset[i];
  const end = start + batch.payloadLength[i];
  assert.ok(end <= batch.raw.length, `payload of packet ${i} runs past batch.raw`);
  for (let k = start; k < end; k++) h = Math.imul(h ^ batch.raw[k], 0x01000193);
  return h >>> 0;
}

function libpcapOrFailure(path: string): PacketReader | string {
  try {
    return PcapHandle.openFile(path);
  } catch (failure) {
    if (failure instanceof CaptureError) return failure.message;
    throw failure;
  }
}

function ownOrFailure(path: string): PacketReader | string {
  try {
    return openCaptureFile(path);
  } catch (failure) {
    if (failure instanceof CaptureError) return failure.message;
    throw failure;
  }
}

Deno.test("reading a file without libpcap gives what libpcap gives, on every capture", () => {
  const counts = { own: 0, handedOver: 0, libpcap: 0, beyond: 0 };
  const files = [
    ...corpusFiles("real").map((f) => `real/${f}`),
    ...corpusFiles("malformed").map((f) => `malformed/${f}`),
  ];
  assert.ok(files.length >= 100, `expected the corpus, found ${files.length} files`);
  for (const [n, file] of files.entries()) {
    const path = corpusPath(file);
    const expected = libpcapOrFailure(path);
    const reader = ownOrFailure(path);
    if (typeof expected === "string" || typeof reader === "string") {
      assert.equal(reader, expected, `${file}: opening`);
      continue;
    }
    // Vary how many packets a read asks for, so runs end at every kind of boundary.
    const perRead = [1, 7, 1000, 65536][n % 4];
    const got = readAll(reader, perRead);
    const want = readAll(expected, 1000);
    if (/an interface has a (type|snapshot length) \d+ different from/.test(want.error)) {
      // Valid pcapng that libpcap 1.10 stops on (interfaces of different link types or
      // snapshot lengths): read whole here, each packet with its interface's link type. Up to
      // where libpcap stops, the same packets.
      assert.equal(got.error, "", file);
      assert.ok(got.packets > want.packets, `${file}: ${got.packets} after ${want.packets}`);
      assert.deepEqual(got.rows.slice(0, want.rows.length), want.rows, file);
      counts.beyond++;
      continue;
    }
    assert.deepEqual(got, want, file);
    if (!(reader instanceof PcapFileReader)) counts.libpcap++;
    else if (reader.handedOverAt === undefined) counts.own++;
    else counts.handedOver++;
  }
  // The comparison only means something if each path was taken by some files.
  assert.ok(counts.own >= 10, JSON.stringify(counts));
  assert.ok(counts.handedOver >= 3, JSON.stringify(counts));
  assert.ok(counts.libpcap >= 5, JSON.stringify(counts));
  assert.equal(counts.beyond, 3, JSON.stringify(counts));
  console.log(`pcap reader: ${JSON.stringify(counts)}`);
});

Deno.test("libpcap takes over where a file is cut short or a record is too long", () => {
  const source = Deno.readFileSync(corpusPath("real/pcapplusplus_ip-frag.pcap"));
  const view = new DataView(source.buffer);
  assert.equal(view.getUint32(0, true), 0xa1b2c3d4, "a little-endian microsecond capture");
  // Offsets of the first 40 records.
  const offsets: number[] = [];
  for (let off = 24; offsets.length < 40; off += 16 + view.getUint32(off + 8, true)) {
    offsets.push(off);
  }
  const snaplen = view.getUint32(16, true);
  const damaged: [string, Uint8Array][] = [
    ["cut inside a header", source.slice(0, offsets[17] + 9)],
    ["cut inside a record's bytes", source.slice(0, offsets[23] + 16 + 5)],
    [
      "a record longer than the snapshot length",
      (() => {
        const copy = source.slice();
        new DataView(copy.buffer).setUint32(offsets[31] + 8, snaplen + 1, true);
        return copy;
      })(),
    ],
  ];
  const dir = Deno.makeTempDirSync();
  try {
    for (const [what, bytes] of damaged) {
      const path = `${dir}/damaged.pcap`;
      Deno.writeFileSync(path, bytes);
      for (const perRead of [1, 5, 1000]) {
        const reader = openCaptureFile(path);
        assert.ok(reader instanceof PcapFileReader, what);
        const got = readAll(reader, perRead);
        assert.notEqual(reader.handedOverAt, undefined, `${what}: libpcap took over`);
        assert.deepEqual(got, readAll(PcapHandle.openFile(path), 1000), `${what}, ${perRead}`);
        assert.ok(got.packets >= 17, `${what}: ${got.packets} packets`);
      }
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a big-endian pcap file is read as libpcap reads it", () => {
  const source = Deno.readFileSync(corpusPath("real/zeek_wikipedia.pcap"));
  const le = new DataView(source.buffer);
  assert.equal(le.getUint32(0, true), 0xa1b2c3d4, "a little-endian microsecond capture");
  // The same capture written by a big-endian host: every header field byte-swapped.
  const copy = source.slice();
  const be = new DataView(copy.buffer);
  be.setUint32(0, 0xa1b2c3d4, false);
  be.setUint16(4, le.getUint16(4, true), false);
  be.setUint16(6, le.getUint16(6, true), false);
  for (const at of [8, 12, 16, 20]) be.setUint32(at, le.getUint32(at, true), false);
  let records = 0;
  for (let off = 24; off < source.length; records++) {
    for (let w = 0; w < 16; w += 4) be.setUint32(off + w, le.getUint32(off + w, true), false);
    off += 16 + le.getUint32(off + 8, true);
  }
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/big-endian.pcap`;
    Deno.writeFileSync(path, copy);
    const reader = openCaptureFile(path);
    assert.ok(reader instanceof PcapFileReader);
    const got = readAll(reader, 1000);
    assert.equal(reader.handedOverAt, undefined);
    assert.equal(got.packets, records);
    assert.deepEqual(got, readAll(PcapHandle.openFile(path), 1000));
    assert.deepEqual(
      got.rows,
      readAll(PcapHandle.openFile(corpusPath("real/zeek_wikipedia.pcap")), 1000).rows,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
