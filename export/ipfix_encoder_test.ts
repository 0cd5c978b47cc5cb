// IpfixEncoder: messages decoded back with tshark, field by field, in both record modes.

import assert from "node:assert/strict";
import { type DecodedRecord, decodeIpfix, tsharkTimeMs } from "../tests/helpers/ipfix_decode.ts";
import { IpfixEncoder, MAX_STRING_BYTES } from "./ipfix_encoder.ts";
import type { ExportFlow } from "./types.ts";

const base = {
  active: false,
  vlan: null,
  first_ts: 1700000000.123456,
  last_ts: 1700000005.5,
  state: "SF",
  service: null,
  no_ports: false,
  end_reason: "end",
  ip_version: 4,
  tcp_flags_c2s: 0,
  tcp_flags_s2c: 0,
} as const;

/** A TCP/IPv4 flow, a UDP/IPv6 flow on VLAN 42, an ICMP echo and an ICMPv6 echo. */
const FLOWS: ExportFlow[] = [
  {
    ...base,
    id: 1,
    proto: "tcp",
    src_ip: "10.0.0.1",
    src_port: 40000,
    dst_ip: "192.168.7.2",
    dst_port: 443,
    packets_c2s: 5,
    bytes_c2s: 500,
    packets_s2c: 7,
    bytes_s2c: 7_000_000_000, // above 2^32: both halves of the 64-bit counter are used
    tcp_flags_c2s: 0x1b,
    tcp_flags_s2c: 0x13,
  },
  {
    ...base,
    id: 2,
    proto: "udp",
    src_ip: "2001:db8::1",
    src_port: 5353,
    dst_ip: "2001:db8::2",
    dst_port: 53,
    vlan: 42,
    packets_c2s: 1,
    bytes_c2s: 90,
    packets_s2c: 1,
    bytes_s2c: 190,
    ip_version: 6,
    end_reason: "idle",
    first_ts: 1700000001.000999,
    last_ts: 1700000001.25,
  },
  {
    ...base,
    id: 3,
    proto: "icmp",
    src_ip: "10.0.0.1",
    src_port: 8, // echo request
    dst_ip: "10.0.0.9",
    dst_port: 0,
    packets_c2s: 3,
    bytes_c2s: 294,
    packets_s2c: 3,
    bytes_s2c: 294,
    end_reason: "forced",
  },
  {
    ...base,
    id: 4,
    proto: "icmpv6",
    src_ip: "fe80::1",
    src_port: 128,
    dst_ip: "fe80::2",
    dst_port: 0,
    packets_c2s: 2,
    bytes_c2s: 208,
    packets_s2c: 0,
    bytes_s2c: 0,
    ip_version: 6,
    state: "S0",
    end_reason: "evicted",
  },
];

/** The single value of a field (fails when absent or repeated). */
function one(record: DecodedRecord, key: string): string {
  const value = record[key];
  assert.equal(typeof value, "string", `${key} in ${JSON.stringify(record)}`);
  return value as string;
}

