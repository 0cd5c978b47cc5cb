// Analysis written by hand beside the generated figures of BENCHMARKS.md: why a target was
// missed when it was last studied. Static text (kept here so that BENCHMARKS.md stays generated).

export const OFFLINE_MISS =
  `**Why, and by how much.** The target asks 3x softflowd for decode plus the *full* flow
engine. On the 5,000-flow file softflowd -r takes about 370 ns a packet, its libpcap read
included, so 3x leaves about 125 ns for everything. Netwatch reads and decodes a packet in about
70 ns (its own pcap reader since this round: libpcap's copy of every record through
\`pcap_dump\` and stdio took about 50 ns more); the flow engine then keys and finds a
bidirectional flow and updates its counters, TCP state and recency list, and accounts hosts and
time series per flow and per second, about 135 ns together (see the optimisation section). CPU
profile of read + decode + engine on that file (\`deno run --cpu-prof\`, self time): flow index
find 14%, engine add 12%, key build 8%, key hash 7%, recency list 4%, host updates 9%, decoding
about 22%, file read 8%. No single function is left; what remains is the flow lookup touching
a dozen arrays per packet. On the 500,000-flow file each flow gets about one packet a second, so
per-second accounting saves nothing, and the working set (500,000 flows at about 110 bytes, 65,536
hosts at about 1.6 KB, nearly every packet replacing a host because 500,000 clients cycle through
the host table) is larger than the L3 cache: the flow index find (index, then meta, ports and
address arrays: three or four cache misses) and host find, insert, evict and bucket updates take
most of the time. Records laid out per flow (one 104-byte record each, the same memory as the
struct of arrays) would cut the find's misses to one or two; that rewrites FlowStore and every
query reader, and is not done here. Real captures in the corpus are small (3,000 to 7,500
packets): there every tool's figure is dominated by fixed costs (opening the file, Netwatch's
1M-slot tables, process start-up), so those rows say little about per-packet cost; the generated
captures are the throughput measure.`;
export const LIVE_MISS =
  `**Why.** See the steps above: the first loss names the rate at which Netwatch's capture
worker or its main thread (flow engine) could no longer keep up with trafgen on the other core.
At 64-byte frames the per-packet cost of the engine (see section 1) sets the ceiling; the kernel
buffer (64 MiB) absorbs bursts but not a sustained deficit.`;
export const CPU_MISS =
  `**Why.** Netwatch runs two threads that each touch every packet, softflowd one. Split per
thread (from /proc/<pid>/task/*/stat over a separate 20 s run at 100 kpps, same traffic): the
capture worker about 1.7% of a core, the main thread (flow engine) about 1.9%, V8's helper
threads the rest. The worker reads every frame out of the kernel's ring, which the other core
has just written, copies it through \`pcap_dump\` into its batch buffer and decodes it; in Deno
every wake-up of a thread costs about 300 us of CPU and every message between threads about
100 us, which is why the worker reads on a 100 ms clock while traffic flows (see the
optimisation section). The machine's speed moves a lot over minutes, so a run over 5% here can
follow one at 3.5%: compare with softflowd in the same run.`;
export const API_MISS =
  `**Why.** Requests are sequential over loopback on a shared 2-core machine, and with
100 requests p99 is the second-slowest sample, so one scheduling stall sets it; compare p50.
The slowest shapes scan every one of the 1M flows per request (filter, then a partial sort of
the page, or of offset + page rows for a deep offset); nothing is indexed or cached between
requests. That scan is the cost to cut if p99 must stay under 20 ms on a loaded machine. The
machine's speed matters here as much as the code: the query code did not change between the run
that measured a worst p99 of 15.9 ms (08:27) and the one above, and in a same-run A/B right after it,
alternating the code from before and after this session's changes, deep-offset paging measured
p99 20.1 and 21.4 ms before and 21.3 and 19.9 ms after (p50 12.0 and 12.0 before, 11.9 and 12.8
after).`;
export const MEMORY_NOTE =
  `The RSS delta includes costs that do not grow with the flows: V8 heap growth, compiled code
and the first pages of the host and time-series tables; since issue 13, the one-packet ring
(131,072 records of 104 bytes, 13 MiB), which any traffic with more TCP flows than that writes
end to end; and the payload inspector's fixed pools (65,534 entries and 256 reassembly buffers,
about 6 MiB) with the name and passive-DNS tables. The slope between the two sizes is the cost
of one more flow: a 120-byte record and 5.3 bytes of index. Inspection state is kept per flow
being inspected, not per flow held (the fill sends every flow through it). Before issue 13 the
1M figure was 125.0 and the 5M figure 112.3, with no ring and without identity; measured with
identity before its state left the flow slots, the slope was 146.5 B (129.8 without).`;
