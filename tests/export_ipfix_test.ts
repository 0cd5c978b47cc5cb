// IPFIX export against real collectors: nfdump's nfcapd and pmacct's nfacctd, started here,
// receive `serve --read CAPTURE --export ipfix://...` and must hold, per one-way conversation,
// the packets and bytes `report --flows` gives for the same capture.

import assert from "node:assert/strict";
import { IpfixUdpSink } from "../export/ipfix_exporter.ts";
import type { FlowRecord } from "../flows/flow_record.ts";
import { protoNumber } from "../flows/flow_record.ts";
import { runCli } from "./helpers/cli.ts";
import {
  nfdumpSequenceFailures,
  readNfacctd,
  readNfdump,
  startNfacctd,
  startNfcapd,
} from "./helpers/collectors.ts";
import { corpusPath } from "./helpers/corpus.ts";
import { exportFlow } from "./helpers/export_flows.ts";
import { addTo, diffSums, oneWayKey, recordSums, type Sum } from "./helpers/conversations.ts";
import { startServer } from "./helpers/serve.ts";

/**
 * Captures with what export must get right: IPv4 and IPv6, QinQ and mixed VLAN/MPLS tags,
 * ICMP and ICMPv6, IP fragments (flows without ports), GRE and 6in4 (other protocols),
 * many short flows (DNS), Linux cooked and raw-IP link types.
 */
const CAPTURES = [
  "zeek_wikipedia.pcap",
  "zeek_http-qinq-0.pcap",
  "zeek_mixed-vlan-mpls.pcap",
  "zeek_communityid_icmp.pcap",
  "zeek_communityid_icmp6.pcap",
  "pcapplusplus_ip-frag.pcap",
  "zeek_tunnels_gre-sample.pcap",
  "zeek_tunnels_ping6-in-ipv4.pcap",
  "pcapplusplus_DnsPackets.pcap",
  "zeek_linux_dlt_sll2.pcap",
  "pcapplusplus_raw_ip.pcap",
];

/** nfdump's protocol names (its csv "pr" column) by number; numbers pass through. */
const NFDUMP_PROTOCOLS: Record<string, number> = {
  ICMP: 1,
  IGMP: 2,
  IPIP: 4,
  TCP: 6,
  UDP: 17,
  IPv6: 41,
  GRE: 47,
  ESP: 50,
  AH: 51,
  ICMP6: 58,
  OSPF: 89,
  PIM: 103,
  VRRP: 112,
  SCTP: 132,
};

function nfdumpProto(name: string): number {
  const n = NFDUMP_PROTOCOLS[name] ?? Number(name);
  if (!Number.isInteger(n)) throw new Error(`Unknown nfdump protocol name "${name}"`);
  return n;
}

/** `report --flows` of a capture. */
async function reportFlows(file: string): Promise<FlowRecord[]> {
  const result = await runCli([
    "report",
    corpusPath(`real/${file}`),
    "--flows",
    "--format",
    "json",
  ]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout).flows;
}

/** Replays `file` with `--export URL` (plus `extra`) and stops it, which flushes every flow. */
async function replayTo(file: string, url: string, extra: string[] = []): Promise<string> {
  const server = await startServer(corpusPath(`real/${file}`), ["--export", url, ...extra]);
  const code = await server.stop();
  const { stderr } = server.output();
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /not delivered|dropped/, stderr);
  return stderr;
}

/** One-way sums of nfdump rows; biflow rows add their reverse counters to the reverse key. */
function nfdumpSums(rows: Record<string, string>[]): Map<string, Sum> {
  const sums = new Map<string, Sum>();
  for (const r of rows) {
    const proto = nfdumpProto(r.pr);
    const vlan = Number(r.svln);
    const [sp, dp] = [Number(r.sp), Number(r.dp)];
    addTo(sums, oneWayKey(proto, r.sa, sp, r.da, dp, vlan), +r.ipkt, +r.ibyt);
    addTo(sums, oneWayKey(proto, r.da, dp, r.sa, sp, vlan), +r.opkt, +r.obyt);
  }
  return sums;
}

