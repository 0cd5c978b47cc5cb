// Every broken capture in tests/data/pcaps/malformed through the whole pipeline: `netwatch serve
// --read FILE` (capture worker -> flow engine -> HTTP API), checked against `report` on the same
// file. No crash, no hang, bounded memory; decode errors show in /stats and /metrics.

import assert from "node:assert/strict";
import { runCli } from "./helpers/cli.ts";
import { corpusFiles, corpusPath } from "./helpers/corpus.ts";
import { waitForState } from "./reliability_server.ts";
import { launchServe, type ServeProcess } from "./helpers/serve.ts";

/** Servers run at once (the machine has 2 cores; most of a run is process start-up). */
const PARALLEL = 4;
/** Longest a file may take from start to exit, all checks included. */
const PER_FILE_MS = 60_000;
/** RSS a replay of a few hundred packets must stay under (an idle serve is about 90 MiB). */
const RSS_BOUND = 300 * 2 ** 20;
const ROUTES = ["health", "stats", "flows", "talkers", "protocols", "series"];

interface Outcome {
  file: string;
  /** "served" (replay ended or stopped with an error), or "refused" (exit 1 in one line). */
  result: "served" | "refused";
  state?: string;
  packets: number;
  malformed: number;
  truncated: number;
  rssMiB?: number;
  ms: number;
}

