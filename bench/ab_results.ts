// What `deno task bench:ab` keeps in bench/out/results.json, so that BENCHMARKS.md's verdict on
// the usual mix can rest on the A/B (one engine per process, commits alternated) rather than on
// a ratio to softflowd measured minutes apart.

/** One bench:ab run: the median M packets per CPU second per file and commit. */
export interface AbResults {
  at: string;
  rounds: number;
  /** In the order given: the first is the base every ratio is to. */
  trees: { rev: string; sha: string }[];
  /** file name (usual5k, usual500k, flood) -> short sha -> median (engine without names). */
  medians: Record<string, Record<string, number>>;
}

/**
 * Ratio of the last commit's median to the base's (the first tree) for `file`, when the run
 * measured that file and its base is `baseSha`; otherwise undefined.
 */
export function abRatio(
  ab: AbResults | undefined,
  baseSha: string,
  file: string,
): number | undefined {
  if (!ab || ab.trees.length < 2 || !ab.trees[0].sha.startsWith(baseSha)) return undefined;
  const row = ab.medians[file];
  const base = row?.[ab.trees[0].sha];
  const last = row?.[ab.trees[ab.trees.length - 1].sha];
  return base && last ? last / base : undefined;
}
