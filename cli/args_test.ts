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
      maxStreamConnections: undefined,
      snaplen: undefined,
      bufferBytes: undefined,
      promiscuous: true,
      immediate: false,
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
      ["capture", "--max-stream-connections", "4"],
    ]
  ) {
    assert.throws(() => parseCommandLine(argv), /./, argv.join(" "));
  }
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
