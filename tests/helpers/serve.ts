// Starts `netwatch serve --read FILE` as a process on a loopback port: the one launcher of the
// API, stream, dashboard and reliability tests (and the UI benchmark).

import { cliCommand } from "./cli.ts";

/**
 * A TCP port nothing listens on right now, for programs that cannot report the port they were
 * given (launchServe() binds port 0 instead). It is below the kernel's ephemeral range, so no
 * outgoing connection (the tests make many) can take it before the program binds it.
 */
export function freePort(): number {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const port = candidatePort();
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      return port;
    } catch {
      // taken: try another
    }
  }
  throw new Error("no free TCP port found in 1,000 tries");
}

/** A random port from 10000 up to the kernel's first ephemeral one. */
export function candidatePort(): number {
  const text = Deno.readTextFileSync("/proc/sys/net/ipv4/ip_local_port_range");
  const low = Number(text.trim().split(/\s+/)[0]);
  const below = low > 11000 ? low : 65536;
  return 10000 + Math.floor(Math.random() * (below - 10000));
}

/** What to start: `serve --read FILE --speed SPEED --listen HOST:PORT` plus `extra`. */
export interface ServeOptions {
  file: string;
  /** Replay speed (default "max"). */
  speed?: number | "max";
  /**
   * Port to listen on (default 0: the kernel picks, and the port is read from the "serving"
   * line, so no other socket can take it between choosing and binding).
   */
  port?: number;
  /** Address to bind (default 127.0.0.1); the tests always connect to 127.0.0.1. */
  host?: string;
  extra?: string[];
  env?: Record<string, string>;
  /** Leave out the word "serve" (the default command). */
  noCommand?: boolean;
  /** Longest wait for the "serving" line or an exit (default 30 s). */
  timeoutMs?: number;
  /**
   * History directory: each process gets a fresh temporary one (removed when it exits) unless
   * one is given here (a restart test passes the same one twice) or `extra` sets --data-dir or
   * --no-history.
   */
  dataDir?: string;
  /** A command the CLI runs under, e.g. ["prlimit", "--nofile=1024", "--"]. */
  prefix?: string[];
}

/** A running serve process, its whole output kept. */
export interface ServeProcess {
  /** "http://127.0.0.1:PORT" */
  base: string;
  /** The dashboard: base + "/". */
  url: string;
  port: number;
  child: Deno.ChildProcess;
  /** Everything written so far on stdout and stderr (complete once `exited` resolves). */
  output(): { stdout: string; stderr: string };
  /** Resolves with the exit code when the process ends on its own or is stopped. */
  exited: Promise<number>;
  /** SIGTERM (SIGKILL after `graceMs`), then the exit code. */
  stop(graceMs?: number): Promise<number>;
}

/** The outcome of starting: serving, or exited before it said so. */
export type StartResult =
  | { serving: true; server: ServeProcess }
  | { serving: false; code: number; stdout: string; stderr: string };

/** Starts serve and waits for its "serving" line or its exit; throws if neither comes in time. */
export async function launchServe(options: ServeOptions): Promise<StartResult> {
  const asked = options.port ?? 0;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const [program, ...lead] = [...(options.prefix ?? []), ...cliCommand()];
  const extra = options.extra ?? [];
  const ownsHistory = options.dataDir === undefined &&
    !extra.some((a) => a === "--no-history" || a.startsWith("--data-dir"));
  const dataDir = ownsHistory ? Deno.makeTempDirSync({ prefix: "nwhist" }) : options.dataDir;
  const args = [
    ...(options.noCommand ? [] : ["serve"]),
    ...["--read", options.file, "--speed", String(options.speed ?? "max")],
    ...["--listen", `${options.host ?? "127.0.0.1"}:${asked}`, ...extra],
    ...(dataDir !== undefined ? ["--data-dir", dataDir] : []),
  ];
  const child = new Deno.Command(program, {
    args: [...lead, ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    env: options.env,
  }).spawn();
  // Both pipes are drained to the end, so the child never blocks on a full one.
  const text = { stdout: "", stderr: "" };
  const pump = async (stream: ReadableStream<Uint8Array>, key: "stdout" | "stderr") => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) text[key] += decoder.decode(chunk, { stream: true });
  };
  const pumped = Promise.all([pump(child.stdout, "stdout"), pump(child.stderr, "stderr")]);
  const exited = child.status.then(async (s) => {
    await pumped;
    if (ownsHistory && dataDir) Deno.removeSync(dataDir, { recursive: true });
    return s.code;
  });
  let done = false;
  exited.then(() => (done = true));
  const deadline = Date.now() + timeoutMs;
  let serving: RegExpExecArray | null;
  while (!(serving = /netwatch: serving http:\/\/\S*:(\d+)\//.exec(text.stderr))) {
    if (done) return { serving: false, code: await exited, ...text };
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      await exited;
      throw new Error(
        `serve ${options.file} neither served nor exited in ${timeoutMs} ms: ${text.stderr}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const port = Number(serving[1]);
  const base = `http://127.0.0.1:${port}`;
  let stopping: Promise<number> | undefined;
  const server: ServeProcess = {
    base,
    url: `${base}/`,
    port,
    child,
    output: () => ({ ...text }),
    exited,
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        try {
          child.kill("SIGTERM");
        } catch {
          // already gone
        }
        const timer = setTimeout(() => {
          try {
            child.kill("SIGKILL");
          } catch {
            // exited in time
          }
        }, graceMs);
        try {
          return await exited;
        } finally {
          clearTimeout(timer);
        }
      })();
      return stopping;
    },
  };
  return { serving: true, server };
}

/** launchServe() that must serve. */
export async function startServe(options: ServeOptions): Promise<ServeProcess> {
  const started = await launchServe(options);
  if (!started.serving) {
    throw new Error(`serve ${options.file} exited ${started.code}: ${started.stderr}`);
  }
  return started.server;
}

/**
 * Serves `file` at full speed (plus `extra`) and waits until the replay has ended, so that
 * every flow is in. `token` is what /health is polled with.
 */
export async function startServer(
  file: string,
  extra: string[] = [],
  options: Omit<ServeOptions, "file" | "extra"> & { token?: string } = {},
): Promise<ServeProcess> {
  const server = await startServe({ ...options, file, extra });
  const headers: HeadersInit = options.token ? { Authorization: `Bearer ${options.token}` } : {};
  const deadline = Date.now() + 30_000;
  for (;;) {
    const health = await (await fetch(`${server.base}/api/v1/health`, { headers })).json();
    if (health.capture?.state === "ended") return server;
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`Replay did not end: ${JSON.stringify(health)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
