// The option table against --help and the parser: all documented, refused where not taken.

import assert from "node:assert/strict";
import { appliesTo, type Command, COMMANDS, OPTIONS } from "./options.ts";
import { parseCommandLine, USAGE } from "./args.ts";

const optionsIn = (text: string) =>
  new Set([...text.matchAll(/--([a-z][a-z-]+)/g)].map((m) => m[1]));

Deno.test("--help names every option there is, and no other", () => {
  assert.deepEqual([...optionsIn(USAGE)].sort(), Object.keys(OPTIONS).sort());
});

Deno.test("each --help section lists only options its commands take", () => {
  // Section heading -> the commands it is about ("Capture options" are live capture's: capture
  // and, as the serve heading says, serve).
  const sections: [string, Command[]][] = [
    ["Capture options:", ["capture"]],
    ["Serve options", ["serve"]],
    ["History options (serve):", ["serve"]],
    ["Report options:", ["report"]],
    ["Output options (capture, report, interfaces):", ["capture", "report", "interfaces"]],
  ];
  const starts = sections.map(([heading]) => {
    const at = USAGE.indexOf(heading);
    assert.ok(at >= 0, `--help has no section "${heading}"`);
    return at;
  });
  sections.forEach(([heading, commands], k) => {
    const end = Math.min(...starts.filter((s) => s > starts[k]), USAGE.indexOf("\n\nCapturing"));
    for (const name of optionsIn(USAGE.slice(starts[k], end))) {
      for (const command of commands) {
        assert.ok(
          appliesTo(name, command),
          `"${heading}" lists --${name}, which ${command} refuses`,
        );
      }
    }
  });
});

Deno.test("an option given to a command it does not apply to is refused, naming both", () => {
  for (const command of COMMANDS) {
    for (const [name, option] of Object.entries(OPTIONS)) {
      if (appliesTo(name, command) || name === "help" || name === "version") continue;
      const argv = [command, ...(command === "report" ? ["x.pcap"] : [])];
      argv.push(option.type === "string" ? `--${name}=1` : `--${name}`);
      assert.throws(
        () => parseCommandLine(argv),
        new RegExp(`^UsageError: Option --${name} does not apply to "${command}"$`),
        argv.join(" "),
      );
    }
  }
});
