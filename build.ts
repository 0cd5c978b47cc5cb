// `deno task build`: the UI bundle, then one self-contained binary per Linux target in dist/.
//
// `deno compile` needs the Deno runtime for the target (denort), which it downloads on first use.
// Where that is impossible, set DENORT_BIN to a denort binary of the same Deno version: it is
// used for the target whose architecture it is built for. A binary that does not run as
// Netwatch (for example because DENORT_BIN named a full `deno`) is deleted, never shipped.

import config from "./deno.json" with { type: "json" };
import { BUNDLED_GEOIP_FILE } from "./cli/bundled_geoip.ts";

/** Targets Netwatch ships for, with their ELF machine numbers. */
export const TARGETS = {
  "x86_64-unknown-linux-gnu": 0x3e,
  "aarch64-unknown-linux-gnu": 0xb7,
} as const;
export type Target = keyof typeof TARGETS;

/** Files the binary loads at run time besides the static import graph. */
export const INCLUDES = [
  "capture/capture_worker.ts",
  "pipeline/engine_worker.ts",
  "history/history_worker.ts",
  "ui/dist",
  BUNDLED_GEOIP_FILE,
];

const ROOT = new URL("./", import.meta.url).pathname;

/**
 * npm packages that only the tests, the benches and the UI bundle use ("@scope/*": all of a
 * scope). `deno compile` embeds the whole node_modules directory otherwise: with the Deno CLI
 * (92 MB), Playwright and esbuild the binary carried 153 MB of files; without them, 30 MB (the
 * country database is 8 of those). Nothing under main.ts or its workers imports them:
 * tests/build_test.ts checks that against `deno info`.
 */
export const DEV_ONLY_PACKAGES = [
  "deno",
  "@deno/*",
  "esbuild",
  "@esbuild/*",
  "playwright-core",
  "parse-prometheus-text-format",
  "shallow-equal",
];

/** True when npm package `name` is one of DEV_ONLY_PACKAGES. */
export function isDevOnly(name: string): boolean {
  return DEV_ONLY_PACKAGES.some((p) =>
    p.endsWith("/*") ? name.startsWith(p.slice(0, -1)) : name === p
  );
}

/**
 * What `--exclude` leaves out of the binary, relative to `root`: every copy of a dev-only
 * package under node_modules (the top-level entry, Deno's `.deno/<name>@<version>` directory
 * and its hoisting link), and the country database package's files other than the one used.
 */
export function embeddedExcludes(root = ROOT): string[] {
  const out: string[] = [];
  const list = (dir: string) => {
    try {
      return [...Deno.readDirSync(`${root}${dir}`)].map((e) => e.name).sort();
    } catch {
      return [];
    }
  };
  /** Package names under `dir`, with the path of each (scoped ones one level down). */
  const packagesIn = (dir: string) =>
    list(dir).filter((n) => !n.startsWith(".")).flatMap((n) =>
      n.startsWith("@")
        ? list(`${dir}/${n}`).map((m) => ({ name: `${n}/${m}`, path: `${dir}/${n}/${m}` }))
        : [{ name: n, path: `${dir}/${n}` }]
    );
  for (
    const p of [...packagesIn("node_modules"), ...packagesIn("node_modules/.deno/node_modules")]
  ) {
    if (isDevOnly(p.name)) out.push(p.path);
  }
  for (const entry of list("node_modules/.deno")) {
    // "@scope+name@1.2.3" or "name@1.2.3"
    const name = entry.slice(0, entry.lastIndexOf("@")).replace("+", "/");
    if (entry.includes("@", 1) && isDevOnly(name)) out.push(`node_modules/.deno/${entry}`);
  }
  const database = BUNDLED_GEOIP_FILE.slice(BUNDLED_GEOIP_FILE.lastIndexOf("/") + 1);
  try {
    const real = Deno.realPathSync(`${root}${BUNDLED_GEOIP_FILE}`);
    const dir = real.slice(root.length, real.lastIndexOf("/"));
    for (const name of list(dir)) {
      if (name.endsWith(".mmdb") && name !== database) out.push(`${dir}/${name}`);
    }
  } catch {
    // Not installed: compile then fails on the --include, naming it.
  }
  return out;
}

/** The permission flags of the `cli` task: what the binary gets is what the tests exercise. */
export function cliPermissions(): string[] {
  return config.tasks.cli.split(/\s+/).filter((word) => word.startsWith("--allow-"));
}

