// The record of the hot-path work done for issue 7: what the profile showed, what changed, and
// the figures before and after. Static text (a past measurement), appended to BENCHMARKS.md.

/** Markdown section for BENCHMARKS.md. */
export const OPTIMISATION = `## Optimisation for issue 7: before and after

Profiled first: \`deno run --cpu-prof\` over read + decode + \`FlowEngine.add\` on the generated
5,000-flow capture, self time summed per function. Before: the host table took about 44% of the
time (\`HostTable.addPacket\` 23%, its hash find 13%, bucket advance, recency moves and the growth
copies the rest) and the flow index find 19%. Both indexes were sized for the tables' caps (an
8 MiB index for 1M flows, 512 KiB for 65,536 hosts), so with a few thousand flows almost every
probe missed the cache; and one host update wrote some twelve separate arrays (one cache line
each).

Changes (flows/ only; behaviour identical, checked by running the old and new engines side by
side on both generated captures and the eight largest real captures, with flow and host
eviction forced, and comparing every active and ended record, every host window and the time
series; and the old and new host tables on 600 simulated minutes of random traffic with
out-of-order packets, eviction and growth, comparing \`top()\` for every window, limit, measure
and direction):

1. **Indexes sized to the count** (flow_table.ts, hosts.ts). Each index is allocated once for
   the cap (its pages commit only when touched) but only its first entries are used, doubling
   in place when they pass 3/4 full of the entries the table *holds*. At the cap it is the same
   size as before; with 5,000 flows it is 32 KiB and stays in cache, and growing leaves no freed
   arrays behind in the allocator.
2. **Host records laid out for the packet path** (hosts.ts). Everything a lookup and a recency
   move read (address, hash, version, prev, next) is one 32-byte record; totals, last-seen times
   and the 4 second buckets are one 128-byte record; a minute bucket's four counters are one
   24-byte record. Same bytes per host (about 1.6 KB) but one or two cache lines per update
   instead of one per field.
3. **A new host writes one minute bucket, not 61** (hosts.ts). The host records the minute it
   entered; readers skip minutes before it. With 500,000 clients cycling through 65,536 host
   slots, that was 1.5 KB of zeroing on nearly every packet.
4. **No memory touched for slots never used** (flow_table.ts, hosts.ts): the free marks and
   free list over every new slot are replaced by a high-water mark (the flow table already had
   one). Building a default engine committed about 2.3 MiB before; now about 0.7 MiB.
5. **No key hash stored per flow** (flow_table.ts): probes compare the key's meta and ports
   words (loaded anyway) instead of a stored hash, and removal and index growth hash the slot's
   key again. 4 bytes per flow less, no measurable change in speed (same A/B: 2.36 and 2.33 M
   packets/s at 5,000 flows, 0.64 and 0.66 at 500,000, with and without).
6. **Top talkers without sorting every host** (hosts.ts \`top()\`): one pass keeping the best
   \`limit\` in a heap, with the window sums inlined (no array per host).

Figures: the two versions alternated in one process on the same capture, median of 7 (run 1
while the 30-minute soak test ran on the other core, run 2 after it; the machine's speed moves
between runs, so compare within a run). "Before" is flows/ at commit b8f1b49. The /talkers row
is bench/server_bench.ts run before and after the heap change, the bytes row flows_bench.ts's
1M child run alternately with each version.

| measurement | before | after | after / before |
| --- | --- | --- | --- |
| engine only (batches in memory), 5,000 flows, run 1 / run 2 (M packets/s) | 2.66 / 1.96 | 3.26 / 3.18 | 1.23 / 1.62 |
| read + decode + engine, 5,000 flows, run 1 / run 2 (M packets/s) | 2.02 / 1.62 | 2.42 / 2.12 | 1.20 / 1.31 |
| engine only, 500,000 flows, run 1 / run 2 (M packets/s) | 0.64 / 0.57 | 0.81 / 0.68 | 1.26 / 1.20 |
| read + decode + engine, 500,000 flows, run 1 / run 2 (M packets/s) | 0.59 / 0.52 | 0.75 / 0.64 | 1.27 / 1.24 |
| \`/talkers?window=5m&limit=10\` over 1M flows and 50,200 hosts, p50 / p99 (ms) | 17.5 / 22.7 | 2.5 / 4.4 | 0.14 / 0.19 |
| RSS committed by building a default engine (MiB) | 2.3 | 0.7 | 0.30 |
| bytes per flow at 1M flows, RSS delta, 3 runs alternated | 126.7 / 126.4 / 126.5 | 122.9 / 122.9 / 123.0 | 0.97 |

Tried and dropped: remembering each time-series ring's current slot (to skip a floating-point
modulo per packet) measured no faster in the same A/B and was reverted. A per-flow cache of its
two host slots was not done: it needs 4 to 8 bytes per flow (4 with 16-bit slots, which fit the
default 65,536 hosts), which item 5 would now pay for, but the host lookup it saves is about 10%
of engine time at best and the time was better spent measuring.`;
