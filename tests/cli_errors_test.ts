// What users see when something is wrong: one line that says how to fix it, and the exit code.

import assert from "node:assert/strict";
import { cliCommand, type CliResult, runCli } from "./helpers/cli.ts";
import { corpusPath } from "./helpers/corpus.ts";
import { sh } from "./helpers/netns.ts";
import { asNobody, runProcess, sharedHome } from "./helpers/process.ts";

const SAMPLE = corpusPath("real/zeek_wikipedia.pcap");
const PCAPNG = corpusPath("real/zeek_pcapng-multi-interface.pcapng");

/**
 * Exactly one non-empty stderr line, no stack trace; returns it. `deno run` as another user
 * fetches npm metadata into that user's empty cache and says "Download https://..." first: that
 * is Deno's tooling (a compiled binary never prints it), so those lines are not Netwatch's.
 */
function oneLine(result: CliResult): string {
  const lines = result.stderr.split("\n").filter((line) =>
    line.trim() !== "" && !/^Download https:\/\/\S+$/.test(line)
  );
  assert.ok(!/^\s+at /m.test(result.stderr), `stack trace:\n${result.stderr}`);
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${result.stderr}`);
  return lines[0];
}

Deno.test("usage mistakes exit 2 with a hint", async () => {
  for (
    const args of [
      ["report"],
      ["report", SAMPLE, "--format", "xml"],
      ["frobnicate"],
      ["report", SAMPLE, "--no-such-option"],
      ["capture", "--count", "-3"],
      ["report", SAMPLE, "--duration", "5"],
      ["--read", SAMPLE, "--token", " "],
      ["--read", SAMPLE, "--token", "abc"],
      ["--read", SAMPLE, "--token", "fifteen-chars-x"],
      ["--read", SAMPLE, "--token", " padded-token "],
      ["capture", "--buffer-size", "2048"],
    ]
  ) {
    const result = await runCli(args);
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, /^netwatch: .+\nTry "netwatch --help"\.\n$/);
  }
});

Deno.test("--help and --version exit 0", async () => {
  const help = await runCli(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage:/);
  const version = await runCli(["--version"]);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^netwatch \d+\.\d+\.\d+\n$/);
});

Deno.test("an unreadable capture file is named with libpcap's reason", async () => {
  const missing = await runCli(["report", "/nonexistent/x.pcap"]);
  assert.equal(missing.code, 1);
  assert.equal(
    oneLine(missing),
    'netwatch: Cannot read "/nonexistent/x.pcap": No such file or directory',
  );
  const notPcap = await runCli(["report", new URL("../deno.json", import.meta.url).pathname]);
  assert.equal(notPcap.code, 1);
  assert.match(oneLine(notPcap), /^netwatch: Cannot read ".*deno\.json": unknown file format$/);
});

Deno.test("a bad filter gets libpcap's own error text", async () => {
  const offline = await runCli(["report", SAMPLE, "-f", "tcp port"]);
  assert.equal(offline.code, 1);
  assert.match(oneLine(offline), /^netwatch: Invalid filter "tcp port": .*syntax error/);
  const live = await runCli(["capture", "-i", "lo", "-f", "host 999.1.1.1", "--duration", "1"]);
  assert.equal(live.code, 1);
  assert.match(oneLine(live), /^netwatch: Invalid filter "host 999\.1\.1\.1": \S/);
});

Deno.test("a filter narrows a report to matching packets", async () => {
  const all = JSON.parse((await runCli(["report", SAMPLE, "--format", "json"])).stdout);
  const udp = JSON.parse(
    (await runCli(["report", SAMPLE, "-f", "udp", "--format", "json"])).stdout,
  );
  assert.equal(udp.packets, all.udp);
  assert.equal(udp.tcp, 0);
});

Deno.test("a missing interface is named, with the interfaces that exist", async () => {
  const result = await runCli(["capture", "-i", "nosuch0", "--duration", "1"]);
  assert.equal(result.code, 1);
  assert.match(
    oneLine(result),
    /^netwatch: Cannot capture on "nosuch0": no such interface \(interfaces: .*\blo\b.*\)$/,
  );
});

Deno.test("without CAP_NET_RAW the user is told how to grant it", async () => {
  assert.equal(Deno.uid(), 0, "this test drops from root to nobody: run the suite as root");
  const home = await sharedHome();
  try {
    const [program, ...lead] = cliCommand();
    // nobody, with no capabilities at all.
    const [setpriv, ...drop] = asNobody(home);
    const args = [...drop, program, ...lead, "capture", "-i", "lo", "--duration", "1"];
    const result = await runProcess(setpriv, args);
    assert.equal(result.code, 1, result.stderr);
    const line = oneLine(result);
    assert.match(line, /^netwatch: Cannot capture on "lo": permission denied\./);
    if (program === Deno.execPath()) {
      // From source the runtime is Deno: setcap on it would not be the advice.
      assert.match(line, /From source, capture needs root \(`sudo npm start`\)/);
      assert.doesNotMatch(line, /setcap/);
    } else {
      // The compiled binary (NETWATCH_BIN): setcap on its own path.
      assert.ok(line.includes(`setcap cap_net_raw=eip ${program}`), line);
      assert.match(line, /AmbientCapabilities=CAP_NET_RAW/);
    }
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("without libpcap the user is told which package to install", async () => {
  assert.equal(Deno.uid(), 0, "this test hides libpcap in a mount namespace: run as root");
  // Every file behind a libpcap soname, hidden under /dev/null in a private mount namespace.
  const listing = await sh(["sh", "-c", "ldconfig -p | grep -o '/[^ ]*libpcap\\.so[^ ]*'"]);
  const files = new Set<string>();
  for (const path of listing.split("\n").filter(Boolean)) files.add(await Deno.realPath(path));
  assert.ok(files.size > 0, "libpcap is not installed here, so this test cannot hide it");
  const hide = [...files].map((f) => `mount --bind /dev/null '${f}'`).join(" && ");
  const [program, ...lead] = cliCommand();
  const hidden = (args: string[]) =>
    runProcess("unshare", [
      "-m",
      "sh",
      "-c",
      `${hide} && exec "$@"`,
      "sh",
      program,
      ...lead,
      ...args,
    ]);
  // Live capture and filters need libpcap.
  for (
    const args of [["capture", "-i", "lo", "--duration", "1"], ["report", SAMPLE, "-f", "tcp"]]
  ) {
    const result = await hidden(args);
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      oneLine(result),
      /^netwatch: libpcap is not installed: run `sudo apt-get install libpcap0\.8` \(Debian\/Ubuntu\)/,
    );
  }
  // Plain pcap and pcapng files are read without it, to the same report.
  for (const file of [SAMPLE, PCAPNG]) {
    const without = await hidden(["report", file, "--format", "json"]);
    assert.equal(without.code, 0, without.stderr);
    const withLibpcap = await runCli(["report", file, "--format", "json"]);
    assert.deepEqual(JSON.parse(without.stdout), JSON.parse(withLibpcap.stdout));
  }
});

Deno.test("a --listen address already taken, or not this machine's, gets one line with the fix", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (taken.addr as Deno.NetAddr).port;
    const inUse = await runCli(["--read", SAMPLE, "--no-history", "--listen", `127.0.0.1:${port}`]);
    assert.equal(inUse.code, 1);
    assert.equal(
      oneLine(inUse),
      `netwatch: cannot listen on 127.0.0.1:${port}: another program (another Netwatch?) has ` +
        "it; stop it or pick another --listen HOST:PORT",
    );
  } finally {
    taken.close();
  }
  // 192.0.2.1 is TEST-NET-1: never an address of this machine.
  const foreign = await runCli(
    ["--read", SAMPLE, "--no-history", "--insecure-no-auth", "--listen", "192.0.2.1:7500"],
  );
  assert.equal(foreign.code, 1);
  assert.match(oneLine(foreign), /^netwatch: cannot listen on 192\.0\.2\.1:7500: no interface/);
});
