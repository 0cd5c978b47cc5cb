// hostMinutes(): the top N of a minute exactly, everything else in one "other" row.

import assert from "node:assert/strict";
import { mulberry32 } from "../tests/helpers/random.ts";
import { hostMinutes } from "./host_minutes.ts";

function candidates(count: number, seed: number) {
  const rand = mulberry32(seed);
  const column = () => Array.from({ length: count }, () => Math.floor(rand() * 1000));
  const c = {
    count,
    bytesSent: column(),
    bytesReceived: column(),
    packetsSent: column(),
    packetsReceived: column(),
    address: (i: number) => `10.0.${i >> 8}.${i & 255}`,
  };
  // A few hosts without traffic, and ties.
  for (let i = 0; i < count; i += 17) {
    c.bytesSent[i] =
      c.bytesReceived[i] =
      c.packetsSent[i] =
      c.packetsReceived[i] =
        0;
  }
  c.bytesSent[5] = c.bytesSent[6] = 5000;
  c.bytesReceived[5] = c.bytesReceived[6] = 0;
  return c;
}

Deno.test("hostMinutes() keeps the top N by bytes exactly and sums the rest into other", () => {
  const c = candidates(3000, 11);
  const rows = hostMinutes(1_700_000_040, c, 100);
  assert.equal(rows.length, 101);
  const order = Array.from({ length: c.count }, (_, i) => i)
    .filter((i) =>
      c.bytesSent[i] + c.bytesReceived[i] + c.packetsSent[i] + c.packetsReceived[i] > 0
    )
    .sort((i, j) =>
      (c.bytesSent[j] + c.bytesReceived[j]) - (c.bytesSent[i] + c.bytesReceived[i]) || i - j
    );
  assert.deepEqual(rows.slice(0, 100).map((r) => r.address), order.slice(0, 100).map(c.address));
  assert.equal(rows[100].address, "other");
  for (
    const [field, column] of [
      ["bytes_sent", c.bytesSent],
      ["bytes_received", c.bytesReceived],
      ["packets_sent", c.packetsSent],
      ["packets_received", c.packetsReceived],
    ] as const
  ) {
    const total = column.reduce((a, b) => a + b, 0);
    assert.equal(rows.reduce((a, r) => a + r[field], 0), total, field);
  }
  assert.ok(rows.every((r) => r.minute === 1_700_000_040));
});

Deno.test("hostMinutes() breaks ties by index and leaves out other when nothing is left", () => {
  const c = candidates(10, 3);
  const rows = hostMinutes(0, { ...c, describe: (a) => ({ name: `${a}.lan`, asn: 7 }) }, 10);
  assert.ok(rows.every((r) => r.address !== "other"));
  assert.equal(rows.length, 9); // candidate 0 has no traffic
  assert.ok(
    rows.indexOf(rows.find((r) => r.address === c.address(5))!) <
      rows.indexOf(rows.find((r) => r.address === c.address(6))!),
  );
  assert.equal(rows[0].name, `${rows[0].address}.lan`);
  assert.equal(rows[0].asn, 7);
  assert.deepEqual(hostMinutes(0, c, 0).map((r) => r.address), ["other"]);
  assert.throws(() => hostMinutes(0, c, -1), /Invalid n/);
});
