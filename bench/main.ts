// `deno task bench`: runs the benchmarks and prints their figures beside reference tools.

import { formatFlowsBench, runFlowsBench } from "./flows_bench.ts";
import { benchOffline, offlineTable } from "./offline.ts";
import { formatServerBench, runServerBench } from "./server_bench.ts";
import { uiBench, uiBenchTable } from "./ui_bench.ts";

const OUT = new URL("./out/", import.meta.url).pathname;

const offline = await benchOffline({ packets: 2_000_000, flows: 5_000, dir: OUT });
console.log(offlineTable(offline));
console.log();
console.log(formatFlowsBench(await runFlowsBench()));
console.log();
console.log(formatServerBench(await runServerBench()));
console.log();
console.log(uiBenchTable(await uiBench()));
