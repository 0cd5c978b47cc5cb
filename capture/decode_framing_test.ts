// Link types of serial lines and wireless captures (PPP, Cisco HDLC, 802.11, radiotap, PPI):
// hand-built frames decoded to IP, each checked by hand and against tshark reading them too.

import assert from "node:assert/strict";
import { decodeOne, eth, frame, INNER_TCP, INNER_UDP6 } from "../tests/helpers/frames.ts";
import { corpusPath } from "../tests/helpers/corpus.ts";
import { parsePcap, PcapWriter } from "../tests/helpers/pcap_file.ts";
import { netwatchInnermost, tsharkInnermost } from "../tests/helpers/tshark_inner.ts";
import { linkType } from "./link_types.ts";
import { PacketKind } from "./packet_batch.ts";

/** An 802.11 data frame header to the DS: frame control, duration, three addresses, sequence. */
const WLAN = "84802d2b4590 54f201e1b299 10f311eaeec1 0000";
const LLC_IPV4 = "aaaa03 000000 0800";

/** Frames by DLT: [what, frame, the IP version inside or undefined for no IP]. */
const FRAMES: [number, string, string, 4 | 6 | undefined][] = [
  [9, "PPP with address and control", `ff03 0021 ${INNER_TCP}`, 4],
  [9, "PPP without address and control", `0057 ${INNER_UDP6}`, 6],
  [9, "PPP with a compressed protocol", `21 ${INNER_TCP}`, 4],
  [9, "PPP carrying MPLS", `ff03 0281 00010140 ${INNER_TCP}`, 4],
  [9, "PPP LCP", "ff03 c021 0101000a 0506 12345678", undefined],
  [50, "PPP in HDLC-like framing", `ff03 0021 ${INNER_TCP}`, 4],
  [50, "Cisco HDLC on a PPP serial link", `0f00 0800 ${INNER_TCP}`, 4],
  [104, "Cisco HDLC unicast", `0f00 0800 ${INNER_TCP}`, 4],
  [104, "Cisco HDLC broadcast, IPv6", `8f00 86dd ${INNER_UDP6}`, 6],
  [104, "Cisco HDLC SLARP", "8f00 8035 00000000 0a000001 ffffff00 ffff", undefined],
  [51, "PPPoE without Ethernet", `1100 0001 002e 0021 ${INNER_TCP}`, 4],
  [204, "PPP with a direction byte", `00 ff03 0021 ${INNER_TCP}`, 4],
  [205, "Cisco HDLC with a direction byte", `01 0f00 86dd ${INNER_UDP6}`, 6],
  [105, "802.11 data", `0801 0000 ${WLAN} ${LLC_IPV4}\n${INNER_TCP}`, 4],
  [105, "802.11 QoS data", `8801 0000 ${WLAN} 0000 ${LLC_IPV4}\n${INNER_TCP}`, 4],
  [105, "802.11 protected data", `0841 0000 ${WLAN} 0000 00000000 ${INNER_TCP}`, undefined],
  [105, "802.11 beacon", `8000 0000 ${WLAN} 0000000000000000 6400 0104`, undefined],
  [
    127,
    "radiotap, then 802.11",
    `00 00 0800 00000000 0801 0000 ${WLAN} ${LLC_IPV4}\n${INNER_TCP}`,
    4,
  ],
  [192, "PPI, then Ethernet", `00 00 0800 01000000 ${eth("0800", INNER_TCP)}`, 4],
];

Deno.test("decodeFrame() reads IP from PPP, Cisco HDLC and 802.11 link types", () => {
  for (const [dlt, what, dump, version] of FRAMES) {
    const decoder = linkType(dlt).decoder;
    const got = decodeOne(decoder, frame(dump));
    if (version === undefined) {
      assert.equal(got.kind, PacketKind.NonIp, `${what}: ${JSON.stringify(got)}`);
      continue;
    }
    const inner = decodeOne(linkType(101).decoder, frame(version === 4 ? INNER_TCP : INNER_UDP6));
    assert.deepEqual(got, inner, what);
  }
});

Deno.test("decodeFrame() counts short PPP and HDLC frames as truncated", () => {
  for (const [dlt, dump] of [[9, "ff03 00"], [104, "0f00 08"], [51, "1100 00"], [127, "0000"]]) {
    const got = decodeOne(linkType(dlt as number).decoder, frame(dump as string));
    assert.equal(got.kind, PacketKind.Invalid, `DLT ${dlt}`);
  }
});

Deno.test("PPP, Cisco HDLC and 802.11 captures decode as tshark decodes them", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // tshark 4.0 has no reader for C_HDLC_WITH_DIR (205): that one is checked by hand above.
    for (const dlt of new Set(FRAMES.map(([d]) => d).filter((d) => d !== 205))) {
      const path = `${dir}/dlt${dlt}.pcap`;
      const writer = new PcapWriter(path, dlt);
      const frames = FRAMES.filter(([d]) => d === dlt);
      frames.forEach(([, , dump], n) => writer.write(1_700_000_000 + n, 0, frame(dump)));
      writer.close();
      const want = await tsharkInnermost(path);
      const got = netwatchInnermost(path).frames;
      assert.equal(want.length, frames.length, `tshark read every frame of DLT ${dlt}`);
      assert.deepEqual(got, want, `DLT ${dlt}: ${frames.map(([, what]) => what).join(", ")}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a real capture re-framed as PPP and Cisco HDLC decodes to the same packets", async () => {
  const source = parsePcap(Deno.readFileSync(corpusPath("real/zeek_wikipedia.pcap")));
  assert.equal(source.linktype, 1, "an Ethernet capture");
  const original = netwatchInnermost(corpusPath("real/zeek_wikipedia.pcap")).frames;
  // Each framing's header for IPv4 and for IPv6, by DLT.
  const framings: [number, string, string][] = [
    [9, "ff03 0021", "ff03 0057"], // PPP
    [50, "0f00 0800", "8f00 86dd"], // Cisco HDLC on a PPP serial link
    [51, "1100 0001 0000 0021", "1100 0001 0000 0057"], // PPPoE without Ethernet
    [104, "0f00 0800", "0f00 86dd"], // Cisco HDLC
    [204, "01 ff03 0021", "00 ff03 0057"], // PPP with a direction byte
    [205, "00 0f00 0800", "01 0f00 86dd"], // Cisco HDLC with a direction byte
  ];
  const dir = await Deno.makeTempDir();
  try {
    for (const [dlt, ipv4, ipv6] of framings) {
      const path = `${dir}/dlt${dlt}.pcap`;
      const writer = new PcapWriter(path, dlt);
      const kept: string[] = [];
      source.records.forEach((record, n) => {
        const type = (record.data[12] << 8) | record.data[13];
        if (type !== 0x0800 && type !== 0x86dd) return; // ARP has no place on these links
        const header = frame(type === 0x0800 ? ipv4 : ipv6);
        const data = new Uint8Array([...header, ...record.data.subarray(14)]);
        writer.write(record.tsSec, record.tsFrac, data, record.wireLen - 14 + header.length);
        kept.push(original[n]);
      });
      writer.close();
      assert.ok(kept.length > 100, `${kept.length} IP packets`);
      assert.deepEqual(netwatchInnermost(path).frames, kept, `DLT ${dlt}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
