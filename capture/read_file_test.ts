// Payload bytes stay where a batch says: readCaptureFile() hands each batch with every payload
// in `batch.raw` whichever reader read it, and a batch filled by many reads says from which
// packet on (`rawStart`) its payloads are still there.

import assert from "node:assert/strict";
import { corpusPath } from "../tests/helpers/corpus.ts";
import { parsePcap, PcapWriter } from "../tests/helpers/pcap_file.ts";
import { PacketBatch } from "./packet_batch.ts";
import { openCaptureFile, PcapFileReader } from "./pcap_file.ts";
import { PcapHandle } from "./pcap_handle.ts";
import { readCaptureFile } from "./read_file.ts";

/** FNV-1a of packet `i`'s payload bytes, read through `batch.raw`. */
function digest(batch: PacketBatch, i: number): number {
  const start = batch.payloadOffset[i];
  const end = start + batch.payloadLength[i];
  assert.ok(end <= batch.raw.length, "a payload past the end of batch.raw");
  let h = 0x811c9dc5;
  for (let k = start; k < end; k++) h = Math.imul(h ^ batch.raw[k], 0x01000193);
  return h >>> 0;
}

/** Digest of every packet's payload bytes as onBatch sees them, and the packet count. */
function payloads(path: string, filter?: string): { digests: number[]; packets: number } {
  const digests: number[] = [];
  readCaptureFile(path, (batch) => {
    assert.equal(batch.rawStart, 0, "every packet of a batch from one read has its payload");
    for (let i = 0; i < batch.count; i++) digests.push(digest(batch, i));
  }, filter);
  return { digests, packets: digests.length };
}

/** A 20 MB capture of real TLS traffic, more than twice what Netwatch's reader holds at once. */
function bigCapture(): string {
  const source = parsePcap(Deno.readFileSync(corpusPath("real/pcapplusplus_tls2.pcap")));
  const path = Deno.makeTempFileSync({ suffix: ".pcap" });
  const writer = new PcapWriter(path, source.linktype);
  let bytes = 0;
  for (let copy = 0; bytes < 20 << 20; copy++) {
    for (const r of source.records) {
      writer.write(r.tsSec + copy * 1000, r.tsFrac, r.data, r.wireLen);
      bytes += 16 + r.data.length;
    }
  }
  writer.close();
  return path;
}

Deno.test("readCaptureFile() batches point at their payloads, across buffer refills", () => {
  const path = bigCapture();
  try {
    const own = payloads(path);
    // A filter that passes everything makes libpcap read the file instead.
    const libpcap = payloads(path, "ip or not ip");
    assert.equal(own.packets, libpcap.packets);
    assert.ok(own.packets > 30_000, `${own.packets} packets`);
    assert.deepEqual(own.digests, libpcap.digests);
    assert.ok(own.digests.filter((d) => d !== 0x811c9dc5).length > 10_000, "payloads were read");
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("a batch filled by many small reads keeps its payloads, or says where they start", () => {
  const path = bigCapture();
  try {
    const want = payloads(path).digests;
    // libpcap appends a batch's records after the ones its packets already point into.
    const handle = PcapHandle.openFile(path);
    const batch = new PacketBatch(4096);
    while (batch.count < batch.capacity && handle.read(batch, 7) > 0);
    handle.close();
    assert.equal(batch.count, 4096);
    assert.equal(batch.rawStart, 0);
    for (let i = 0; i < batch.count; i++) assert.equal(digest(batch, i), want[i], `packet ${i}`);
    // Netwatch's reader moves its bytes when it refills: the batch says which are left.
    const reader = openCaptureFile(path);
    assert.ok(reader instanceof PcapFileReader);
    const big = new PacketBatch(60_000);
    while (big.count < big.capacity && reader.read(big, 1000) > 0);
    reader.close();
    assert.ok(big.rawStart > 0 && big.rawStart < big.count, `rawStart ${big.rawStart}`);
    for (let i = big.rawStart; i < big.count; i++) {
      assert.equal(digest(big, i), want[i], `packet ${i}`);
    }
  } finally {
    Deno.removeSync(path);
  }
});
