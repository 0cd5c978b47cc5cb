// Makes `npm start` and `npm test` work on a fresh Debian machine with Node: installs what is
// missing (the pinned Deno from npm, libpcap and the test tools from Debian when run as root).
// For `start` it then builds the dashboard bundle and links the real Deno binary at .cache/deno,
// and exits: package.json's start script then `exec`s that binary on main.ts, so the server is
// the only process under npm and npm's SIGINT/SIGTERM reach it. For `test` it runs the tests
// and prints "N passed, N failed" from the JUnit report.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const deno = join(root, "node_modules", ".bin", "deno");
const junit = join(root, ".cache", "junit.xml");
/** Where `start` links the real Deno binary for package.json's start script to exec. */
const runtimeLink = join(root, ".cache", "deno");

/** Debian packages each command needs, with a command that shows whether one is there. */
const NEEDS = {
  start: [["libpcap0.8", () => hasLibpcap()]],
  test: [
    ["libpcap0.8", () => hasLibpcap()],
    ["tshark", () => hasCommand("tshark")],
    ["tcpdump", () => hasCommand("tcpdump")],
    ["tcpreplay", () => hasCommand("tcpreplay")],
    ["iproute2", () => hasCommand("ip")],
    ["iputils-ping", () => hasCommand("ping")],
    ["curl", () => hasCommand("curl")],
    ["iperf3", () => hasCommand("iperf3")],
    ["chromium", () => existsSync("/usr/bin/chromium")],
    ["systemd", () => hasCommand("systemd-analyze")],
    ["util-linux", () => hasCommand("setpriv")],
    ["nfdump", () => hasCommand("nfcapd")],
    ["pmacct", () => hasCommand("nfacctd")],
    ["mmdb-bin", () => hasCommand("mmdblookup")],
    ["clickhouse-server", () => existsSync("/usr/sbin/clickhouse-server")],
  ],
};

function say(line) {
  process.stderr.write(`netwatch: ${line}\n`);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: "inherit", cwd: root, ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function hasCommand(name) {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

function hasLibpcap() {
  const out = spawnSync("sh", ["-c", "ldconfig -p 2>/dev/null || /sbin/ldconfig -p"], {
    encoding: "utf8",
  });
  return /libpcap\.so\.(1|0\.8)\b/.test(out.stdout ?? "");
}

function installDebianPackages(command) {
  const missing = NEEDS[command].filter(([, present]) => !present()).map(([name]) => name);
  if (!missing.length) return;
  if (process.getuid?.() !== 0 || !hasCommand("apt-get")) {
    say(`missing ${missing.join(", ")}: sudo apt-get install -y ${missing.join(" ")}`);
    process.exit(1);
  }
  say(`installing ${missing.join(", ")} from Debian`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () =>
    run("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...missing], { env });
  if (install() !== 0 && (run("apt-get", ["update", "-q"], { env }) !== 0 || install() !== 0)) {
    say(`could not install ${missing.join(", ")}`);
    process.exit(1);
  }
}

function installDeno() {
  const settled = join(root, "node_modules", ".deno");
  if (existsSync(deno) && existsSync(settled)) return;
  if (!existsSync(deno)) {
    say("installing the pinned Deno and npm dependencies (npm ci)");
    if (run("npm", ["ci", "--no-audit", "--no-fund"]) !== 0) process.exit(1);
  }
  // Deno's first run rearranges node_modules, moving its own binary; a task running from that
  // binary then panics. Let `deno install` do it once, before any task.
  if (run(deno, ["install", "--quiet"]) !== 0) process.exit(1);
}

/**
 * The Deno executable itself, not npm's bin.cjs launcher (a node process that would stay
 * between npm and Deno and not pass signals on). The deno package's own installer API finds
 * the binary of this platform's @deno/* package whatever the node_modules layout.
 */
function realDeno() {
  const require = createRequire(join(root, "node_modules", "deno", "package.json"));
  return require("./install_api.cjs").runInstall();
}

/** Counts from Deno's JUnit report: every test case, and those with a failure or error. */
function summarise() {
  if (!existsSync(junit)) return { passed: 0, failed: 1, skipped: 0 };
  const xml = readFileSync(junit, "utf8");
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const match of xml.matchAll(/<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const body = match[2] ?? "";
    if (/<(failure|error)\b/.test(body)) failed++;
    else if (/<skipped\b/.test(body)) skipped++;
    else passed++;
  }
  return { passed, failed, skipped };
}

const [command = "start", ...rest] = process.argv.slice(2);
if (!(command in NEEDS)) {
  say(`unknown bootstrap command "${command}": expected start or test`);
  process.exit(2);
}
installDebianPackages(command);
installDeno();
const runtime = realDeno();
mkdirSync(dirname(junit), { recursive: true });
if (command === "start") {
  if (run(runtime, ["task", "build:ui"]) !== 0) process.exit(1);
  rmSync(runtimeLink, { force: true });
  symlinkSync(runtime, runtimeLink);
  process.exit(0);
}
rmSync(junit, { force: true });
const code = run(runtime, ["task", "test", ...rest]);
const { passed, failed, skipped } = summarise();
const reported = failed > 0 ? failed : code === 0 ? 0 : 1;
console.log(`${passed} passed, ${reported} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(code !== 0 || failed > 0 ? 1 : 0);