/** The value of a sample line `name{labels} value` in a Prometheus exposition. */
function metric(text: string, sample: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${sample} `));
  assert.ok(line, `metric ${sample} missing`);
  return Number(line.slice(sample.length + 1));
}

async function getOk(base: string, path: string, status = 200): Promise<Response> {
  const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(response.status, status, `${path}: ${response.status}`);
  return response;
}

/** Serves one file and checks every route against the report of the same file. */
async function checkFile(file: string): Promise<Outcome> {
  const path = corpusPath(`malformed/${file}`);
  const reportRun = await runCli(["report", path, "--format", "json"], 30_000);
  const report = reportRun.stdout.trim() ? JSON.parse(reportRun.stdout) : undefined;
  const started = await launchServe({ file: path, timeoutMs: 30_000 });
  if (!started.serving) {
    // libpcap refused the file: one line, exit 1, as report does.
    const lines = started.stderr.split("\n").filter((l) => l.trim() !== "");
    assert.equal(started.code, 1, `serve exit code: ${started.stderr}`);
    assert.equal(lines.length, 1, `serve printed more than one line: ${started.stderr}`);
    assert.match(lines[0], /^netwatch: Cannot read "[^"]+": \S/);
    assert.equal(report, undefined, "report read a file serve refused");
    assert.equal(reportRun.code, 1);
    return { file, result: "refused", packets: 0, malformed: 0, truncated: 0, ms: 0 };
  }
  const server: ServeProcess = started.server;
  try {
    const health = await waitForState(server.base, ["ended", "error"], 20_000);
    // A file libpcap stops reading part-way ends in "error", with its reason in /health.
    if (reportRun.code === 0) {
      assert.equal(health.capture.state, "ended", JSON.stringify(health));
      assert.equal(health.status, "ok");
    } else {
      assert.equal(health.capture.state, "error", JSON.stringify(health));
      assert.match(health.capture.error?.message ?? "", /^Cannot read "[^"]+" past packet \d+: \S/);
    }
    assert.ok(report, `report printed nothing for a file serve reads: ${reportRun.stderr}`);
    const bodies: Record<string, unknown> = {};
    for (const route of ROUTES) {
      // /health is 503 once the capture has failed (for probes that read only the code).
      const status = route === "health" && health.capture.state === "error" ? 503 : 200;
      bodies[route] = await (await getOk(server.base, `/api/v1/${route}`, status)).json();
    }
    // deno-lint-ignore no-explicit-any
    const stats = bodies.stats as any;
    assert.equal(stats.capture.packets, report.packets, "packets: serve vs report");
    assert.equal(stats.capture.bytes, report.bytes, "bytes: serve vs report");
    assert.deepEqual(
      stats.capture.decode_errors,
      { malformed: report.malformed, truncated: report.truncated },
      "decode errors: serve vs report",
    );
    assert.ok(stats.memory.rss_bytes > 0 && stats.memory.rss_bytes < RSS_BOUND, "RSS");
    // deno-lint-ignore no-explicit-any
    const flows = bodies.flows as any;
    assert.ok(Array.isArray(flows.flows) && flows.flows.length <= 50);
    assert.ok(Number.isInteger(flows.total) && flows.total >= flows.flows.length);
    assert.ok(flows.total <= stats.flows.started, "more flows listed than started");
    for (const f of flows.flows) {
      assert.ok(f.packets_c2s + f.packets_s2c >= 1 && f.bytes_c2s >= 0 && f.bytes_s2c >= 0);
      assert.ok(f.last_ts >= f.first_ts, `flow ${f.id} ends before it starts`);
    }
    // deno-lint-ignore no-explicit-any
    const talkers = bodies.talkers as any;
    assert.ok(Array.isArray(talkers.talkers));
    // deno-lint-ignore no-explicit-any
    const protocols = bodies.protocols as any;
    assert.ok(protocols.packets >= 0 && protocols.packets <= report.packets);
    const text = await (await getOk(server.base, "/metrics")).text();
    assert.equal(metric(text, "netwatch_packets_total"), report.packets);
    assert.equal(metric(text, 'netwatch_decode_errors_total{kind="malformed"}'), report.malformed);
    assert.equal(metric(text, 'netwatch_decode_errors_total{kind="truncated"}'), report.truncated);
    assert.ok(metric(text, "process_resident_memory_bytes") < RSS_BOUND);
    assert.equal(metric(text, "netwatch_capture_up"), 0);
    const code = await server.stop();
    const { stderr, stdout } = server.output();
    assert.equal(code, 0, `exit code after SIGTERM: ${stderr}`);
    assert.equal(stdout, "");
    assert.ok(!/^\s+at /m.test(stderr), `stack trace:\n${stderr}`);
    for (const line of stderr.split("\n").filter((l) => l.trim() !== "")) {
      assert.match(line, /^netwatch: (serving http|capture stopped: Cannot read)/, stderr);
    }
    return {
      file,
      result: "served",
      state: health.capture.state,
      packets: report.packets,
      malformed: report.malformed,
      truncated: report.truncated,
      rssMiB: Math.round(stats.memory.rss_bytes / 2 ** 20),
      ms: 0,
    };
  } finally {
    await server.stop();
  }
}

/** checkFile() with a deadline: a hang is a failure, and the process is killed by stop(). */
async function bounded(file: string): Promise<Outcome> {
  const began = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${file}: over ${PER_FILE_MS} ms`)), PER_FILE_MS);
  });
  try {
    const outcome = await Promise.race([checkFile(file), timeout]);
    return { ...outcome, ms: Math.round(performance.now() - began) };
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("serve --read on every malformed capture answers every route or fails in one line", async () => {
  const files = corpusFiles("malformed");
  assert.equal(files.length, 78, "the malformed corpus has 78 captures");
  const outcomes: Outcome[] = [];
  const failures: string[] = [];
  const queue = [...files];
  await Promise.all(Array.from({ length: PARALLEL }, async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      try {
        outcomes.push(await bounded(file));
      } catch (error) {
        failures.push(`${file}: ${(error as Error).message}`);
      }
    }
  }));
  const served = outcomes.filter((o) => o.result === "served");
  const sum = (key: "packets" | "malformed" | "truncated") =>
    served.reduce((n, o) => n + o[key], 0);
  console.log(
    `${files.length} files: ${served.length} served ` +
      `(${served.filter((o) => o.state === "ended").length} to the end, ` +
      `${served.filter((o) => o.state === "error").length} stopped by libpcap part-way), ` +
      `${outcomes.length - served.length} refused in one line, ${failures.length} failed; ` +
      `${sum("packets")} packets, ${sum("malformed")} malformed, ${sum("truncated")} truncated; ` +
      `max RSS ${Math.max(...served.map((o) => o.rssMiB ?? 0))} MiB, ` +
      `slowest ${Math.max(...outcomes.map((o) => o.ms))} ms`,
  );
  assert.deepEqual(failures, []);
  assert.equal(outcomes.length, files.length);
  // The corpus is there to exercise the decoders: some packets must have been counted as bad.
  assert.ok(sum("malformed") + sum("truncated") > 0, "no decode errors counted at all");
});
