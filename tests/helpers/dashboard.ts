// Browser-test helpers: the real CLI serving a replay, and Debian's Chromium via playwright-core.

import { type BrowserContext, chromium } from "playwright-core";
import { cliCommand } from "./cli.ts";

/** Where Debian installs Chromium; never downloaded. */
export const CHROMIUM = "/usr/bin/chromium";

/** Flags for headless Chromium on a loopback-only machine. */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A browser with a temporary profile; close() removes the profile too. */
export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches headless Chromium; throws (never skips) when it is not installed. */
export async function launchChromium(
  viewport = { width: 1280, height: 720 },
  colorScheme: "light" | "dark" = "light",
): Promise<TestBrowser> {
  try {
    Deno.statSync(CHROMIUM);
  } catch {
    throw new Error(
      `Chromium is missing at ${CHROMIUM}: install Debian's chromium package (apt-get install ` +
        `chromium). The dashboard tests need a real browser and do not skip without one.`,
    );
  }
  const profile = await Deno.makeTempDir({ prefix: "netwatch-chromium-" });
  const context = await chromium.launchPersistentContext(profile, {
    headless: true,
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    viewport,
    colorScheme,
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}

/** A free loopback TCP port (bound, read and released). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** A running `netwatch serve`. */
export interface ServeProcess {
  port: number;
  url: string;
  /** SIGTERM, then waits for the exit; returns the exit code. */
  stop(): Promise<number>;
}

/**
 * Starts `netwatch serve --read <file> --speed <speed> --listen 127.0.0.1:<port>` and resolves
 * once it says it is serving; rejects with its output if it exits or is silent for 30 s.
 */
export async function startServe(
  options: { file: string; speed: number; port: number; extraArgs?: string[] },
): Promise<ServeProcess> {
  const [program, ...lead] = cliCommand();
  const child = new Deno.Command(program, {
    args: [
      ...lead,
      "serve",
      "--read",
      options.file,
      "--speed",
      String(options.speed),
      "--listen",
      `127.0.0.1:${options.port}`,
      ...(options.extraArgs ?? []),
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  const deadline = setTimeout(() => child.kill("SIGKILL"), 30_000);
  try {
    while (!output.includes("serving http://")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`netwatch serve exited before serving:\n${output}`);
      output += value;
    }
  } finally {
    clearTimeout(deadline);
  }
  // Keep draining stderr so the child never blocks on a full pipe.
  (async () => {
    try {
      while (!(await reader.read()).done) { /* drain */ }
    } catch { /* closed */ }
  })();
  let stopping: Promise<number> | undefined;
  return {
    port: options.port,
    url: `http://127.0.0.1:${options.port}/`,
    stop() {
      stopping ??= (async () => {
        try {
          child.kill("SIGTERM");
        } catch { /* already gone */ }
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        const status = await child.status;
        clearTimeout(timer);
        return status.code;
      })();
      return stopping;
    },
  };
}
