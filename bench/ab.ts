// A/B of the flow engine across commits: read + decode + counters + engine, one long pass per
// process (bench/ab_run.ts), the commits alternated run by run so that a machine that slows down
// or speeds up mid-way does not favour one of them. The optimisation log's tables come from it.
//
// Usage: deno task bench:ab [--rounds N] [--identity] [--files usual5k,usual500k,flood] REV...
//   e.g. deno task bench:ab 83ecdbf HEAD
//
// Each REV is checked out in a temporary git worktree (removed at the end); the captures are
// generated once into bench/out/ab/: the usual mixes at 5,000 and 500,000 flows (8M packets, a
// long pass, so the JIT's warm-up weighs little) and the SYN flood (3M packets). Prints M packets
// per CPU second, median per file and commit, and each commit's ratio to the first, and keeps the
// medians in bench/out/results.json: BENCHMARKS.md's verdict on the usual mix is taken from them
// when the first commit is the round's start.

import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { runProcess } from "../tests/helpers/process.ts";
import { generateCapture } from "./generate_capture.ts";
import { generateFlood } from "./generate_flood.ts";
import type { AbResults } from "./ab_results.ts";
import { loadResults, RESULTS, saveResults } from "./results_file.ts";
import { median } from "./stats.ts";

const FILES: Record<string, { describe: string; make: (path: string) => void }> = {
  usual5k: {
    describe: "usual mix, 5,000 flows, 8M packets",
    make: (path) => generateCapture(path, { packets: 8_000_000, flows: 5_000 }),
  },
  usual500k: {
    describe: "usual mix, 500,000 flows, 8M packets",
    make: (path) => generateCapture(path, { packets: 8_000_000, flows: 500_000 }),
  },
  flood: {
    describe: "SYN flood, 3M packets",
    make: (path) => generateFlood(path, { packets: 3_000_000 }),
  },
};

const { values, positionals: revs } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    rounds: { type: "string", default: "3" },
    identity: { type: "boolean", default: false },
    files: { type: "string", default: Object.keys(FILES).join(",") },
  },
});
const rounds = Number(values.rounds);
const files = values.files.split(",");
const unknown = files.filter((f) => !(f in FILES));
if (revs.length === 0 || !(rounds >= 1) || unknown.length > 0) {
  console.error(
    "usage: deno task bench:ab [--rounds N] [--identity] [--files " +
      `${Object.keys(FILES).join(",")}] REV...` +
      (unknown.length > 0 ? `\nunknown file: ${unknown.join(", ")}` : ""),
  );
  Deno.exit(2);
}

const repo = resolve(import.meta.dirname!, "..");
const out = resolve(repo, "bench/out/ab");
mkdirSync(out, { recursive: true });

/** The trimmed stdout of `cmd`, run in the repository; throws with its stderr if it fails. */
async function run(cmd: string, args: string[]): Promise<string> {
  const result = await runProcess(cmd, args, { cwd: repo });
  if (result.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${result.stderr.trim()}`);
  }
  return result.stdout.trim();
}

const paths: Record<string, string> = {};
for (const name of files) {
  paths[name] = resolve(out, `${name}.pcap`);
  if (!existsSync(paths[name])) {
    console.error(`generating ${FILES[name].describe} ...`);
    FILES[name].make(paths[name]);
  }
}

const trees: { rev: string; sha: string; dir: string; identity: boolean }[] = [];
const temp = await Deno.makeTempDir({ prefix: "netwatch-ab-" });
try {
  for (const rev of revs) {
    const sha = await run("git", ["rev-parse", "--short", `${rev}^{commit}`]);
    const dir = resolve(temp, sha);
    await run("git", ["worktree", "add", "--detach", "--force", dir, sha]);
    await Deno.symlink(resolve(repo, "node_modules"), resolve(dir, "node_modules"));
    const identity = existsSync(resolve(dir, "flows/identity/identity.ts"));
    trees.push({ rev, sha, dir, identity });
  }
  const kinds = values.identity ? ["", "identity"] : [""];
  const rates = new Map<string, number[]>();
  const deno = Deno.execPath();
  for (let round = 1; round <= rounds; round++) {
    for (const name of files) {
      for (const tree of trees) {
        for (const kind of kinds) {
          if (kind && !tree.identity) continue;
          const line = await run(deno, [
            "run",
            "-A",
            resolve(repo, "bench/ab_run.ts"),
            tree.dir,
            paths[name],
            ...(kind ? [kind] : []),
          ]);
          const { mpps } = JSON.parse(line);
          const key = `${name}|${tree.sha}|${kind}`;
          rates.set(key, [...(rates.get(key) ?? []), mpps]);
          console.error(`round ${round} ${name} ${tree.rev} ${kind || "bare"}: ${mpps.toFixed(3)}`);
        }
      }
    }
  }
  console.log(
    `\nM packets per CPU second, median of ${rounds} alternated rounds (ratio to ${
      trees[0].rev
    })\n`,
  );
  const header = ["file", ...trees.flatMap((t) => kinds.map((k) => `${t.rev}${k ? " +id" : ""}`))];
  console.log(`| ${header.join(" | ")} |`);
  console.log(`| ${header.map(() => "---").join(" | ")} |`);
  for (const name of files) {
    const first = median(rates.get(`${name}|${trees[0].sha}|`)!);
    const cells = trees.flatMap((t) =>
      kinds.map((k) => {
        const r = rates.get(`${name}|${t.sha}|${k}`);
        if (!r) return "-";
        const m = median(r);
        return `${m.toFixed(2)} (${(m / first).toFixed(2)})`;
      })
    );
    console.log(`| ${FILES[name].describe} | ${cells.join(" | ")} |`);
  }
  keep({
    at: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
    rounds,
    trees: trees.map(({ rev, sha }) => ({ rev, sha })),
    medians: Object.fromEntries(files.map((name) => [
      name,
      Object.fromEntries(trees.map((t) => [t.sha, median(rates.get(`${name}|${t.sha}|`)!)])),
    ])),
  });
} finally {
  for (const tree of trees) {
    await run("git", ["worktree", "remove", "--force", tree.dir]).catch(() => {});
  }
  await Deno.remove(temp, { recursive: true }).catch(() => {});
}

/** Keeps `ab` in bench/out/results.json beside the bench's sections, for BENCHMARKS.md. */
function keep(ab: AbResults): void {
  saveResults({ ...loadResults(), ab });
  console.log(
    `\n(kept in ${RESULTS}; \`deno task bench -- --report-only\` puts it in BENCHMARKS.md)`,
  );
}
