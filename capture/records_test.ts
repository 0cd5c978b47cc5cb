// Tests for walking in-memory pcap records into a batch.

import assert from "node:assert/strict";
import { hex } from "../tests/helpers/pcap_file.ts";
import { LinkDecoder } from "./link_types.ts";
import { PacketBatch, PacketKind } from "./packet_batch.ts";
import { decodeRecords, type RecordCursor, type RecordFormat } from "./records.ts";

const ETH_ARP = "ffffffffffff 66778899aabb 0806 0001 0800 0604 0001"; // 22 bytes

function records(...parts: string[]): Uint8Array<ArrayBuffer> {
  return hex(parts.join(" "));
}

const micro: RecordFormat = {
  decoder: LinkDecoder.Ethernet,
  littleEndian: true,
  nsecPerUnit: 1000,
};

Deno.test("decodeRecords() reads timestamps, lengths and frames of consecutive records", () => {
  const bytes = records(
    "01000000 0a000000 16000000 3c000000",
    ETH_ARP, // ts 1.000010, cap 22, wire 60
    "02000000 40420f00 16000000 16000000",
    ETH_ARP, // ts 2.1000000 (usec field = 1e6)
  );
  const batch = new PacketBatch(8);
  const cursor: RecordCursor = { offset: 0, overrun: false };
  decodeRecords(bytes, new DataView(bytes.buffer), bytes.length, micro, batch, cursor);
  assert.equal(batch.count, 2);
  assert.equal(cursor.offset, bytes.length);
  assert.equal(cursor.overrun, false);
  assert.deepEqual([...batch.tsSec.subarray(0, 2)], [1, 2]);
  assert.deepEqual([...batch.tsNsec.subarray(0, 2)], [10_000, 1_000_000_000]);
  assert.deepEqual([...batch.wireLen.subarray(0, 2)], [60, 22]);
  assert.deepEqual([...batch.kind.subarray(0, 2)], [PacketKind.NonIp, PacketKind.NonIp]);
  assert.equal(batch.raw, bytes, "payload offsets point into the records given");
});

Deno.test("decodeRecords() reads big-endian nanosecond records", () => {
  const bytes = records("00000005 3b9ac9ff 00000016 00000016", ETH_ARP);
  const batch = new PacketBatch(1);
  const format = { ...micro, littleEndian: false, nsecPerUnit: 1 };
  decodeRecords(bytes, new DataView(bytes.buffer), bytes.length, format, batch, {
    offset: 0,
    overrun: false,
  });
  assert.equal(batch.timestamp(0), 5.999999999);
});

Deno.test("decodeRecords() stops at a full batch and resumes from the cursor", () => {
  const one = ["00000000 00000000 16000000 16000000", ETH_ARP];
  const bytes = records(...one, ...one, ...one);
  const view = new DataView(bytes.buffer);
  const batch = new PacketBatch(2);
  const cursor: RecordCursor = { offset: 0, overrun: false };
  decodeRecords(bytes, view, bytes.length, micro, batch, cursor);
  assert.equal(batch.count, 2);
  assert.equal(cursor.offset, 76);
  batch.count = 0;
  decodeRecords(bytes, view, bytes.length, micro, batch, cursor);
  assert.equal(batch.count, 1);
  assert.equal(cursor.offset, bytes.length);
});

Deno.test("decodeRecords() flags a record that claims more bytes than were written", () => {
  const bytes = records("00000000 00000000 ff000000 ff000000", ETH_ARP);
  const batch = new PacketBatch(4);
  const cursor: RecordCursor = { offset: 0, overrun: false };
  decodeRecords(bytes, new DataView(bytes.buffer), bytes.length, micro, batch, cursor);
  assert.equal(batch.count, 0);
  assert.equal(cursor.overrun, true);
});