/** The target of an ELF binary, from its e_machine field; undefined if it is neither. */
export function elfTarget(bytes: Uint8Array): Target | undefined {
  const isElf = bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
  if (!isElf || bytes.length < 20) return undefined;
  const machine = bytes[18] | (bytes[19] << 8); // little-endian e_machine at offset 18
  return (Object.keys(TARGETS) as Target[]).find((t) => TARGETS[t] === machine);
}

/** The target this machine runs. */
export function hostTarget(): Target {
  return Deno.build.arch === "aarch64" ? "aarch64-unknown-linux-gnu" : "x86_64-unknown-linux-gnu";
}

class BuildError extends Error {}

async function run(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { ok: out.success, output: text.decode(out.stdout) + text.decode(out.stderr) };
}

async function buildUi(): Promise<void> {
  if (!config.tasks["build:ui" as keyof typeof config.tasks]) {
    throw new BuildError("the build:ui task is missing from deno.json");
  }
  const ui = await run(["task", "build:ui"]);
  if (!ui.ok) throw new BuildError(`the UI bundle failed to build:\n${ui.output}`);
}

/** Compiles one target into dist/netwatch-<target>, checks it, and returns its path. */
async function compile(target: Target, denort: string | undefined): Promise<string> {
  const output = `dist/netwatch-${target}`;
  const args = [
    "compile",
    "--target",
    target,
    "--output",
    output,
    ...INCLUDES.flatMap((path) => ["--include", path]),
    ...embeddedExcludes().flatMap((path) => ["--exclude", path]),
    ...cliPermissions(),
    "main.ts",
  ];
  const result = await run(args, denort ? { DENORT_BIN: denort } : {});
  if (!result.ok) {
    const offline = /dns error|failed to lookup|error sending request|download/i.test(
      result.output,
    );
    if (offline && !denort) {
      throw new BuildError(
        `cannot build ${output}: deno compile could not download its runtime (denort ` +
          `${Deno.version.deno} for ${target}); run this build where dl.deno.land is reachable, ` +
          "or set DENORT_BIN to a denort binary of that version and target",
      );
    }
    throw new BuildError(`deno compile failed for ${target}:\n${result.output.trim()}`);
  }
  if (target === hostTarget()) await verify(output);
  return output;
}

/** Runs a fresh binary: it must answer --version as Netwatch, or it is deleted. */
async function verify(path: string): Promise<void> {
  const child = new Deno.Command(`${ROOT}${path}`, {
    args: ["--version"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const out = await child.output();
  clearTimeout(timer);
  const said = new TextDecoder().decode(out.stdout).trim();
  if (said !== `netwatch ${config.version}`) {
    await Deno.remove(`${ROOT}${path}`).catch(() => {});
    throw new BuildError(
      `${path} did not run as Netwatch (it said "${said.split("\n")[0]}"), so it was deleted: ` +
        "DENORT_BIN must name a denort runtime, not a full deno",
    );
  }
}

async function main(args: string[]): Promise<number> {
  const wanted = args.length ? args : undefined;
  for (const target of wanted ?? []) {
    if (!(target in TARGETS)) {
      console.error(
        `build: unknown target "${target}": expected ${Object.keys(TARGETS).join(" or ")}`,
      );
      return 2;
    }
  }
  const denort = Deno.env.get("DENORT_BIN") || undefined;
  let targets = (wanted ?? Object.keys(TARGETS)) as Target[];
  if (denort) {
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(denort).subarray(0, 64);
    } catch (error) {
      console.error(`build: cannot read DENORT_BIN "${denort}": ${(error as Error).message}`);
      return 1;
    }
    const target = elfTarget(bytes);
    if (!target) {
      console.error(`build: DENORT_BIN "${denort}" is not a Linux x86_64 or aarch64 executable`);
      return 1;
    }
    // A runtime serves one target; build that one.
    if (wanted && !wanted.includes(target)) {
      console.error(`build: DENORT_BIN "${denort}" is for ${target}, not ${wanted.join(", ")}`);
      return 1;
    }
    targets = [target];
  }
  try {
    await buildUi();
    await Deno.mkdir(`${ROOT}dist`, { recursive: true });
    for (const target of targets) {
      const path = await compile(target, denort);
      const size = (await Deno.stat(`${ROOT}${path}`)).size;
      console.log(`build: ${path} (${(size / 1048576).toFixed(1)} MiB)`);
    }
    return 0;
  } catch (error) {
    if (!(error instanceof BuildError)) throw error;
    console.error(`build: ${error.message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
