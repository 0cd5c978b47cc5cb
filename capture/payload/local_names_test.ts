// Tests for small readers: DHCP option 12, NetBIOS names, the PROXY protocol header.

import assert from "node:assert/strict";
import { parseDhcp } from "./dhcp_options.ts";
import { decodeNetbiosLabel, parseNetbiosDatagramName } from "./netbios_name.ts";
import { proxyHeaderLength } from "./proxy_protocol.ts";

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
  assert.deepEqual(parseDhcp(b, 0, b.length), {
    op: 1,
    messageType: 3,
    hostname: "lucas-imac",
    clientAddress: 0,
  });
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

Deno.test("proxyHeaderLength() measures PROXY v1 and v2 headers", () => {
  const v1 = new TextEncoder().encode("PROXY TCP4 1.1.1.1 2.2.2.2 48502 443\r\n\x16\x03\x01");
  assert.equal(proxyHeaderLength(v1, 0, v1.length), v1.length - 3);
  assert.equal(proxyHeaderLength(v1, 0, 20), 0);
  const v2 = new Uint8Array([
    0x0d,
    0x0a,
    0x0d,
    0x0a,
    0x00,
    0x0d,
    0x0a,
    0x51,
    0x55,
    0x49,
    0x54,
    0x0a,
    0x21,
    0x11,
    0,
    12,
    ...new Array(12).fill(1),
    0x16,
  ]);
  assert.equal(proxyHeaderLength(v2, 0, v2.length), 28);
  assert.equal(proxyHeaderLength(v2, 0, 27), 0);
  assert.equal(proxyHeaderLength(new TextEncoder().encode("GET / HTTP/1.1\r\n"), 0, 16), 0);
});
