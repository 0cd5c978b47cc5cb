// parseCommandLine() for `serve`, the default command.

import assert from "node:assert/strict";
import { parseCommandLine, parseListen } from "./args.ts";

Deno.test("parseCommandLine() runs serve when no command is given", () => {
  const args = parseCommandLine([]);
  assert.equal(args.command, "serve");
  if (args.command !== "serve") return;
  assert.deepEqual(args.listen, { host: "127.0.0.1", port: 7500 });
  assert.equal(args.speed, Infinity);
  assert.equal(parseCommandLine(["capture"]).command, "capture");
});

Deno.test("parseCommandLine() reads serve's replay, listen and token options", () => {
  const args = parseCommandLine([
    "serve",
    "--read",
    "x.pcap",
    "--speed",
    "10",
    "--listen",
    "[::1]:8080",
    "--token",
    "t",
  ]);
  assert.deepEqual(
    { ...args },
    {
      command: "serve",
      interface: undefined,
      filter: undefined,
      read: "x.pcap",
      speed: 10,
      listen: { host: "::1", port: 8080 },
      token: "t",
      tokenFile: undefined,
      insecureNoAuth: false,
      flows: {},
      geoip: [],
      bundledGeoip: true,
      maxStreamConnections: undefined,
      workers: undefined,
      maxConnections: undefined,
      allowedHosts: [],
      cookieSecure: false,
      loginRate: undefined,
      snaplen: undefined,
      bufferBytes: undefined,
      promiscuous: true,
      immediate: false,
      export: {
        destinations: [],
        biflow: false,
        retentionDays: undefined,
        passwordFile: undefined,
      },
      history: { enabled: true, dataDir: undefined, capBytes: 512 * 2 ** 20, maxAgeSec: undefined },
    },
  );
});

Deno.test("parseCommandLine() refuses serve options that cannot go together", () => {
  for (
    const argv of [
      ["-i", "eth0", "--read", "x"],
      ["--speed", "2"],
      ["--token", "a", "--token-file", "b"],
      ["--token", ""],
      ["--speed", "fast", "--read", "x"],
      ["--flows"],
      ["capture", "--listen", "1:2"],
      ["--max-stream-connections", "0"],
      ["--max-stream-connections", "2.5"],
      ["--max-connections", "0"],
      ["--allowed-host", "a b"],
      ["--allowed-host", "http://x/"],
      ["capture", "--max-stream-connections", "4"],
      ["--geoip", "a.mmdb", "--no-geoip"],
      ["report", "x.pcap", "--no-geoip"],
    ]
  ) {
    assert.throws(() => parseCommandLine(argv), /./, argv.join(" "));
  }
});

Deno.test("parseCommandLine() keeps --geoip files in order and --no-geoip turns the built-in database off", () => {
  const args = parseCommandLine(["--geoip", "b.mmdb", "--geoip", "a.mmdb"]);
  assert.deepEqual(args.command === "serve" && [args.geoip, args.bundledGeoip], [
    ["b.mmdb", "a.mmdb"],
    true,
  ]);
  const off = parseCommandLine(["--no-geoip"]);
  assert.deepEqual(off.command === "serve" && [off.geoip, off.bundledGeoip], [[], false]);
});

Deno.test("parseCommandLine() reads serve's --max-stream-connections", () => {
  const args = parseCommandLine(["--max-stream-connections", "8"]);
  assert.equal(args.command === "serve" && args.maxStreamConnections, 8);
});

Deno.test("parseListen() takes HOST:PORT, [IPv6]:PORT and :PORT", () => {
  assert.deepEqual(parseListen("0.0.0.0:80"), { host: "0.0.0.0", port: 80 });
  assert.deepEqual(parseListen(":9000"), { host: "127.0.0.1", port: 9000 });
  assert.deepEqual(parseListen("localhost:1"), { host: "localhost", port: 1 });
  for (const bad of ["7500", "host:", "h:99999", "::1:80", "[::1]"]) {
    assert.throws(() => parseListen(bad), /--listen/);
  }
});

Deno.test("parseCommandLine() reads serve's flow table sizes, history span and timeouts", () => {
  const args = parseCommandLine([
    "--max-flows",
    "5000",
    "--max-history",
    "20000",
    "--max-hosts",
    "300",
    "--history-minutes",
    "15",
    "--timeouts",
    "tcp=120,udp=20,active=600",
  ]);
  assert.equal(args.command, "serve");
  assert.deepEqual(args.command === "serve" && args.flows, {
    maxActiveFlows: 5000,
    maxHistoryRecords: 20000,
    maxHosts: 300,
    historyRetentionSec: 900,
    tcpTimeoutSec: 120,
    udpTimeoutSec: 20,
    activeTimeoutSec: 600,
  });
  const defaults = parseCommandLine([]);
  assert.deepEqual(defaults.command === "serve" && defaults.flows, {});
});

