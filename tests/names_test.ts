// Names and applications against two oracles: tshark's decoded names on the repository's
// corpus and nDPI's captures, and nDPI's own [Hostname/SNI] results for its captures.

import assert from "node:assert/strict";
import { corpusFiles, corpusPath, ndpiPath } from "./helpers/corpus.ts";
import { type HarnessFlow, inspectCapture } from "./helpers/payload_flows.ts";
import { readNdpiFlows } from "./helpers/ndpi_results.ts";

/** Flows of every capture, by file, read once for both tests. */
let cached: Map<string, Map<string, HarnessFlow>> | undefined;
async function allFlows(): Promise<Map<string, Map<string, HarnessFlow>>> {
  if (cached) return cached;
  cached = new Map();
  for (const name of corpusFiles("real")) {
    cached.set(`real/${name}`, await inspectCapture(corpusPath(`real/${name}`)));
  }
  for (
    const entry of [...Deno.readDirSync(ndpiPath("pcap/"))].sort((a, b) => a.name < b.name ? -1 : 1)
  ) {
    cached.set(`ndpi/${entry.name}`, await inspectCapture(ndpiPath(`pcap/${entry.name}`)));
  }
  return cached;
}

/**
 * Names tshark decodes that the inspector cannot reach, each for a reason: RDP's UDP transport
 * wraps its DTLS ClientHello in RDPUDP framing, which is not read.
 */
const TSHARK_EXCEPTIONS = new Set([
  "ndpi/rdp2.pcap sni UDP 192.168.122.181:54759 192.168.122.2:3389",
]);

Deno.test("every SNI, QUIC SNI, HTTP Host and DNS query tshark sees is on the same flow", async () => {
  const misses: string[] = [];
  const counts: Record<string, number> = {};
  for (const [file, flows] of await allFlows()) {
    for (const flow of flows.values()) {
      for (const kind of ["sni", "quic", "host", "dns"] as const) {
        const names = flow.tshark[kind];
        if (names.length === 0) continue;
        counts[kind] = (counts[kind] ?? 0) + 1;
        // tshark shows a Host with its port; the inspector drops it for HTTP (as nDPI does)
        // and keeps it for SSDP (as nDPI does).
        const wanted = kind === "host"
          ? [...names, ...names.map((n) => n.replace(/:\d+$/, ""))]
          : names;
        if (!wanted.includes(flow.name)) misses.push(`${file} ${kind} ${flow.key}`);
      }
    }
  }
  console.log(`tshark names per kind: ${JSON.stringify(counts)}; missed: ${misses.length}`);
  assert.ok(counts.sni > 500 && counts.dns > 300 && counts.host > 50 && counts.quic > 10);
  assert.deepEqual(misses.filter((m) => !TSHARK_EXCEPTIONS.has(m)), []);
});

Deno.test("server names agree with nDPI's Hostname/SNI for at least 95% of the flows it names", async () => {
  const flows = await allFlows();
  let named = 0;
  let same = 0;
  const misses: string[] = [];
  for (const entry of [...Deno.readDirSync(ndpiPath("pcap/"))]) {
    const mine = flows.get(`ndpi/${entry.name}`)!;
    for (const n of readNdpiFlows(ndpiPath(`result/${entry.name}.out`))) {
      if (!n.name) continue;
      named++;
      const flow = mine.get(n.key);
      if (flow?.name === n.name) same++;
      else {misses.push(
          `${entry.name} ${n.label} ${n.key}: nDPI ${n.name}, here ${flow?.name || "-"}`,
        );}
    }
  }
  const share = same / named;
  console.log(`nDPI names ${named} flows; ${same} agree (${(100 * share).toFixed(1)}%)`);
  for (const m of misses) console.log(`  differs: ${m}`);
  assert.ok(named > 300, `only ${named} named flows read: are the nDPI results there?`);
  assert.ok(share >= 0.95, `${(100 * share).toFixed(1)}% < 95%`);
});
