// parseNdpiOutput(): every flow line of nDPI's expected outputs, with its parts in place.

import assert from "node:assert/strict";
import { ndpiPath } from "./corpus.ts";
import { ndpiFlowCount, parseNdpiFlowLine, parseNdpiOutput, readNdpiResult } from "./ndpi.ts";

Deno.test("parseNdpiFlowLine() reads an IPv6 TLS flow with master.app, counts and SNI", () => {
  const flow = parseNdpiFlowLine(
    "\t2\tTCP [2a00:d40:1:3:7aac:c0ff:fea7:d4c]:37506 <-> [2a03:b0c0:3:d0::70:1001]:443 " +
      "[proto: 91.26/TLS.ntop][IP: 26/ntop][Encrypted][Confidence: DPI][cat: Network/14]" +
      "[14 pkts/3969 bytes <-> 12 pkts/11648 bytes][Goodput ratio: 75/93]" +
      "[Hostname/SNI: www.ntop.org][TLSv1.3][Plen Bins: 0,1,2]",
  );
  assert.ok(flow);
  assert.deepEqual(
    { ...flow, fields: undefined },
    {
      index: 2,
      undetected: false,
      l4: "TCP",
      src: { ip: "2a00:d40:1:3:7aac:c0ff:fea7:d4c", port: 37506 },
      dst: { ip: "2a03:b0c0:3:d0::70:1001", port: 443 },
      bidirectional: true,
      tunnel: undefined,
      master: { id: 91, name: "TLS" },
      app: { id: 26, name: "ntop" },
      packetsSrcToDst: 14,
      bytesSrcToDst: 3969,
      packetsDstToSrc: 12,
      bytesDstToSrc: 11648,
      hostname: "www.ntop.org",
      vlan: undefined,
      fields: undefined,
      tags: ["Encrypted", "TLSv1.3"],
    },
  );
  assert.equal(flow.fields.get("cat"), "Network/14");
  assert.equal(flow.fields.get("IP"), "26/ntop");
});

Deno.test("parseNdpiFlowLine() reads a one-way, tunnelled, tagged flow with one protocol", () => {
  const flow = parseNdpiFlowLine(
    "\t3\tUDP 0.0.0.0:68 -> 255.255.255.255:67 [VLAN: 395][proto: CAPWAP:18/DHCP]" +
      "[IP: 0/Unknown][ClearText][5 pkts/2090 bytes -> 0 pkts/0 bytes][Hostname/SNI: ]",
    true,
  );
  assert.ok(flow);
  assert.equal(flow.undetected, true);
  assert.equal(flow.bidirectional, false);
  assert.equal(flow.tunnel, "CAPWAP");
  assert.equal(flow.master, undefined);
  assert.deepEqual(flow.app, { id: 18, name: "DHCP" });
  assert.equal(flow.vlan, 395);
  assert.equal(flow.hostname, undefined);
  assert.deepEqual([flow.packetsSrcToDst, flow.bytesSrcToDst], [5, 2090]);
  assert.deepEqual([flow.packetsDstToSrc, flow.bytesDstToSrc], [0, 0]);
});

Deno.test("parseNdpiFlowLine() skips other lines and refuses a flow line without counts", () => {
  assert.equal(parseNdpiFlowLine("DNS\t2\t166\t1"), undefined);
  assert.equal(parseNdpiFlowLine("\t1\t 10.24.82.188             \t 2      "), undefined);
  assert.throws(
    () => parseNdpiFlowLine("\t1\tTCP 1.2.3.4:1 <-> 5.6.7.8:2 [proto: 7/HTTP]"),
    SyntaxError,
  );
});

Deno.test("parseNdpiOutput() finds every flow each .out file's summary counts", () => {
  let flows = 0;
  for (const entry of Deno.readDirSync(ndpiPath("result"))) {
    const text = Deno.readTextFileSync(ndpiPath(`result/${entry.name}`));
    const found = parseNdpiOutput(text);
    assert.equal(found.length, ndpiFlowCount(text), entry.name);
    flows += found.length;
  }
  assert.ok(flows > 3000, `only ${flows} flows in nDPI's results`);
  const gnutella = readNdpiResult("gnutella.pcap");
  assert.ok(gnutella.some((f) => f.undetected) && gnutella.some((f) => !f.undetected));
});
