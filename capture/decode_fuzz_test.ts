// Fuzzes the decoders with real packets cut short, bit-flipped and given extreme length fields,
// and with hand-built frames of every tunnel form (tests/helpers/tunnel_frames.ts).
//
// Each mutated frame is decoded twice, once followed by 0x00 bytes and once by 0xff bytes: any
// read past the captured length would make the two results differ. Runs a bounded number of
// iterations (NETWATCH_FUZZ_ITERATIONS, default 200,000) from a fixed seed (NETWATCH_FUZZ_SEED)
// so that CI is repeatable; `deno task fuzz` runs 5 million with a random seed (printed).

import assert from "node:assert/strict";
import { corpusFiles, corpusPath } from "../tests/helpers/corpus.ts";
import { hex, parsePcap } from "../tests/helpers/pcap_file.ts";
import { TUNNEL_SAMPLES } from "../tests/helpers/tunnel_frames.ts";
import { mulberry32 } from "../tests/helpers/random.ts";
import { decodeFrame } from "./decode_link.ts";
import { linkType } from "./link_types.ts";
import { clearSlot, Flag, PacketBatch, PacketKind, TunnelKind } from "./packet_batch.ts";

const ITERATIONS = Number(Deno.env.get("NETWATCH_FUZZ_ITERATIONS") ?? 200_000);
const SEED_SETTING = Deno.env.get("NETWATCH_FUZZ_SEED") ?? "24301";
const SEED = SEED_SETTING === "random" ? Math.floor(Math.random() * 2 ** 31) : Number(SEED_SETTING);
if (SEED_SETTING === "random") console.log(`decode fuzz seed: ${SEED}`);
const PAD = 256;

interface Sample {
  decoder: number;
  data: Uint8Array;
}

/** Real frames from every classic pcap in the corpus (pcapng files need libpcap; skipped here). */
function samples(): Sample[] {
  const out: Sample[] = [];
  for (const folder of ["real", "malformed"]) {
    for (const file of corpusFiles(folder)) {
      let contents;
      try {
        contents = parsePcap(Deno.readFileSync(corpusPath(`${folder}/${file}`)));
      } catch {
        continue; // pcapng or a damaged file header
      }
      const decoder = linkType(contents.linktype).decoder;
      for (const record of contents.records.slice(0, 400)) {
        out.push({ decoder, data: record.data.slice() });
      }
    }
  }
  // Every tunnel form, as often as a real capture's worth of frames, so mutations reach the
  // tunnel headers and what is inside them.
  for (let copy = 0; copy < 40; copy++) {
    for (const sample of TUNNEL_SAMPLES) {
      out.push({ decoder: sample.decoder, data: hex(sample.dump) });
    }
  }
  return out;
}

function mutate(data: Uint8Array, rnd: () => number): Uint8Array {
  const frame = data.slice();
  const pick = (n: number) => Math.floor(rnd() * n);
  const mutations = 1 + pick(4);
  for (let m = 0; m < mutations && frame.length; m++) {
    const at = pick(Math.min(frame.length, 160)); // headers (tunnels' too) live near the start
    switch (pick(4)) {
      case 0: // flip a byte
        frame[at] = pick(256);
        break;
      case 1: // a 16-bit field to an extreme: lengths, offsets, ethertypes
        frame[at] = rnd() < 0.5 ? 0 : 0xff;
        if (at + 1 < frame.length) frame[at + 1] = rnd() < 0.5 ? 0 : 0xff;
        break;
      case 2: // a header-length nibble to its extremes (IPv4 IHL, TCP data offset)
        frame[at] = (frame[at] & 0xf0) | (rnd() < 0.5 ? 0 : 0x0f);
        break;
      case 3: // flip one bit
        frame[at] ^= 1 << pick(8);
        break;
    }
  }
  return frame.subarray(0, rnd() < 0.5 ? pick(frame.length + 1) : frame.length);
}

function decodePadded(
  decoder: number,
  frame: Uint8Array,
  fill: number,
  batch: PacketBatch,
  i: number,
): void {
  const buffer = new Uint8Array(frame.length + PAD).fill(fill);
  buffer.set(frame);
  batch.raw = buffer;
  decodeFrame(buffer, new DataView(buffer.buffer), 0, frame.length, decoder, batch, i);
}

