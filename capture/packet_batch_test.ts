// PacketBatch: one buffer for every field at any capacity, transferred whole between threads,
// `raw` left behind; copySlot() copies every field.

import assert from "node:assert/strict";
import { copySlot, PacketBatch, TunnelKind, tunnelName } from "./packet_batch.ts";

/** Every typed-array field of a batch, by name. */
function fields(batch: PacketBatch): [string, ArrayLike<number>][] {
  return Object.entries(batch).filter(([, value]) =>
    ArrayBuffer.isView(value) && value !== batch.raw
  ) as [string, ArrayLike<number>][];
}

Deno.test("PacketBatch lays every field on one buffer, aligned, at odd capacities", () => {
  for (const capacity of [1, 3, 7, 4097]) {
    const batch = new PacketBatch(capacity);
    assert.equal(batch.buffer.byteLength, PacketBatch.byteLength(capacity));
    let bytes = 0;
    for (const [name, array] of fields(batch)) {
      const view = array as unknown as Uint8Array;
      assert.equal(view.buffer, batch.buffer, name);
      assert.equal(view.byteOffset % (view as unknown as Uint32Array).BYTES_PER_ELEMENT, 0, name);
      bytes += view.byteLength;
    }
    assert.equal(bytes, batch.buffer.byteLength, "the fields fill the buffer exactly");
  }
});

Deno.test("a transferred PacketBatch arrives with every field and without raw", async () => {
  const batch = new PacketBatch(5);
  batch.raw = new Uint8Array([1, 2, 3]);
  fields(batch).forEach(([, array], n) => (array as Uint8Array)[4] = 200 + n);
  batch.tsSec[4] = 2 ** 40; // past 2106: float64 seconds
  const channel = new MessageChannel();
  const received = new Promise<ArrayBuffer>((resolve) => {
    channel.port2.onmessage = (event) => resolve(event.data);
  });
  channel.port1.postMessage(batch.buffer, [batch.buffer]);
  const buffer = await received;
  channel.port1.close();
  channel.port2.close();
  assert.equal(batch.buffer.byteLength, 0, "transferred, not copied");
  const arrived = new PacketBatch(5, buffer);
  assert.equal(arrived.raw.length, 0);
  assert.equal(arrived.tsSec[4], 2 ** 40);
  fields(arrived).forEach(([name, array], n) => {
    if (name !== "tsSec") assert.equal(array[4], 200 + n, name);
  });
});

Deno.test("copySlot() copies every field", () => {
  const from = new PacketBatch(3);
  const to = new PacketBatch(2);
  fields(from).forEach(([, array], n) => {
    for (let k = 0; k < array.length; k++) (array as Uint8Array)[k] = (n * 7 + k) & 0x7f;
  });
  copySlot(from, 2, to, 1);
  const f = Object.fromEntries(fields(from));
  for (const [name, array] of fields(to)) {
    const width = array.length / 2; // words per packet (4 for addresses)
    const source = f[name] as Uint8Array;
    assert.deepEqual(
      [...(array as Uint8Array).subarray(width, 2 * width)],
      [...source.subarray(2 * width, 3 * width)],
      name,
    );
  }
});

Deno.test("tunnelName() names every TunnelKind", () => {
  const names = Object.entries(TunnelKind).map(([, kind]) => tunnelName(kind));
  assert.deepEqual(names, [
    "",
    "vxlan",
    "geneve",
    "gre",
    "ipip",
    "6in4",
    "4in6",
    "6in6",
    "gtp-u",
    "teredo",
    "capwap",
  ]);
  assert.equal(tunnelName(99), "");
});