for (const biflow of [false, true]) {
  Deno.test(
    `nfcapd stores what report --flows counts (${biflow ? "RFC 5103 biflow" : "one-way"})`,
    async () => {
      let reverse = 0;
      for (const file of CAPTURES) {
        const expected = recordSums(await reportFlows(file));
        const nfcapd = await startNfcapd();
        try {
          await replayTo(
            file,
            `ipfix://127.0.0.1:${nfcapd.port}`,
            biflow ? ["--export-biflow"] : [],
          );
        } finally {
          await nfcapd.stop();
        }
        const rows = await readNfdump(nfcapd.dir);
        // Sequence numbers count every data record, the sampling options record included.
        assert.equal(await nfdumpSequenceFailures(nfcapd.dir), 0, `${file}: sequence gaps`);
        await Deno.remove(nfcapd.dir, { recursive: true });
        assert.ok(rows.length > 0, `${file}: nfcapd stored nothing`);
        const differences = diffSums(expected, nfdumpSums(rows));
        assert.deepEqual(differences, [], `${file}:\n${differences.slice(0, 20).join("\n")}`);
        reverse += rows.filter((r) => Number(r.opkt) > 0).length;
      }
      // Biflow: the server's packets ride in the client's record as nfdump's "out" counters.
      if (biflow) assert.ok(reverse > 100, `only ${reverse} records with reverse counters`);
      else assert.equal(reverse, 0, "one-way records only");
    },
  );
}

Deno.test("nfacctd (pmacct) sums what report --flows counts", async () => {
  for (const file of CAPTURES.slice(0, 6)) {
    const expected = recordSums(await reportFlows(file));
    const nfacctd = await startNfacctd();
    try {
      await replayTo(file, `ipfix://127.0.0.1:${nfacctd.port}`);
      // The print plugin writes every second; give it one more before it is told to stop.
      await new Promise((r) => setTimeout(r, 1500));
    } finally {
      await nfacctd.stop();
    }
    const sums = new Map<string, Sum>();
    for (const r of readNfacctd(nfacctd.dir)) {
      const key = oneWayKey(
        protoNumber(r.PROTOCOL),
        r.SRC_IP,
        Number(r.SRC_PORT),
        r.DST_IP,
        Number(r.DST_PORT),
        Number(r.VLAN),
      );
      addTo(sums, key, Number(r.PACKETS), Number(r.BYTES));
    }
    await Deno.remove(nfacctd.dir, { recursive: true });
    const differences = diffSums(expected, sums);
    assert.deepEqual(differences, [], `${file}:\n${differences.slice(0, 20).join("\n")}`);
  }
});

Deno.test("nfacctd decodes the server name and tunnel under the operator's PEN", async () => {
  // 32473 is RFC 5612's documentation PEN: right for a test, wrong for a deployment.
  const pen = 32473;
  const nfacctd = await startNfacctd({
    text: [
      `name=server_name field_type=${pen}:1 len=vlen semantics=raw`,
      `name=tunnel field_type=${pen}:2 len=vlen semantics=raw`,
    ].join("\n") + "\n",
    names: ["server_name", "tunnel"],
  });
  const sink = new IpfixUdpSink({
    host: "127.0.0.1",
    port: nfacctd.port,
    observationDomainId: 1,
    biflow: false,
    pen,
  });
  const named = exportFlow({
    src_ip: "10.9.0.1",
    src_port: 4789,
    dst_ip: "10.9.0.2",
    bytes_c2s: 70,
    packets_s2c: 1,
    bytes_s2c: 130,
    last_ts: 1700000000.5,
    state: "SF",
    app: "DNS",
    server_name: "wiki.example.org",
    tunnel: "vxlan",
  });
  try {
    await sink.open();
    await sink.send([named, { ...named, id: 2, src_port: 4790, server_name: null, tunnel: null }]);
    await new Promise((r) => setTimeout(r, 1500));
  } finally {
    await sink.close();
    await nfacctd.stop();
  }
  const rows = readNfacctd(nfacctd.dir);
  await Deno.remove(nfacctd.dir, { recursive: true });
  const text = (hex: string) =>
    new TextDecoder().decode(
      new Uint8Array(hex.split("-").filter(Boolean).map((h) => parseInt(h, 16))),
    );
  const byPorts = new Map(rows.map((r) => [`${r.SRC_PORT}>${r.DST_PORT}`, r]));
  assert.equal(text(byPorts.get("4789>53")?.server_name ?? ""), "wiki.example.org");
  assert.equal(text(byPorts.get("4789>53")?.tunnel ?? ""), "vxlan");
  assert.equal(text(byPorts.get("53>4789")?.server_name ?? ""), "wiki.example.org", "both ways");
  assert.equal(byPorts.get("4790>53")?.server_name, "", "a flow without names sends none");
});
