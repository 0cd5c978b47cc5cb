// The per-packet path allocates nothing: holds it with V8's sampling heap profiler.
//
// Three regressions of this kind were found by that profiler, not by any test: a uint32 hash
// returned from a call V8 did not inline was a new heap number for every other packet, and a
// packet's time passed as a float was one per flood packet (to the one-packet-flow path) and one
// per packet of a flow whose payload inspection is not over (BENCHMARKS.md, optimisation log).
// Each made tens of MB of garbage per million packets; the first two cost 5 to 7% of the
// engine's speed. The batches here are copies, which hold no payload (the reader's bytes), so
// no flow's inspection ever ends: the case of a capture with a short snap length.
//
// The engine warms up on the first part of a capture (so the JIT has compiled the hot path, as
// in a monitor that has run a few seconds), then the profiler counts what the rest allocates:
// flows and hosts are allocated up front, so a packet path that allocates nothing leaves only
// per-second and per-flow work, well under a byte a packet, where each of those regressions was
// 1.7 to 44. Reading and decoding are held to the same, on a second read of a file.

import assert from "node:assert/strict";
import { Session } from "node:inspector";
import { join } from "node:path";
import { generateCapture } from "../bench/generate_capture.ts";
import { generateFlood } from "../bench/generate_flood.ts";
import { PacketBatch } from "../capture/packet_batch.ts";
import { readCaptureFile } from "../capture/read_file.ts";
import { FlowEngine } from "../flows/flow_engine.ts";
import { Identity } from "../flows/identity/identity.ts";
import { PacketCounters } from "../flows/packet_counters.ts";

/** Share of a capture run before the profiler starts; the rest is measured in two halves. */
const WARM_UP = 0.5;
/** Mean bytes between the profiler's samples: small, so a few bytes a packet cannot hide. */
const SAMPLING_INTERVAL = 256;

interface SampleNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SampleNode[];
}

/** What a run allocated: bytes per packet, and the sites that allocated most (for the message). */
interface Allocated {
  perPacket: number;
  sites: string;
}

function post<T>(session: Session, method: string, params: object = {}): Promise<T> {
  return new Promise((resolve, reject) =>
    session.post(method, params, (error, result) => error ? reject(error) : resolve(result as T))
  );
}

/** Bytes by allocating function (name, file and line), over the profile's tree. */
function bySite(node: SampleNode, sites = new Map<string, number>()): Map<string, number> {
  const f = node.callFrame;
  const site = `${f.functionName || "(anonymous)"} ${f.url.split("/").pop()}:${f.lineNumber + 1}`;
  if (node.selfSize > 0) sites.set(site, (sites.get(site) ?? 0) + node.selfSize);
  for (const child of node.children) bySite(child, sites);
  return sites;
}

/**
 * The capture at `path` as batches held in memory (copies: the reader reuses its batch; a copy's
 * packets have no payload bytes, as a headers-only capture's).
 */
function batchesOf(path: string): PacketBatch[] {
  const batches: PacketBatch[] = [];
  readCaptureFile(path, (batch) => {
    const copy = new PacketBatch(batch.capacity, batch.buffer.slice(0));
    copy.count = batch.count;
    batches.push(copy);
  });
  return batches;
}

/** What `run` (which returns the packets it handled) allocates, sampled by the heap profiler. */
async function sampled(run: () => number): Promise<Allocated> {
  const session = new Session();
  session.connect();
  try {
    await post(session, "HeapProfiler.enable");
    await post(session, "HeapProfiler.startSampling", {
      samplingInterval: SAMPLING_INTERVAL,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    const packets = run();
    const { profile } = await post<{ profile: { head: SampleNode } }>(
      session,
      "HeapProfiler.stopSampling",
    );
    const sites = [...bySite(profile.head)].sort((a, b) => b[1] - a[1]);
    const total = sites.reduce((sum, [, bytes]) => sum + bytes, 0);
    return {
      perPacket: total / packets,
      sites: sites.slice(0, 5).map(([site, bytes]) => `${site} ${bytes} B`).join("; "),
    };
  } finally {
    session.disconnect();
  }
}

/**
 * Bytes allocated per packet while the engine and counters take the last part of `batches`,
 * after the first part warmed them up: the lower of two windows, so that a compilation the
 * machine's load delays past the warm-up (the interpreter allocates freely) does not fail the
 * test, where an allocation in the compiled path shows in both.
 */
async function engineAllocates(batches: PacketBatch[]): Promise<Allocated> {
  // With names and applications, as serve runs it: a flow's packets go through the payload
  // inspection check until it is done, and one that never carries payload, all its life.
  const engine = new FlowEngine({ identity: new Identity() });
  const counters = new PacketCounters();
  let second = -1;
  const feed = (from: number, to: number) => {
    let packets = 0;
    for (let b = from; b < to; b++) {
      counters.add(batches[b]);
      engine.add(batches[b]);
      packets += batches[b].count;
      // Timeouts swept once per second of capture time, as serve does.
      if (Math.floor(engine.now) !== second) {
        second = Math.floor(engine.now);
        engine.tick(engine.now);
      }
    }
    return packets;
  };
  const split = Math.floor(batches.length * WARM_UP);
  const half = Math.floor((batches.length - split) / 2);
  feed(0, split);
  const first = await sampled(() => feed(split, split + half));
  const later = await sampled(() => feed(split + half, batches.length));
  return first.perPacket <= later.perPacket ? first : later;
}

/** What reading and decoding the file at `path` allocates a packet, on a second read. */
async function readAllocates(path: string): Promise<Allocated> {
  const readAll = () => {
    let packets = 0;
    readCaptureFile(path, (batch) => {
      packets += batch.count;
    });
    return packets;
  };
  readAll();
  const first = await sampled(readAll);
  if (first.perPacket < 1) return first;
  // As for the engine: a second chance for a compilation that came late.
  return await sampled(readAll);
}

/** Runs `check` on a capture made by `make` in a temporary directory. */
async function withCapture(make: (path: string) => void, check: (path: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "netwatch-alloc-" });
  try {
    const path = join(dir, "capture.pcap");
    make(path);
    await check(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function assertNothing({ perPacket, sites }: Allocated): void {
  assert.ok(perPacket < 1, `${perPacket.toFixed(2)} bytes allocated a packet; most by ${sites}`);
}

const usual = (path: string) => generateCapture(path, { packets: 1_500_000, flows: 5_000 });
// Spaced over five seconds (at line rate it is one), so that the per-second work has run before
// the profiler starts, as it has in a monitor that has run for a while.
const flood = (path: string) => generateFlood(path, { packets: 1_500_000, rate: 300_000 });

Deno.test("the usual mix's packets allocate nothing on the way through the engine", async () => {
  await withCapture(usual, async (path) => assertNothing(await engineAllocates(batchesOf(path))));
});

Deno.test("a SYN flood's packets allocate nothing on the way through the engine", async () => {
  await withCapture(flood, async (path) => assertNothing(await engineAllocates(batchesOf(path))));
});

Deno.test("reading and decoding a capture allocates nothing a packet", async () => {
  await withCapture(usual, async (path) => assertNothing(await readAllocates(path)));
});
