// build.ts: one binary per target, or one clear line why not; never a binary that is not Netwatch.

import assert from "node:assert/strict";
import { embeddedExcludes, INCLUDES, isDevOnly } from "../build.ts";
import { BUNDLED_GEOIP_FILE } from "../cli/bundled_geoip.ts";
import { runCli } from "./helpers/cli.ts";
import { corpusPath } from "./helpers/corpus.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const TARGET = Deno.build.arch === "aarch64"
  ? "aarch64-unknown-linux-gnu"
  : "x86_64-unknown-linux-gnu";
const OUTPUT = `${ROOT}dist/netwatch-${TARGET}`;

async function build(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", `${ROOT}build.ts`, ...args],
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("build makes a working binary, or says in one line why it cannot", async () => {
  await Deno.remove(OUTPUT).catch(() => {});
  const result = await build([TARGET]);
  if (result.code === 0) {
    // Where the runtime can be fetched: the binary and `deno run` are the same CLI.
    assert.ok(await exists(OUTPUT));
    const sample = corpusPath("real/zeek_wikipedia.pcap");
    const viaDeno = await runCli(["report", sample, "--format", "json"]);
    const binary = await new Deno.Command(OUTPUT, {
      args: ["report", sample, "--format", "json"],
      stdout: "piped",
    }).output();
    assert.equal(new TextDecoder().decode(binary.stdout), viaDeno.stdout);
    return;
  }
  assert.equal(result.code, 1, result.stderr);
  const lines = result.stderr.split("\n").filter((l) => l.trim() && !/^\S*Task\S* /.test(l));
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0], /^build: cannot build dist\/netwatch-.+: deno compile could not download/);
  assert.match(lines[0], /DENORT_BIN/);
  assert.equal(await exists(OUTPUT), false, "a failed build left a file behind");
});

Deno.test("build deletes a binary that does not run as Netwatch (DENORT_BIN naming a full deno)", async () => {
  const result = await build([TARGET], { DENORT_BIN: Deno.execPath() });
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /did not run as Netwatch .* so it was deleted/);
  assert.equal(await exists(OUTPUT), false);
});

Deno.test("build refuses an unknown target and a DENORT_BIN that is not a Linux runtime", async () => {
  const target = await build(["riscv64-unknown-linux-gnu"]);
  assert.equal(target.code, 2);
  assert.match(target.stderr, /unknown target "riscv64-unknown-linux-gnu"/);
  const notElf = await build([], { DENORT_BIN: `${ROOT}deno.json` });
  assert.equal(notElf.code, 1);
  assert.match(notElf.stderr, /is not a Linux x86_64 or aarch64 executable/);
});

/** npm package names the product loads: the closure of what main.ts and its workers import. */
async function runtimePackages(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const entry of ["main.ts", ...WORKERS]) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      modules: { kind?: string; npmPackage?: string }[];
      npmPackages: Record<string, { name: string; dependencies: string[] }>;
    };
    const todo = info.modules.flatMap((m) => (m.npmPackage ? [m.npmPackage] : []));
    const seen = new Set<string>();
    while (todo.length) {
      const id = todo.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const pkg = info.npmPackages[id];
      assert.ok(pkg, `deno info lists ${id}`);
      names.add(pkg.name);
      todo.push(...pkg.dependencies);
    }
  }
  return names;
}

/** The workers main.ts starts by URL, which build.ts includes. */
const WORKERS = INCLUDES.filter((path) => path.endsWith(".ts"));

Deno.test("the binary leaves out the npm packages only tests and the build use, and the product loads none of them", async () => {
  const runtime = await runtimePackages();
  for (const name of ["hono", "zod", "preact", "mmdb-lib"]) {
    assert.ok(runtime.has(name), `${name} is found in the runtime graph: ${[...runtime]}`);
  }
  const loaded = [...runtime].filter(isDevOnly);
  assert.deepEqual(loaded, [], "packages build.ts leaves out of the binary, which it loads");
  const excluded = embeddedExcludes();
  for (const name of ["playwright-core", "esbuild", "@deno/linux-x64-glibc"]) {
    const dir = `node_modules/.deno/${name.replace("/", "+")}@`;
    assert.ok(
      excluded.some((path) => path.startsWith(dir)),
      `${name} is left out: ${excluded.join(" ")}`,
    );
  }
  for (const path of excluded) {
    const name = /^node_modules\/\.deno\/(@?[^@/]+)@/.exec(path)?.[1]?.replace("+", "/");
    if (name) assert.ok(!runtime.has(name), `${path} is loaded at run time`);
  }
  assert.ok(
    excluded.every((path) => !path.endsWith(BUNDLED_GEOIP_FILE.split("/").at(-1)!)),
    "the country database the binary uses stays in",
  );
});
