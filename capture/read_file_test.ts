// readCaptureFile() hands each batch with every payload still in `batch.raw`, whichever reader
// read it, also where Netwatch's own reader refills its buffer part-way through a file.

import assert from "node:assert/strict";
import { corpusPath } from "../tests/helpers/corpus.ts";
import { parsePcap, PcapWriter } from "../tests/helpers/pcap_file.ts";
import { readCaptureFile } from "./read_file.ts";

/** Digest of every packet's payload bytes as onBatch sees them, and the packet count. */
function payloads(path: string, filter?: string): { digests: number[]; packets: number } {
  const digests: number[] = [];
  readCaptureFile(path, (batch) => {
    for (let i = 0; i < batch.count; i++) {
      const start = batch.payloadOffset[i];
      const end = start + batch.payloadLength[i];
      assert.ok(end <= batch.raw.length, "a payload past the end of batch.raw");
      let h = 0x811c9dc5;
      for (let k = start; k < end; k++) h = Math.imul(h ^ batch.raw[k], 0x01000193);
      digests.push(h >>> 0);
    }
  }, filter);
  return { digests, packets: digests.length };
}

Deno.test("readCaptureFile() batches point at their payloads, across buffer refills", () => {
  // 20 MB of real TLS traffic: more than twice the 8 MiB Netwatch's reader holds at once, so a
  // refill overwrites all it held.
  const source = parsePcap(Deno.readFileSync(corpusPath("real/pcapplusplus_tls2.pcap")));
  const path = Deno.makeTempFileSync({ suffix: ".pcap" });
  try {
    const writer = new PcapWriter(path, source.linktype);
    let bytes = 0;
    for (let copy = 0; bytes < 20 << 20; copy++) {
      for (const r of source.records) {
        writer.write(r.tsSec + copy * 1000, r.tsFrac, r.data, r.wireLen);
        bytes += 16 + r.data.length;
      }
    }
    writer.close();
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
