// The usual mix's verdict in BENCHMARKS.md rests on abRatio(): the last commit against the base.

import assert from "node:assert/strict";
import { abRatio, type AbResults } from "./ab_results.ts";

const run: AbResults = {
  at: "2026-11-30 16:18 UTC",
  rounds: 5,
  trees: [{ rev: "83ecdbf", sha: "83ecdbf" }, { rev: "X", sha: "aaaaaaa" }, {
    rev: "HEAD",
    sha: "6e193cb",
  }],
  medians: { usual5k: { "83ecdbf": 4, "aaaaaaa": 1, "6e193cb": 3.8 } },
};

Deno.test("abRatio is the last commit's median over the base's, for the base asked", () => {
  assert.equal(abRatio(run, "83ecdbf", "usual5k"), 3.8 / 4);
  assert.equal(abRatio(run, "83ecdbf", "usual500k"), undefined, "a file the run did not measure");
  assert.equal(abRatio(run, "cf0f047", "usual5k"), undefined, "another base");
  assert.equal(abRatio(undefined, "83ecdbf", "usual5k"), undefined, "no A/B kept");
  const one = { ...run, trees: [run.trees[0]] };
  assert.equal(abRatio(one, "83ecdbf", "usual5k"), undefined, "nothing to compare");
});
