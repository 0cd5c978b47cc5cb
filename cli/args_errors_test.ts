// parseCommandLine()'s one-line messages for options that are unknown, lack a value or take none.

import assert from "node:assert/strict";
import { parseCommandLine, UsageError } from "./args.ts";

/** The UsageError message parseCommandLine() throws for `argv`. */
function usageMessage(argv: string[]): string {
  try {
    parseCommandLine(argv);
  } catch (error) {
    assert.ok(error instanceof UsageError, `${argv.join(" ")}: ${error}`);
    return error.message;
  }
  throw new Error(`${argv.join(" ")} was accepted`);
}

Deno.test("parseCommandLine() names an option given without its value, short or long", () => {
  const interfaceLine =
    'Option "--interface" (-i) needs a value (write --interface=VALUE for one starting with "-")';
  assert.equal(usageMessage(["-i"]), interfaceLine);
  assert.equal(usageMessage(["--interface"]), interfaceLine);
  assert.equal(usageMessage(["capture", "-i"]), interfaceLine);
  assert.equal(
    usageMessage(["-f"]),
    'Option "--filter" (-f) needs a value (write --filter=VALUE for one starting with "-")',
  );
  assert.equal(
    usageMessage(["report", "x.pcap", "--filter"]),
    'Option "--filter" (-f) needs a value (write --filter=VALUE for one starting with "-")',
  );
  assert.equal(
    usageMessage(["--read"]),
    'Option "--read" needs a value (write --read=VALUE for one starting with "-")',
  );
});

Deno.test("parseCommandLine() says a flag takes no value instead of asking for one", () => {
  assert.equal(
    usageMessage(["report", "x.pcap", "--flows=yes"]),
    'Option "--flows" takes no value',
  );
});

Deno.test("parseCommandLine() names an unknown option as typed", () => {
  assert.equal(usageMessage(["--bogus"]), 'Unknown option "--bogus"');
  assert.equal(usageMessage(["-z"]), 'Unknown option "-z"');
});

Deno.test("parseCommandLine() refuses an option of one value given twice, not lists", () => {
  assert.equal(
    usageMessage(["--listen", "127.0.0.1:1", "--listen", "127.0.0.1:2"]),
    "Option --listen is given more than once",
  );
  assert.equal(
    usageMessage(["capture", "-i", "lo", "--interface", "eth0"]),
    "Option --interface is given more than once",
  );
  // Repeatable ones add up.
  const serve = parseCommandLine([
    "--geoip",
    "a.mmdb",
    "--geoip",
    "b.mmdb",
    "--allowed-host",
    "x",
    "--allowed-host",
    "y",
  ]);
  assert.equal(serve.command, "serve");
  if (serve.command === "serve") {
    assert.deepEqual(serve.geoip, ["a.mmdb", "b.mmdb"]);
    assert.equal(serve.allowedHosts.length, 2);
  }
});