function slot(batch: PacketBatch, i: number): number[] {
  // The payload bytes by digest: the padding differs, so a payload reaching into it shows.
  let digest = 0x811c9dc5;
  const end = batch.payloadOffset[i] + batch.payloadLength[i];
  for (let k = batch.payloadOffset[i]; k < end; k++) {
    digest = Math.imul(digest ^ batch.raw[k], 0x01000193);
  }
  return [
    batch.kind[i],
    batch.flags[i],
    batch.proto[i],
    batch.srcPort[i],
    batch.dstPort[i],
    batch.vlan[i],
    batch.tcpFlags[i],
    batch.tcpSeq[i],
    batch.tunnel[i],
    batch.tunnel[i] ? batch.outerKind[i] : -1,
    batch.tunnel[i] ? batch.outerProto[i] : -1,
    batch.tunnel[i] ? batch.outerFlags[i] : -1,
    batch.payloadOffset[i],
    batch.payloadLength[i],
    digest,
    ...batch.src.subarray(i * 4, i * 4 + 4),
    ...batch.dst.subarray(i * 4, i * 4 + 4),
  ];
}

Deno.test(`decodeFrame() survives ${ITERATIONS} mutated real frames without reading past them`, () => {
  const pool = samples();
  assert.ok(pool.length > 1000, `only ${pool.length} sample frames`);
  const rnd = mulberry32(SEED);
  const zeros = new PacketBatch(1);
  const ones = new PacketBatch(1);
  const kinds = new Map<number, number>();
  const tunnels = new Map<number, number>();
  for (let n = 0; n < ITERATIONS; n++) {
    const sample = pool[Math.floor(rnd() * pool.length)];
    const frame = mutate(sample.data, rnd);
    clearSlot(zeros, 0);
    clearSlot(ones, 0);
    decodePadded(sample.decoder, frame, 0x00, zeros, 0);
    decodePadded(sample.decoder, frame, 0xff, ones, 0);
    const a = slot(zeros, 0);
    if (a.join() !== slot(ones, 0).join()) {
      assert.fail(
        `seed ${SEED} iteration ${n}: result depends on bytes past the frame: ` +
          `${Array.from(frame, (b) => b.toString(16).padStart(2, "0")).join("")}`,
      );
    }
    const kind = zeros.kind[0];
    const flags = zeros.flags[0];
    assert.ok(kind <= PacketKind.Invalid, `kind ${kind}`);
    // A payload lies within the captured bytes.
    assert.ok(zeros.payloadOffset[0] + zeros.payloadLength[0] <= frame.length, "payload past end");
    const tunnel = zeros.tunnel[0];
    if (tunnel !== TunnelKind.None) {
      tunnels.set(tunnel, (tunnels.get(tunnel) ?? 0) + 1);
      assert.ok(kind === PacketKind.Ipv4 || kind === PacketKind.Ipv6, "a tunnel left with no IP");
      const outer = zeros.outerKind[0];
      assert.ok(outer === PacketKind.Ipv4 || outer === PacketKind.Ipv6, `outer kind ${outer}`);
    }
    if (flags & Flag.Ports) assert.ok(flags & Flag.L4, "ports without a transport protocol");
    if (kind !== PacketKind.Ipv4 && kind !== PacketKind.Ipv6) {
      assert.equal(flags & (Flag.L4 | Flag.Ports), 0, "transport fields on a non-IP packet");
    }
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  // The mutations must reach every outcome, or the fuzzer is not exercising the decoders.
  for (const kind of [PacketKind.NonIp, PacketKind.Ipv4, PacketKind.Ipv6, PacketKind.Invalid]) {
    assert.ok((kinds.get(kind) ?? 0) > 0, `no mutated frame decoded as kind ${kind}`);
  }
  for (const kind of Object.values(TunnelKind)) {
    if (kind === TunnelKind.None) continue;
    assert.ok((tunnels.get(kind) ?? 0) > 0, `no mutated frame came out of tunnel kind ${kind}`);
  }
});
