// Netwatch's entry point: parses the command line, runs a command, maps failures to exit codes.

import { CaptureError } from "./capture/capture_error.ts";
import { parseCommandLine, USAGE, UsageError } from "./cli/args.ts";
import { captureCommand } from "./cli/capture_command.ts";
import { interfacesCommand } from "./cli/interfaces_command.ts";
import { reportCommand } from "./cli/report_command.ts";
import { serveCommand } from "./cli/serve_command.ts";
import config from "./deno.json" with { type: "json" };

/** Runs Netwatch with `argv` and returns the process exit code (0 ok, 1 runtime, 2 usage). */
export async function main(argv: string[]): Promise<number> {
  try {
    const args = parseCommandLine(argv);
    switch (args.command) {
      case "help":
        console.log(USAGE);
        return 0;
      case "version":
        console.log(`netwatch ${config.version}`);
        return 0;
      case "report":
        return reportCommand(args);
      case "interfaces":
        return interfacesCommand(args);
      case "capture":
        return await captureCommand(args);
      case "serve":
        return await serveCommand(args);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`netwatch: ${error.message}\nTry "netwatch --help".`);
      return 2;
    }
    if (error instanceof CaptureError) {
      console.error(`netwatch: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