Deno.test("parseCommandLine() refuses bad flow limits, naming them", () => {
  for (
    const [argv, message] of [
      [["--max-flows", "0"], /--max-flows/],
      [["--history-minutes", "-5"], /--history-minutes/],
      [["--timeouts", "tcp"], /--timeouts "tcp": expected KEY=SECONDS/],
      [["--timeouts", "dns=5"], /KEY one of tcp, tcp-closed, udp, icmp, other, active/],
      [["--timeouts", "udp=soon"], /--timeouts udp "soon"/],
      [["capture", "--max-flows", "9"], /does not apply to "capture"/],
    ] as const
  ) {
    assert.throws(() => parseCommandLine([...argv]), message, argv.join(" "));
  }
});

Deno.test("parseCommandLine() keeps capture sizes within what libpcap takes, naming the option", () => {
  // libpcap takes the buffer size in bytes as a C int: 2 GiB would overflow it.
  for (
    const [argv, message] of [
      [["capture", "--buffer-size", "2048"], /--buffer-size "2048": expected up to 1024/],
      [["--buffer-size", "100000"], /--buffer-size "100000"/],
      [["capture", "--snaplen", "999999999"], /--snaplen "999999999": expected 1 to 262144/],
      [["--snaplen", "0"], /--snaplen "0"/],
    ] as const
  ) {
    assert.throws(() => parseCommandLine([...argv]), message, argv.join(" "));
  }
  const largest = parseCommandLine(["capture", "--buffer-size", "1024", "--snaplen", "262144"]);
  assert.equal(largest.command, "capture");
  if (largest.command === "capture") {
    assert.equal(largest.bufferBytes, 1024 * 1048576);
    assert.equal(largest.snaplen, 262144);
  }
});

Deno.test("parseCommandLine() reads serve's history options", () => {
  const args = parseCommandLine([
    "--data-dir",
    "/srv/netwatch",
    "--retention-size",
    "2GiB",
    "--retention",
    "30d",
  ]);
  assert.deepEqual(args.command === "serve" && args.history, {
    enabled: true,
    dataDir: "/srv/netwatch",
    capBytes: 2 * 2 ** 30,
    maxAgeSec: 30 * 86400,
  });
  const sizes = [["500MB", 500e6], ["1.5G", 1.5 * 2 ** 30], ["300MiB", 300 * 2 ** 20]] as const;
  for (const [text, bytes] of sizes) {
    const parsed = parseCommandLine(["--retention-size", text]);
    assert.equal(parsed.command === "serve" && parsed.history.capBytes, bytes, text);
  }
  const off = parseCommandLine(["--no-history"]);
  assert.equal(off.command === "serve" && off.history.enabled, false);
});

Deno.test("parseCommandLine() refuses bad history options, naming them", () => {
  for (
    const [argv, message] of [
      [["--retention-size", "lots"], /Invalid --retention-size "lots": expected a number/],
      [["--retention-size", "5MB"], /--retention-size "5MB": expected at least 10.0 MB/],
      [["--retention-size", "12XB"], /Invalid --retention-size "12XB"/],
      [["--retention", "30"], /Invalid --retention "30": expected a number and a unit/],
      [["--retention", "10m"], /Invalid --retention "10m": expected at least 1h/],
      [["--data-dir", ""], /--data-dir is empty/],
      [["--no-history", "--retention", "7d"], /--retention does not apply with --no-history/],
      [["capture", "--data-dir", "/x"], /does not apply to "capture"/],
    ] as const
  ) {
    assert.throws(() => parseCommandLine([...argv]), message, argv.join(" "));
  }
});

Deno.test("numeric options take plain decimals only: no hex, binary, spaces or empty values", () => {
  for (const bad of ["0x10", "0b1", " 1", "1 ", "", "1e", "Infinity", "-2"]) {
    assert.throws(
      () => parseCommandLine(["--read", "x.pcap", `--speed=${bad}`]),
      /Invalid --speed/,
      JSON.stringify(bad),
    );
    assert.throws(
      () => parseCommandLine(["capture", `--duration=${bad}`]),
      /Invalid --duration/,
      JSON.stringify(bad),
    );
  }
  for (const [good, speed] of [["10", 10], ["0.5", 0.5], ["1e3", 1000], [".5", 0.5]] as const) {
    const args = parseCommandLine(["--read", "x.pcap", "--speed", good]);
    assert.equal(args.command === "serve" && args.speed, speed);
  }
});
