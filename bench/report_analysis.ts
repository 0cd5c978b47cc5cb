// Analysis written by hand beside the generated figures of BENCHMARKS.md: why a target was
// missed when it was last studied. Static text (kept here so that BENCHMARKS.md stays generated).

export const OFFLINE_MISS =
  `**Why, and by how much.** The target asks 3x softflowd for decode plus the *full* flow
engine, which now also reads each flow's first payload packets for names and applications. On the
5,000-flow file softflowd -r takes about 350 ns a packet, its libpcap read included, so 3x leaves
about 117 ns for everything. Netwatch reads and decodes a packet in about 70 ns (its own pcap
reader); the engine then finds the flow (one index entry, then its 120-byte record), updates its
counters and TCP state, inspects payload while the flow is being named, and accounts hosts, time
series, per-flow rate buckets and apps per flow and per second: about 140 ns together. Profiled
after issue 13's follow-up (\`deno run --cpu-prof\`, self time, with names): on the 5,000-flow
file the flow lookup (key, hash, index probe, key compare) 23%, reading the file 19%, the
engine's add 11%, hosts 3%; on the 500,000-flow file the host table 25% (500,000 clients cycle
through 65,536 host slots, so a flow's second nearly always brings a host insert and eviction),
the flow lookup 20%, per-second accounting 12%, the idle sweep 4%. On the 500,000-flow file each flow gets about one packet a second and nearly every packet is
among its flow's first 12 payload packets (so it is inspected), and the working set (500,000
records of 125 bytes with the index, 65,536 hosts that 500,000 clients cycle through, the
inspector's pool) is far larger than the L3 cache: each packet pays cache misses on the index
entry, the record and, at the second's end, the record again and two hosts. Records per flow
(issue 13) cut the lookup from a dozen arrays to two places; what is left is work the features
need. Reaching 3x would take a different design for the packet path (decoding and lookup in C
through FFI, or WebAssembly, or sampling), not more tuning of this one. Real captures in the corpus
are small (3,000 to 7,500 packets): there every tool's figure is dominated by fixed costs (opening
the file, Netwatch's 1M-slot tables, process start-up), so those rows say little about per-packet
cost; the generated captures are the throughput measure.`;
export const LIVE_MISS =
  `**Why.** See the steps above: the first loss names the rate at which Netwatch's capture
worker or its main thread (flow engine) could no longer keep up with trafgen on the other core.
At 64-byte frames the per-packet cost of the engine (see section 1) sets the ceiling; the kernel
buffer (64 MiB) absorbs bursts but not a sustained deficit.`;
export const CPU_SPREAD =
  `**How much this moves.** This section measured 3.0% on the morning of 30 November, 8.7% that
afternoon and 4.7% an hour later. In between, this build alternated with eb4b1e0, from
before the afternoon's changes (eight pairs of three 20 s runs each), read 3.4 to 10.0% and 3.1
to 9.0%, neither ahead. softflowd stayed at
2.0 to 2.2% throughout, and darkstat moved with Netwatch (0.3 to 0.7%): what moves is the cost of
waking threads on this VM, and Netwatch's is the larger share, 1 to 3% of a core with no traffic
at all (a capture worker and the main thread each woken several times a second, history's writer
too when on).`;

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

export const FLOOD_X_MISS =
  `**Why 4x softflowd is missed.** softflowd's default table holds 8,192 flows: under a
random-source flood it evicts one for nearly every SYN, in C, and never touches memory beyond
that small table, about 800 ns a packet here. 4x that through \`serve\` is 200 ns a packet for
reading, decoding, the flow table, the one-packet ring, hosts (every SYN a new host), the time
series and handing the results to the API, with 1M flows and 65,536 hosts held (at softflowd's
table size of 1M flows it manages 0.25 Mpps, and Netwatch is about 7.5x that). The engine alone
in one thread runs at about 1.9 Mpps on this file; the ring bought 1.9x and the hash index's tag
fix 1.16x (see the optimisation section); the rest would need the packet path out of JavaScript.`;

export const USUAL_MIX_MISS =
  `**Why the usual mix is behind.** The A/B is the measure (one engine per process over 8M
packets, the commits alternated; the ratio to softflowd moves with softflowd's own rate). Over
the A/B runs since the heap-number fix that won 7% (optimisation section), the 5,000-flow mix is 3
to 8% slower than at the round's start (0.92 to 0.97) and the 500,000-flow mix 3 to 14% faster; names and applications cost 4% at 5,000 flows and 2 to 7% at 500,000. At 5,000 flows
the profile is flat. Split, each tree in its own process, two runs each: reading + decoding alone
12.1-12.4 against 12.8-12.9 M packets/s (tunnels, more link types, four more fields cleared per
packet), the engine alone over batches held in memory 3.64-3.86 against 3.83-4.08 (one index for
flows and one-packet flows, a packet's first read of its 120-byte record, the per-flow rate). That
is what the per-flow records, the one-packet ring and the new decoders cost; the records are what
bought the 500,000-flow and flood gains, so they stay.`;

export const LIVE_WORKERS_NOTE =
  `**Two workers here.** This machine has 2 cores: with 2 capture workers, trafgen and the
kernel's receive path share them, so 1 against 2 workers is no measure of scaling, and the API
waits for a core now and then (its answers come from the workers). Until the talkers merge
changed (see "Top talkers across workers" in the optimisation log below), /talkers with 2
workers took over a second during the flood: p99 1,683.6 ms, with the sender slowed to 591,541
pps. The default on a 2-core machine is 1 worker (half the cores).`;
