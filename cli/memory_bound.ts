// The memory --max-flows, --max-history and --max-hosts would take, checked against the machine
// before anything is allocated, so a huge value is one usage line rather than a stack trace.

import { DEFAULT_FLOW_CONFIG, type FlowConfig } from "../flows/flow_config.ts";
import { ACTIVE_WORDS, FlowStore, HISTORY_WORDS } from "../flows/flow_store.ts";
import { flowTableBytesPerFlow } from "../flows/flow_table.ts";

/** A host's record, rate rings and minute buckets (flow_config.ts documents about 1.6 KB). */
const BYTES_PER_HOST = 1600;
/** Time series, payload inspection's fixed pools and the runtime, besides the tables. */
const FIXED_BYTES = 256 << 20;
/**
 * Records one table can hold: V8's largest ArrayBuffer is 16 GiB, and the flow index holds at
 * most 2^26 records (26 bits of slot in an entry, with the probe distance and a tag).
 */
const MAX_SLOTS = Math.min(
  Math.floor(2 ** 34 / FlowStore.bytesPerRecord(ACTIVE_WORDS)),
  2 ** 26 - 1 - 262_144,
);

/** The table options, their config fields, and what one entry costs. */
const TABLES = [
  {
    option: "--max-flows",
    field: "maxActiveFlows",
    bytes: (_n: number) => flowTableBytesPerFlow(),
  },
  {
    option: "--max-history",
    field: "maxHistoryRecords",
    bytes: (_n: number) => FlowStore.bytesPerRecord(HISTORY_WORDS),
  },
  { option: "--max-hosts", field: "maxHosts", bytes: (_n: number) => BYTES_PER_HOST },
] as const;

/** The machine's memory in bytes (what the tables may take at most), or undefined if unknown. */
export function machineMemory(): number | undefined {
  try {
    return Deno.systemMemoryInfo().total;
  } catch {
    return undefined; // no --allow-sys: only V8's own limit is checked
  }
}

/**
 * Checks the table sizes in `limits` (unset ones at their defaults) against `memoryBytes`.
 * Returns a message naming the first option that does not fit and the largest value that
 * would, or undefined when everything fits.
 */
export function tableSizeProblem(
  limits: Partial<FlowConfig>,
  memoryBytes: number | undefined,
): string | undefined {
  const config = { ...DEFAULT_FLOW_CONFIG, ...limits };
  const cost = (i: number) => {
    const n = config[TABLES[i].field];
    return n * TABLES[i].bytes(Math.max(1, n));
  };
  for (const [i, table] of TABLES.entries()) {
    const n = config[table.field];
    if (limits[table.field] === undefined) continue;
    let largest = MAX_SLOTS;
    if (memoryBytes !== undefined) {
      const others = TABLES.reduce((sum, _, j) => sum + (j === i ? 0 : cost(j)), FIXED_BYTES);
      const room = Math.max(0, memoryBytes - others);
      largest = Math.min(largest, Math.floor(room / table.bytes(Math.max(1, n))));
    }
    if (n > largest) {
      const where = memoryBytes === undefined
        ? "V8's largest array"
        : `this machine's ${(memoryBytes / 2 ** 30).toFixed(1)} GiB with the other tables`;
      return `Invalid ${table.option} ${n}: at most ${largest} fit in ${where}`;
    }
  }
  return undefined;
}