Deno.test("IpfixEncoder() one-way records decode in tshark with every field", async () => {
  const encoder = new IpfixEncoder({
    observationDomainId: 77,
    biflow: false,
    pen: 0,
    maxMessageBytes: 1400,
    ingressInterface: 3,
  });
  const messages = [encoder.templateMessage(1700000010.9), ...encoder.encode(FLOWS, 1700000011)];
  const decoded = await decodeIpfix(messages);
  assert.equal(decoded.length, 2);
  const [templates, data] = decoded;
  assert.deepEqual(templates.templates, ["256", "257", "258", "259"]);
  assert.equal(templates.header["cflow.version"], "10");
  assert.equal(templates.header["cflow.len"], String(messages[0].length));
  assert.equal(templates.header["cflow.exporttime"], "1700000010");
  assert.equal(templates.header["cflow.sequence"], "0");
  assert.equal(templates.header["cflow.od_id"], "77");
  // With the templates, the options record saying every packet is seen (sampling rate 1).
  assert.deepEqual(templates.records.map((r) => r.setId), [270]);
  const sampling = templates.records[0].fields;
  assert.equal(one(sampling, "cflow.sampling_packet_interval"), "1");
  assert.equal(one(sampling, "cflow.sampling_packet_space"), "0");
  assert.equal(data.header["cflow.exporttime"], "1700000011");
  assert.equal(data.header["cflow.sequence"], "1", "one data record before: the options one");
  assert.equal(encoder.sequence, 8, "options, then two records per flow, one for ICMPv6");

  const records = data.records.map((r) => r.fields);
  assert.deepEqual(data.records.map((r) => r.setId), [256, 256, 257, 257, 256, 256, 257]);
  const [tcpOut, tcpBack, udpOut, udpBack, icmpOut, icmpBack, icmp6Out] = records;
  // Forward: the client's packets, with the flow's times.
  assert.equal(one(tcpOut, "cflow.srcaddr"), "10.0.0.1");
  assert.equal(one(tcpOut, "cflow.dstaddr"), "192.168.7.2");
  assert.equal(one(tcpOut, "cflow.srcport"), "40000");
  assert.equal(one(tcpOut, "cflow.dstport"), "443");
  assert.equal(one(tcpOut, "cflow.protocol"), "6");
  assert.equal(one(tcpOut, "cflow.tcpflags"), "0x1b");
  assert.equal(one(tcpOut, "cflow.octets"), "500");
  assert.equal(one(tcpOut, "cflow.packets"), "5");
  assert.equal(one(tcpOut, "cflow.vlanid"), "0");
  assert.equal(one(tcpOut, "cflow.ip_version"), "4");
  assert.equal(one(tcpOut, "cflow.flow_end_reason"), "3");
  assert.equal(one(tcpOut, "cflow.inputint"), "3");
  assert.equal(tsharkTimeMs(one(tcpOut, "cflow.abstimestart")), 1700000000123);
  assert.equal(tsharkTimeMs(one(tcpOut, "cflow.abstimeend")), 1700000005500);
  // Reverse: the server's packets, addresses and ports swapped.
  assert.equal(one(tcpBack, "cflow.srcaddr"), "192.168.7.2");
  assert.equal(one(tcpBack, "cflow.dstaddr"), "10.0.0.1");
  assert.equal(one(tcpBack, "cflow.srcport"), "443");
  assert.equal(one(tcpBack, "cflow.dstport"), "40000");
  assert.equal(one(tcpBack, "cflow.tcpflags"), "0x13");
  assert.equal(one(tcpBack, "cflow.octets"), "7000000000");
  assert.equal(one(tcpBack, "cflow.packets"), "7");

  assert.equal(one(udpOut, "cflow.srcaddrv6"), "2001:db8::1");
  assert.equal(one(udpOut, "cflow.dstaddrv6"), "2001:db8::2");
  assert.equal(one(udpOut, "cflow.protocol"), "17");
  assert.equal(one(udpOut, "cflow.vlanid"), "42");
  assert.equal(one(udpOut, "cflow.ip_version"), "6");
  assert.equal(one(udpOut, "cflow.flow_end_reason"), "1");
  assert.equal(tsharkTimeMs(one(udpOut, "cflow.abstimestart")), 1700000001001);
  assert.equal(tsharkTimeMs(one(udpOut, "cflow.abstimeend")), 1700000001250);
  assert.equal(one(udpBack, "cflow.srcaddrv6"), "2001:db8::2");
  assert.equal(one(udpBack, "cflow.octets"), "190");

  // ICMP: no ports; the request type one way, the reply type the other.
  assert.equal(one(icmpOut, "cflow.srcport"), "0");
  assert.equal(one(icmpOut, "cflow.icmp_type_code_ipv4"), "0x0800");
  assert.equal(one(icmpBack, "cflow.icmp_type_code_ipv4"), "0x0000");
  assert.equal(one(icmpOut, "cflow.flow_end_reason"), "4");
  assert.equal(one(icmp6Out, "cflow.icmp_ipv6_type"), "128");
  assert.equal(one(icmp6Out, "cflow.flow_end_reason"), "5");
  assert.equal(one(icmp6Out, "cflow.packets"), "2");
});

