// Address blobs and CIDR ranges: exact round trips, and ranges that hold just their prefix.

import assert from "node:assert/strict";
import { addressBlob, blobAddress, prefixRange } from "./address_blob.ts";

Deno.test("addressBlob() and blobAddress() round-trip IPv4 and IPv6 in 4 and 16 bytes", () => {
  for (const text of ["10.0.0.1", "255.255.255.255", "2001:db8::1", "::ffff:192.0.2.1", "::"]) {
    const blob = addressBlob(text)!;
    assert.equal(blob.length, text.includes(":") ? 16 : 4);
    assert.equal(blobAddress(blob), text);
  }
  for (
    const bad of [
      "10.0.0.300",
      "10.0.0",
      "10.0.0.1.2",
      "10..0.1",
      "1.2.3.",
      "a.b.c.d",
      "0010.1.1.1",
    ]
  ) {
    assert.equal(addressBlob(bad), undefined, bad);
  }
  assert.equal(blobAddress(new Uint8Array(3)), "?");
});

Deno.test("prefixRange() spans exactly the addresses of a prefix", () => {
  const { low, high } = prefixRange("10.1.0.0/16");
  assert.deepEqual([...low], [10, 1, 0, 0]);
  assert.deepEqual([...high], [10, 1, 255, 255]);
  const v6 = prefixRange("2001:db8::/32");
  assert.equal(blobAddress(v6.low), "2001:db8::");
  assert.equal(blobAddress(v6.high), "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
  assert.deepEqual([...prefixRange("192.0.2.7").high], [192, 0, 2, 7]);
  assert.throws(() => prefixRange("10.0.0.0/40"), /Invalid prefix length/);
});
