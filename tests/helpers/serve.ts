// Starts `netwatch serve` as a process on a free loopback port, for the API and stream tests.

import { cliCommand } from "./cli.ts";
import { waitForLine } from "./netns.ts";

/** A running server process. */
export interface ServerProcess {
  /** "http://127.0.0.1:PORT" */
  base: string;
  port: number;
  child: Deno.ChildProcess;
  /** Everything the process wrote on stderr, once it has exited. */
  stderr: Promise<string>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number>;
}

/** A port nothing listens on right now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Runs `netwatch serve --read FILE --speed max --listen 127.0.0.1:<free port>` plus `extra`,
 * waits for its "serving" line, then until the replay has ended (all flows are in).
 */
export async function startServer(
  file: string,
  extra: string[] = [],
  options: {
    env?: Record<string, string>;
    /** Token to poll /health with. */
    token?: string;
    /** Address to bind (default 127.0.0.1); the tests always connect to 127.0.0.1. */
    host?: string;
    /** Leave out the word "serve" (the default command). */
    noCommand?: boolean;
  } = {},
): Promise<ServerProcess> {
  const port = freePort();
  const [program, ...lead] = cliCommand();
  const listen = `${options.host ?? "127.0.0.1"}:${port}`;
  const args = [
    ...(options.noCommand ? [] : ["serve"]),
    ...["--read", file, "--speed", "max", "--listen", listen, ...extra],
  ];
  const child = new Deno.Command(program, {
    args: [...lead, ...args],
    stdout: "null",
    stderr: "piped",
    stdin: "null",
    env: options.env,
  }).spawn();
  let stderr: Promise<string>;
  try {
    const seen = await waitForLine(child.stderr, /netwatch: serving http:/, 30_000, "serve");
    stderr = seen.rest;
  } catch (error) {
    child.kill("SIGKILL");
    await child.status;
    throw error;
  }
  const base = `http://127.0.0.1:${port}`;
  const headers: HeadersInit = options.token ? { Authorization: `Bearer ${options.token}` } : {};
  const deadline = Date.now() + 30_000;
  for (;;) {
    const health = await (await fetch(`${base}/api/v1/health`, { headers })).json();
    if (health.capture?.state === "ended") break;
    if (Date.now() > deadline) throw new Error(`Replay did not end: ${JSON.stringify(health)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  let stopped: Promise<number> | undefined;
  return {
    base,
    port,
    child,
    stderr,
    stop() {
      stopped ??= (async () => {
        try {
          child.kill("SIGTERM");
        } catch {
          // already gone
        }
        return (await child.status).code;
      })();
      return stopped;
    },
  };
}
