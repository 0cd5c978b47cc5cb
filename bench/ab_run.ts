// One measurement for bench/ab.ts: the engine of the source tree TREE over capture FILE, in one
// pass, in this process. Prints one JSON line: packets, CPU seconds and M packets per CPU second.
//
// Usage: deno run -A bench/ab_run.ts TREE FILE [identity]
//
// The tree's modules are imported by path, so any commit with capture/read_file.ts,
// flows/flow_engine.ts and flows/packet_counters.ts can be measured (names and applications
// need flows/identity/identity.ts). One pass with one engine is what a long-running monitor
// does; timing several engines one after another in one process measures something else: V8
// throws away code compiled against the earlier engines' objects as they die, at each run.

import { resolve } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";

const [tree, file, withIdentity] = Deno.args;
if (!tree || !file) {
  console.error("usage: ab_run.ts TREE FILE [identity]");
  Deno.exit(2);
}
const from = (path: string) => pathToFileURL(resolve(tree, path)).href;
const { readCaptureFile } = await import(from("capture/read_file.ts"));
const { FlowEngine } = await import(from("flows/flow_engine.ts"));
const { PacketCounters } = await import(from("flows/packet_counters.ts"));
const options: Record<string, unknown> = {};
if (withIdentity === "identity") {
  const { Identity } = await import(from("flows/identity/identity.ts"));
  options.identity = new Identity();
}

const engine = new FlowEngine(options);
const counters = new PacketCounters();
let second = -1;
const before = process.cpuUsage();
readCaptureFile(file, (batch: { count: number }) => {
  counters.add(batch);
  engine.add(batch);
  // Timeouts swept once per second of file time, as report and serve do.
  if (Math.floor(engine.now) !== second) {
    second = Math.floor(engine.now);
    engine.tick(engine.now);
  }
});
const used = process.cpuUsage(before);
const cpuSeconds = (used.user + used.system) / 1e6;
console.log(JSON.stringify({
  packets: counters.packets,
  cpuSeconds,
  mpps: counters.packets / cpuSeconds / 1e6,
}));
