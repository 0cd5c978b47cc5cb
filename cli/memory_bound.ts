// The memory --max-flows, --max-history and --max-hosts would take, checked against the machine
// before anything is allocated, so a huge value is one usage line rather than a stack trace.

import { DEFAULT_FLOW_CONFIG, type FlowConfig } from "../flows/flow_config.ts";
import { FLOW_STORE_BYTES_PER_SLOT } from "../flows/flow_store.ts";
import { flowTableBytesPerFlow } from "../flows/flow_table.ts";

/** A host's record, rate rings and minute buckets (flow_config.ts documents about 1.6 KB). */
const BYTES_PER_HOST = 1600;
/** Time series and the runtime, besides the tables. */
const FIXED_BYTES = 256 << 20;
/** V8's largest ArrayBuffer is 16 GiB, and one flow field takes 32 bytes a slot (addresses). */
const MAX_SLOTS = Math.floor(2 ** 34 / 32);

/** The table options, their config fields, and what one entry costs. */
const TABLES = [
  {
    option: "--max-flows",
    field: "maxActiveFlows",
    bytes: (n: number) => flowTableBytesPerFlow(n),
  },
  { option: "--max-history", field: "maxHistoryRecords", bytes: () => FLOW_STORE_BYTES_PER_SLOT },
  { option: "--max-hosts", field: "maxHosts", bytes: () => BYTES_PER_HOST },
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
