// Every frame of every real capture and of nDPI's test set, decoded by Netwatch, against tshark
// and nDPI: the innermost IP and TCP/UDP header of each frame equals what tshark shows for the
// same frame (tunnels taken off), and the conversations inside tunnels have the packets and
// bytes nDPI's own results give them.

import assert from "node:assert/strict";
import { openCaptureFile } from "../capture/pcap_file.ts";
import { readCaptureFile } from "../capture/read_file.ts";
import { formatAddress } from "../capture/ip_address.ts";
import { PacketKind } from "../capture/packet_batch.ts";
import { corpusFiles, corpusPath, ndpiPath } from "./helpers/corpus.ts";
import { canonicalIp } from "./helpers/canonical_ip.ts";
import { netwatchInnermost, tsharkInnermost } from "./helpers/tshark_inner.ts";

const REAL = corpusFiles("real").map((file) => corpusPath(`real/${file}`));
const NDPI = [...Deno.readDirSync(ndpiPath("pcap/"))]
  .filter((entry) => entry.isFile).map((entry) => ndpiPath(`pcap/${entry.name}`)).sort();

/** The captures grouped by link type, so that each group is one file for one tshark run. */
function byLinkType(paths: string[]): Map<number, string[]> {
  const groups = new Map<number, string[]>();
  for (const path of paths) {
    const reader = openCaptureFile(path);
    const dlt = reader.linkType.dlt;
    reader.close();
    groups.set(dlt, [...groups.get(dlt) ?? [], path]);
  }
  return groups;
}

Deno.test("every frame's innermost IP and TCP/UDP header is tshark's, on real and nDPI captures", async () => {
  assert.ok(REAL.length >= 29 && NDPI.length >= 100, `${REAL.length} + ${NDPI.length} captures`);
  const dir = await Deno.makeTempDir();
  let frames = 0;
  let tunnelled = 0;
  try {
    for (const [dlt, paths] of byLinkType([...REAL, ...NDPI])) {
      // One tshark run per link type over the captures laid end to end.
      const merged = `${dir}/dlt${dlt}.pcapng`;
      const merge = await new Deno.Command("mergecap", {
        args: ["-F", "pcapng", "-a", "-w", merged, ...paths],
        stderr: "piped",
      }).output();
      assert.equal(merge.code, 0, new TextDecoder().decode(merge.stderr));
      const want = await tsharkInnermost(merged);
      let at = 0;
      for (const path of paths) {
        const got = netwatchInnermost(path);
        const name = path.split("/").pop();
        for (let i = 0; i < got.frames.length; i++) {
          assert.equal(got.frames[i], want[at + i], `${name} frame ${i + 1}`);
        }
        at += got.frames.length;
        tunnelled += got.tunnels.filter((t) => t !== 0).length;
      }
      assert.equal(at, want.length, `DLT ${dlt}: as many frames as tshark read`);
      frames += at;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assert.ok(frames > 40_000, `${frames} frames`);
  assert.ok(tunnelled > 250, `only ${tunnelled} frames were in tunnels`);
});

/** Packets and bytes of one conversation (both directions). */
interface Conversation {
  packets: number;
  bytes: number;
}

const PROTOCOLS: Record<number, string> = {
  1: "ICMP",
  2: "IGMP",
  6: "TCP",
  17: "UDP",
  50: "ESP",
  58: "ICMPV6",
};

function conversationKey(proto: string, a: string, b: string): string {
  return `${proto} ${[a, b].sort().join(" ")}`;
}

/** nDPI's flows from a result file, VLANs merged (nDPI keys the innermost tag; Netwatch the outer). */
function ndpiConversations(path: string): Map<string, Conversation> {
  const flows = new Map<string, Conversation>();
  const line =
    /^\t\d+\t(\S+) (\S+) (?:<->|->) (\S+) .*?\[(\d+) pkts\/(\d+) bytes (?:<->|->) (\d+) pkts\/(\d+) bytes\]/;
  for (const text of Deno.readTextFileSync(path).split("\n")) {
    const m = line.exec(text);
    if (!m) continue;
    const endpoint = (e: string) => {
      const [, address, port] = /^\[?([^\]]+?)\]?:(\d+)$/.exec(e)!;
      return `${canonicalIp(address)}|${port}`;
    };
    const key = conversationKey(m[1], endpoint(m[2]), endpoint(m[3]));
    const flow = flows.get(key) ?? { packets: 0, bytes: 0 };
    flow.packets += Number(m[4]) + Number(m[6]);
    flow.bytes += Number(m[5]) + Number(m[7]);
    flows.set(key, flow);
  }
  return flows;
}

Deno.test("conversations inside tunnels have nDPI's packets and bytes, on nDPI's captures", () => {
  let checked = 0;
  for (const path of NDPI) {
    const expected = ndpiConversations(path.replace("/pcap/", "/result/") + ".out");
    const ours = new Map<string, Conversation & { tunnelled: boolean }>();
    readCaptureFile(path, (batch) => {
      for (let i = 0; i < batch.count; i++) {
        const kind = batch.kind[i];
        if (kind !== PacketKind.Ipv4 && kind !== PacketKind.Ipv6) continue;
        const name = PROTOCOLS[batch.proto[i]];
        if (!name) continue;
        const v = kind === PacketKind.Ipv4 ? 4 : 6;
        const ports = name === "TCP" || name === "UDP";
        const a = `${canonicalIp(formatAddress(v, batch.src, i))}|${ports ? batch.srcPort[i] : 0}`;
        const b = `${canonicalIp(formatAddress(v, batch.dst, i))}|${ports ? batch.dstPort[i] : 0}`;
        const key = conversationKey(name, a, b);
        const c = ours.get(key) ?? { packets: 0, bytes: 0, tunnelled: false };
        c.packets++;
        c.bytes += batch.wireLen[i];
        c.tunnelled ||= batch.tunnel[i] !== 0;
        ours.set(key, c);
      }
    });
    for (const [key, c] of ours) {
      if (!c.tunnelled) continue; // conversations outside tunnels are the flow engine's tests
      const what = `${path.split("/").pop()}: ${key}`;
      const theirs = expected.get(key);
      assert.ok(theirs, `${what}: not among nDPI's flows`);
      assert.equal(c.packets, theirs.packets, what);
      // nDPI counts captured bytes (header->caplen), Netwatch wire bytes: they differ by the
      // frame check sequence some captures leave off, at most 4 bytes a packet.
      assert.ok(c.bytes >= theirs.bytes && c.bytes - theirs.bytes <= 4 * c.packets, what);
      checked++;
    }
  }
  assert.ok(checked >= 8, `only ${checked} tunnelled conversations checked`);
});
