// The README's commands, as a new user types them after the quick start: each one is either
// run here verbatim (against a replayed capture when it needs a server) or named with the test
// that covers it and why it cannot run here. A new command must be given one of the two.

import assert from "node:assert/strict";
import config from "../deno.json" with { type: "json" };
import { parseCommandLine, USAGE } from "../cli/args.ts";
import { runProcess } from "./helpers/process.ts";
import { startServe } from "./helpers/serve.ts";
import { corpusPath } from "./helpers/corpus.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const README = Deno.readTextFileSync(`${ROOT}README.md`);

/**
 * Shell commands in the README: lines of ```sh blocks (comments cut) and inline code that
 * starts like a command a user would type.
 */
function readmeCommands(markdown: string): string[] {
  const commands: string[] = [];
  let fence: string | undefined;
  /** A command continued on the next line (a trailing backslash), so far. */
  let pending = "";
  for (const raw of markdown.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("```")) {
      fence = fence === undefined ? line.slice(3) : undefined;
      continue;
    }
    if (fence === "sh") {
      const command = (pending + line.replace(/\s+#\s.*$/, "")).trim();
      if (command.endsWith("\\")) {
        pending = command.slice(0, -1) + " ";
        continue;
      }
      pending = "";
      if (command) commands.push(command);
    } else if (fence === undefined) {
      for (const match of raw.matchAll(/`([^`]+)`/g)) {
        if (/^(sudo |npx |npm |curl -|ssh |deno )/.test(match[1])) commands.push(match[1]);
      }
    }
  }
  return [...new Set(commands)];
}

/** How a README command is checked: run here, or why not and what covers it. */
type Check =
  | { run: "here" }
  | { run: "server" }
  | { run: "parse" }
  | { run: "never"; why: string }
  | { run: "refuse"; why: string };

/** The first rule whose pattern matches a command decides how it is checked. */
const RULES: [RegExp, Check][] = [
  [/^deno (task|run|test|fmt|lint|check) /, {
    run: "refuse",
    why: "`deno` is not on PATH after the quick start: write `npx deno ...`",
  }],
  [/^deno compile$/, { run: "never", why: "names the compiler build.ts runs, not a command" }],
  [/^npx deno task cli (interfaces|report) /, { run: "here" }],
  [/^npx deno task cli interfaces$/, { run: "here" }],
  [/^curl -s /, { run: "server" }],
  [/^sudo npm start -- /, { run: "parse" }],
  [/^(sudo )?npm start$/, {
    run: "never",
    why: "serves until stopped: tests/npm_start_test.ts runs it with --read and a free port",
  }],
  [/^(sudo )?npm test$/, { run: "never", why: "the whole suite: what .ci/run runs" }],
  [/^npm ci$/, { run: "never", why: "what the bootstrap runs in a fresh clone (.ci/run)" }],
  [/^npx deno install$/, {
    run: "never",
    why: "what the bootstrap runs after npm ci (scripts/bootstrap.mjs, .ci/run): it fetches " +
      "the npm packages deno.json pins, the built-in country database among them",
  }],
  [/^npx deno( task cli)? \.\.\.$/, { run: "never", why: "a pattern for the commands below" }],
  [/^npx deno task truth --check$/, {
    run: "never",
    why: "the comparison tests/tshark_truth_test.ts makes",
  }],
  [/^npx deno task truth$/, { run: "never", why: "rewrites the truth files; see --check" }],
  [/^npx deno task start$/, { run: "never", why: "serves until stopped, as npm start does" }],
  [/^npx deno task (ok|test)$/, { run: "never", why: "the suite this test is part of" }],
  [/^npx deno task build$/, {
    run: "never",
    why: "tests/build_test.ts builds, or checks the one-line failure without dl.deno.land",
  }],
  [/^npx deno task bench( -- --only [a-z,]+)?$/, {
    run: "never",
    why: "minutes of full CPU; BENCHMARKS.md",
  }],
  [/^npx deno task bench:ab /, {
    run: "never",
    why: "minutes of full CPU over 1.7 GB of generated captures; tests/bench_ab_test.ts runs " +
      "its measuring half on a test capture",
  }],
  [/^npx deno task fuzz$/, { run: "never", why: "5M frames; CI fuzzes 200,000 in decode tests" }],
  [/^npx deno task screenshot$/, {
    run: "never",
    why: "rewrites docs/dashboard.png from a live capture on a veth pair it makes (root, " +
      "tcpreplay, Chromium); the dashboard tests cover the page it shows",
  }],
  [/^(sudo (install|setcap) .*|netwatch)$/, {
    run: "never",
    why: "needs the compiled binary of `npx deno task build` installed on the machine",
  }],
  [/^ssh -L /, { run: "never", why: "needs a second machine" }],
  [/^netwatch (--|serve\b)/, { run: "parse" }],
  [/^(nfcapd|nfdump) /, {
    run: "never",
    why: "a collector's own commands: tests/export_ipfix_test.ts runs nfcapd and nfdump",
  }],
  [/^sqlite3 /, {
    run: "never",
    why: "backs up a running store: tests/history_safety_test.ts does it with VACUUM INTO",
  }],
];

function checkOf(command: string): Check {
  const rule = RULES.find(([pattern]) => pattern.test(command));
  assert.ok(rule, `README command not checked by tests/readme_test.ts: ${command}`);
  return rule[1];
}

const COMMANDS = readmeCommands(README);

Deno.test("every README command is run here or has a reason and a test that covers it", () => {
  assert.ok(COMMANDS.length > 20, `only ${COMMANDS.length} commands found in README.md`);
  for (const command of COMMANDS) {
    const check = checkOf(command);
    assert.notEqual(check.run, "refuse", `${command}: ${"why" in check ? check.why : ""}`);
    const task = /^npx deno task (\S+)/.exec(command)?.[1];
    if (task) assert.ok(task in config.tasks, `${command}: no task "${task}" in deno.json`);
  }
});

Deno.test("the README's npm start examples are command lines Netwatch accepts", () => {
  const examples = COMMANDS.filter((c) => checkOf(c).run === "parse");
  assert.ok(examples.length >= 2);
  for (const command of examples) {
    // The shell's quoting: "tcp port 443" is one argument.
    const words = [...command.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]);
    const args = words[0] === "netwatch" ? words.slice(1) : words.slice(words.indexOf("--") + 1);
    const parsed = parseCommandLine(args);
    assert.equal(parsed.command, "serve", command);
    if (parsed.command === "serve" && parsed.read && !command.startsWith("netwatch")) {
      assert.ok(Deno.statSync(`${ROOT}${parsed.read}`).isFile, `${command}: no such file`);
    }
  }
});

Deno.test("the README's CLI commands run verbatim from the clone", async () => {
  for (const command of COMMANDS.filter((c) => checkOf(c).run === "here")) {
    const result = await runProcess("sh", ["-c", command], { cwd: ROOT, timeoutMs: 120_000 });
    assert.equal(result.code, 0, `${command}: ${result.stderr}`);
    assert.ok(result.stdout.trim().length > 0, `${command} printed nothing`);
    if (command.includes("--format json")) assert.ok(JSON.parse(result.stdout).packets > 0);
  }
});

Deno.test("the README's curl examples work against a server replaying a capture", async () => {
  const server = await startServe({ file: corpusPath("real/ndpi_iphone.pcap") });
  const dir = await Deno.makeTempDir();
  try {
    for (const command of COMMANDS.filter((c) => checkOf(c).run === "server")) {
      const local = command.replaceAll("http://127.0.0.1:7500", server.base);
      const result = await runProcess("sh", ["-c", local], {
        cwd: dir,
        env: { TOKEN: "unused-without---token" },
        timeoutMs: 30_000,
      });
      assert.equal(result.code, 0, `${command}: ${result.stderr}`);
      const output = local.includes("> flows.csv")
        ? await Deno.readTextFile(`${dir}/flows.csv`)
        : result.stdout;
      if (command.includes("/metrics")) assert.match(output, /^# (HELP|TYPE) netwatch_/m);
      else if (command.includes("format=csv")) assert.match(output, /^id,/);
      else assert.ok(!("error" in JSON.parse(output)), `${command}: ${output}`);
    }
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the README's option table lists every option of --help, and no other", () => {
  const options = (text: string) => new Set([...text.matchAll(/--[a-z][a-z-]+/g)].map((m) => m[0]));
  const table = README.split("\n").filter((line) => line.startsWith("| `-")).join("\n");
  const help = USAGE.slice(USAGE.indexOf("Capture options:"), USAGE.indexOf("\n\nCapturing"));
  assert.deepEqual([...options(table)].sort(), [...options(help)].sort());
});