Deno.test("IpfixEncoder() biflow records carry RFC 5103 reverse counters and names", async () => {
  const encoder = new IpfixEncoder({
    observationDomainId: 1,
    biflow: true,
    pen: 32473, // RFC 5612's documentation number: fine in a test, never in a deployment
    maxMessageBytes: 1400,
  });
  const flows: ExportFlow[] = [
    FLOWS[0],
    { ...FLOWS[1], app: "DNS", server_name: "example.org", tunnel: "vxlan" },
    { ...FLOWS[0], id: 9, state: "OTH", app: "x".repeat(400) },
  ];
  const [templates, data] = await decodeIpfix([
    encoder.templateMessage(1700000010),
    ...encoder.encode(flows, 1700000010),
  ]);
  assert.deepEqual(templates.templates, ["260", "261", "262", "263"]);
  assert.equal(data.records.length, 3, "one record per flow");
  const [tcp, named, long] = data.records.map((r) => r.fields);
  // Forward then reverse, in template order; tshark merges the repeated names into arrays.
  assert.deepEqual(tcp["cflow.octets"], ["500", "7000000000"]);
  assert.deepEqual(tcp["cflow.packets"], ["5", "7"]);
  assert.deepEqual(tcp["cflow.tcpflags"], ["0x13", "0x1b"], "reverse flags, then forward");
  assert.equal(one(tcp, "cflow.biflow_direction"), "1");
  assert.equal(one(long, "cflow.biflow_direction"), "0", "no handshake seen: arbitrary");
  assert.equal(data.records[1].setId, 263);
  assert.equal(one(named, "cflow.appl_name"), "DNS");
  const hexText = (s: string) =>
    [...new TextEncoder().encode(s)].map((b) => b.toString(16)).join(":");
  assert.deepEqual(named["cflow.enterprise_private_entry"], [
    hexText("example.org"),
    hexText("vxlan"),
  ]);
  assert.equal(one(long, "cflow.appl_name").length, MAX_STRING_BYTES, "long names are cut");
});

Deno.test("IpfixEncoder() splits records over messages no larger than the limit", async () => {
  const encoder = new IpfixEncoder({
    observationDomainId: 5,
    biflow: false,
    pen: 0,
    maxMessageBytes: 512,
  });
  const flows = Array.from({ length: 150 }, (_, i) => ({ ...FLOWS[i % 2], id: i + 1 }));
  const templates = encoder.templateMessage(1700000000);
  const messages = encoder.encode(flows, 1700000000);
  assert.ok(messages.length > 10);
  for (const m of messages) assert.ok(m.length <= 512, `message of ${m.length} octets`);
  const decoded = await decodeIpfix([templates, ...messages]);
  let before = 1; // the options record that came with the templates
  for (const message of decoded.slice(1)) {
    assert.equal(message.header["cflow.sequence"], String(before));
    before += message.records.length;
  }
  assert.equal(before, 301, "every flow's two records arrived");
  assert.equal(encoder.sequence, 301);
  encoder.reset();
  assert.equal(encoder.sequence, 0);
});

Deno.test("IpfixEncoder() refuses an address that does not match its family", () => {
  const encoder = new IpfixEncoder({
    observationDomainId: 1,
    biflow: false,
    pen: 0,
    maxMessageBytes: 1400,
  });
  assert.throws(
    () => encoder.encode([{ ...FLOWS[0], src_ip: "2001:db8::1" }], 0),
    /Cannot export address "2001:db8::1" as a 4-octet address/,
  );
  assert.throws(() => new IpfixEncoder({ ...encoder.options, maxMessageBytes: 100 }), RangeError);
});
