// bench/out/results.json: every section's latest figures (and bench:ab's), from which
// BENCHMARKS.md is written. Read and written by `deno task bench` and `deno task bench:ab`.

import type { BenchResults } from "./report.ts";

/** bench/out/, where the generated captures and the kept figures live. */
export const OUT = new URL("./out/", import.meta.url).pathname;
export const RESULTS = `${OUT}results.json`;

/** The kept figures, or none yet. */
export function loadResults(): BenchResults {
  try {
    return JSON.parse(Deno.readTextFileSync(RESULTS));
  } catch {
    return {};
  }
}

export function saveResults(results: BenchResults): void {
  Deno.mkdirSync(OUT, { recursive: true });
  Deno.writeTextFileSync(RESULTS, JSON.stringify(results, null, 1));
}
