// History through `serve` itself: a replay, a stop and a start on the same data directory serve
// the replayed range again with exact totals; after a kill -9 at most the minute in progress is
// missing. Truth is tshark's reading of the capture (the corpus' EXPECTED.csv).

import { setTimeout as sleep } from "node:timers/promises";
import assert from "node:assert/strict";
import { recordSums } from "./helpers/conversations.ts";
import { corpusPath, readCsv } from "./helpers/corpus.ts";
import { type ServeProcess, startServe, startServer } from "./helpers/serve.ts";
import type {
  FlowsResponse,
  ProtocolsResponse,
  SeriesResponse,
  StatsResponse,
  TalkersResponse,
} from "../server/wire.ts";

/** Mixed traffic: several hosts and many flows. `serve` stamps a replay's packets as they are read. */
const FIRST = corpusPath("real/pcapplusplus_DnsPackets.pcap");
/** 146 s of TLS: replayed at its pace, it crosses a minute boundary of the wall clock. */
const PACED = corpusPath("real/pcapplusplus_tls2.pcap");
/** Public addresses (countries from the built-in database) and DNS answers naming them. */
const NAMED = corpusPath("real/zeek_wikipedia.pcap");
/** The restarted server captures nothing new: its range is only what the disk holds. */
const NOTHING = ["--filter", "host 192.0.2.222"];

async function get<T>(server: ServeProcess, path: string): Promise<T> {
  const response = await fetch(`${server.base}/api/v1${path}`);
  const body = await response.text();
  assert.equal(response.status, 200, `${path}: ${body}`);
  return JSON.parse(body) as T;
}

/** Bytes per minute of a /series answer in bit/s at a 60 s step. */
function seriesBytes(s: SeriesResponse): Map<number, number> {
  const out = new Map<number, number>();
  const total = s.series.find((x) => x.name === "total") ?? s.series[0];
  s.t.forEach((t, i) => {
    const bytes = Math.round(total.values[i] * s.step / 8);
    if (bytes > 0) out.set(t, bytes);
  });
  return out;
}

/** Waits for the history store to report rows written (it refreshes every 2 s). */
async function historyStats(
  server: ServeProcess,
  ready: (h: StatsResponse["history"]) => boolean,
): Promise<StatsResponse["history"]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const { history } = await get<StatsResponse>(server, "/stats");
    if (ready(history) || Date.now() > deadline) return history;
    await new Promise((r) => setTimeout(r, 250));
  }
}

