// Child processes in tests: run one to completion, drop privileges, and clean up after.

import type { CliResult } from "./cli.ts";

/**
 * Runs `program` with `args` to completion, stdin closed, and collects its output; with
 * `timeoutMs`, kills it (SIGKILL) if it runs longer.
 */
export async function runProcess(
  program: string,
  args: string[],
  options: Omit<Deno.CommandOptions, "args" | "stdout" | "stderr" | "stdin"> & {
    timeoutMs?: number;
  } = {},
): Promise<CliResult> {
  const { timeoutMs, ...commandOptions } = options;
  const started = performance.now();
  const child = new Deno.Command(program, {
    ...commandOptions,
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = timeoutMs === undefined
    ? undefined
    : setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  try {
    const out = await child.output();
    const text = new TextDecoder();
    return {
      code: out.code,
      stdout: text.decode(out.stdout),
      stderr: text.decode(out.stderr),
      ms: performance.now() - started,
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The command prefix that runs what follows as `nobody`, holding only `capabilities` (e.g.
 * ["net_raw"]; none when empty) in every set including the bounding set, with its own HOME and
 * Deno cache under `home` (root's cache is not readable by nobody).
 */
export function asNobody(home: string, capabilities: string[] = []): string[] {
  const caps = ["-all", ...capabilities.map((c) => `+${c}`)].join(",");
  const prefix = [
    "setpriv",
    "--reuid=65534",
    "--regid=65534",
    "--clear-groups",
    `--inh-caps=${caps}`,
  ];
  if (capabilities.length) prefix.push(`--ambient-caps=${caps}`, `--bounding-set=${caps}`);
  return [...prefix, "env", `HOME=${home}`, `DENO_DIR=${home}/deno`, "NO_COLOR=1"];
}

/** A temporary home any user can write, for asNobody(). */
export async function sharedHome(): Promise<string> {
  const home = await Deno.makeTempDir();
  await Deno.chmod(home, 0o777);
  return home;
}

/** Kills every child that is still running. */
export function killAll(children: Deno.ChildProcess[]): void {
  for (const child of children) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
  }
}
