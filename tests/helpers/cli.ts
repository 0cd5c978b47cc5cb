// Runs the Netwatch CLI the way users do: as a process, through the one entry point.
//
// NETWATCH_BIN selects a compiled binary; otherwise `deno run` with the permissions of the
// `cli` task in deno.json, which are the permissions the compiled binary gets.

import config from "../../deno.json" with { type: "json" };
import { runProcess } from "./process.ts";

const ROOT = new URL("../../", import.meta.url);

/** The command (program and leading arguments) that starts Netwatch. */
export function cliCommand(): string[] {
  const bin = Deno.env.get("NETWATCH_BIN");
  if (bin) return [bin];
  const task = config.tasks.cli.split(/\s+/);
  if (task[0] !== "deno" || task[1] !== "run") {
    throw new Error(`Unexpected cli task: ${config.tasks.cli}`);
  }
  return [Deno.execPath(), ...task.slice(1, -1), new URL("main.ts", ROOT).pathname];
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall-clock milliseconds the process took. */
  ms: number;
}

/** Runs Netwatch with `args` and collects its output; kills it after `timeoutMs`. */
export function runCli(args: string[], timeoutMs = 60_000): Promise<CliResult> {
  const [program, ...lead] = cliCommand();
  return runProcess(program, [...lead, ...args], { timeoutMs });
}
