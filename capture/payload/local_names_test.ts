// Tests for the names local hosts announce: DHCP option 12 and NetBIOS names.

import assert from "node:assert/strict";
import { parseDhcp } from "./dhcp_options.ts";
import { decodeNetbiosLabel, parseNetbiosDatagramName } from "./netbios_name.ts";

/** A NetBIOS first-level encoding of `name` padded to 15 bytes plus type byte `type`. */
function encode(name: string, type = 0): string {
  const bytes = [...name.toUpperCase().padEnd(15, " ")].map((c) => c.charCodeAt(0));
  bytes.push(type);
  return bytes.map((b) => String.fromCharCode(0x41 + (b >> 4), 0x41 + (b & 15))).join("");
}

Deno.test("parseDhcp() reads the host name and message type", () => {
  const b = new Uint8Array(300);
  b.set([1, 1, 6]);
  b.set([0x63, 0x82, 0x53, 0x63], 236);
  // 35 01 03 (REQUEST), 0c 0a "Lucas-iMac", ff
  b.set([53, 1, 3, 12, 10, ...new TextEncoder().encode("Lucas-iMac"), 255], 240);
  assert.deepEqual(parseDhcp(b, 0, b.length), { op: 1, messageType: 3, hostname: "lucas-imac" });
  assert.equal(parseDhcp(b, 0, 250)?.hostname, null); // options cut off
  b[236] = 0;
  assert.equal(parseDhcp(b, 0, b.length), null);
});

Deno.test("decodeNetbiosLabel() decodes first-level encoded names", () => {
  assert.equal(decodeNetbiosLabel(encode("MSEDGEWIN10").toLowerCase()), "msedgewin10");
  assert.equal(decodeNetbiosLabel("abc"), null);
  assert.equal(decodeNetbiosLabel("z".repeat(32)), null);
  assert.equal(decodeNetbiosLabel(encode("*").toLowerCase()), null);
});

Deno.test("parseNetbiosDatagramName() reads the source name of a datagram", () => {
  const name = encode("MSEDGEWIN10");
  const b = new Uint8Array([
    0x11,
    0x02,
    0,
    1,
    10,
    0,
    2,
    15,
    0,
    138,
    0,
    100,
    0,
    0,
    0x20,
    ...[...name].map((c) => c.charCodeAt(0)),
    0,
    0x20,
    ...[...encode("WORKGROUP", 0x1e)].map((c) => c.charCodeAt(0)),
    0,
  ]);
  assert.equal(parseNetbiosDatagramName(b, 0, b.length), "msedgewin10");
  assert.equal(parseNetbiosDatagramName(b, 0, 40), null);
});