Deno.test({
  name: "serve on the same data directory after a stop serves the replayed range with exact totals",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const truth = readCsv("real/EXPECTED.csv").find((row) => FIRST.endsWith(`/${row.file}`))!;
    const totalBytes = Number(truth.bytes);
    const dir = await Deno.makeTempDir({ prefix: "netwatch-restart-" });
    try {
      const from = Math.floor(Date.now() / 1000);
      const first = await startServer(FIRST, [], { dataDir: dir });
      let served;
      try {
        // What the first run serves from memory.
        served = {
          protocols: await get<ProtocolsResponse>(first, "/protocols?window=60m"),
          talkers: await get<TalkersResponse>(first, "/talkers?window=60m&limit=20"),
          flows: await get<FlowsResponse>(first, "/flows?limit=1000"),
        };
      } finally {
        assert.equal(await first.stop(), 0);
      }
      const to = Math.ceil(Date.now() / 1000);
      assert.equal(served.protocols.bytes, totalBytes);
      assert.equal(served.protocols.packets, Number(truth.packets));
      await sleep(1100);

      const again = await startServer(FIRST, NOTHING, { dataDir: dir });
      try {
        const history = await historyStats(again, (h) => h.oldest["1m"] !== null);
        assert.equal(history.state, "ok");
        assert.equal(history.path, `${dir}/netwatch.db`);
        assert.ok(history.file_bytes > 0, JSON.stringify(history));
        assert.deepEqual(history.dropped, { queue: 0, write_errors: 0 });
        const metrics = await (await fetch(`${again.base}/metrics`)).text();
        assert.match(metrics, /^netwatch_history_up 1$/m);
        assert.match(metrics, new RegExp(`^netwatch_history_bytes ${history.file_bytes}$`, "m"));
        const range = `from=${from}&to=${to}`;
        const protocols = await get<ProtocolsResponse>(again, `/protocols?${range}`);
        assert.notEqual(protocols.tier, "memory", "the first run's range is on disk only");
        assert.equal(protocols.bytes, served.protocols.bytes);
        assert.equal(protocols.packets, served.protocols.packets);
        // (Memory lists every class, zeros included; the disk only those with traffic.)
        const shares = (list: ProtocolsResponse["protocols"]) =>
          list.filter((p) => p.packets > 0).map((p) => [p.name, p.bytes, p.packets]);
        assert.deepEqual(shares(protocols.protocols), shares(served.protocols.protocols));
        assert.deepEqual(shares(protocols.services), shares(served.protocols.services));

        const talkers = await get<TalkersResponse>(again, `/talkers?${range}&limit=20`);
        assert.ok(talkers.talkers.length > 3, "several hosts");
        const talker = (t: TalkersResponse["talkers"][number]) => [
          t.address,
          t.bytes_sent,
          t.bytes_received,
          t.packets_sent,
          t.packets_received,
        ];
        assert.deepEqual(talkers.talkers.map(talker), served.talkers.talkers.map(talker));

        const series = await get<SeriesResponse>(again, `/series?${range}&step=60`);
        assert.equal(series.step, 60);
        const perMinute = [...seriesBytes(series).values()];
        assert.equal(perMinute.reduce((a, b) => a + b, 0), totalBytes);

        // Every flow of the first run, ended at its stop and stored: same counts each way.
        const flows = await get<FlowsResponse>(again, `/flows?${range}&limit=1000`);
        assert.ok(served.flows.flows.length > 10, "many flows");
        assert.deepEqual(recordSums(flows.flows), recordSums(served.flows.flows));
      } finally {
        await again.stop();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "serve killed with -9 keeps every finished minute; at most the one in progress is lost",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "netwatch-kill-" });
    try {
      const started = Date.now();
      const first = await startServe({ file: PACED, speed: 1, dataDir: dir });
      const startMinute = Math.floor(started / 60_000) * 60;
      let served: Map<number, number>;
      let killMinute: number;
      try {
        // Past the first minute boundary of the wall clock, with time for that minute to be
        // written (2 s after it ends, at the next once-a-second hand-over) and committed (at
        // least once a second), and the replay still going.
        const boundary = (startMinute + 60) * 1000;
        await sleep(boundary + 7_000 - Date.now());
        const stats = await get<StatsResponse>(first, "/stats");
        assert.equal(stats.capture.state, "running", "the replay outlasts a minute boundary");
        served = seriesBytes(
          await get<SeriesResponse>(first, `/series?from=${startMinute}&step=60`),
        );
        killMinute = Math.floor(Date.now() / 60_000) * 60;
      } finally {
        first.child.kill("SIGKILL");
        await first.exited;
      }
      const finished = new Map([...served].filter(([t]) => t < killMinute));
      assert.ok(finished.size >= 1, "a finished minute with traffic");
      await sleep(1100);

      const again = await startServer(PACED, NOTHING, { dataDir: dir });
      try {
        const stored = seriesBytes(
          await get<SeriesResponse>(
            again,
            `/series?from=${startMinute}&to=${killMinute + 59}&step=60`,
          ),
        );
        // Every finished minute is there, exact; the minute in progress was not written yet.
        assert.deepEqual(stored, finished);
      } finally {
        await again.stop();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "talkers from history carry the names and places the live ones had",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "netwatch-names-" });
    try {
      const from = Math.floor(Date.now() / 1000);
      const first = await startServer(NAMED, [], { dataDir: dir });
      let live: TalkersResponse;
      try {
        live = await get<TalkersResponse>(first, "/talkers?window=60m&limit=20");
      } finally {
        assert.equal(await first.stop(), 0);
      }
      const to = Math.ceil(Date.now() / 1000);
      const again = await startServer(NAMED, NOTHING, { dataDir: dir });
      try {
        await historyStats(again, (h) => h.oldest["1m"] !== null);
        const stored = await get<TalkersResponse>(again, `/talkers?from=${from}&to=${to}&limit=20`);
        assert.notEqual(stored.tier, "memory", "the first run's range is on disk only");
        const described = (t: TalkersResponse["talkers"][number]) => [t.address, t.country, t.asn];
        // Places come from the built-in country database: the same whenever they are read.
        assert.ok(live.talkers.some((t) => t.country !== null), JSON.stringify(live.talkers));
        assert.deepEqual(stored.talkers.map(described), live.talkers.map(described));
        // Names are those passive DNS had learned when each minute ended.
        const names = new Map(live.talkers.map((t) => [t.address, t.name]));
        const named = stored.talkers.filter((t) => t.name !== null);
        assert.ok(named.length > 0, JSON.stringify(stored.talkers));
        for (const t of named) assert.equal(t.name, names.get(t.address), t.address);
      } finally {
        await again.stop();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
