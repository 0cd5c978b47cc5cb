// `netwatch serve` (the default command): capture or replay, and serve the API until a signal.

import { defaultInterface, listInterfaces } from "../capture/interfaces.ts";
import { raiseFileLimit } from "../capture/libpcap.ts";
import type { SourceOptions } from "../capture/source.ts";
import config from "../deno.json" with { type: "json" };
import { join, resolve } from "node:path";
import { GeoIp } from "../flows/identity/geoip.ts";
import { resolvePasswordFiles } from "../export/attach.ts";
import { DATABASE_FILE, defaultDataDir } from "../history/data_dir.ts";
import { HistoryClient } from "../history/history_client.ts";
import { createApp } from "../server/app.ts";
import { Monitor } from "../pipeline/monitor.ts";
import { HostPolicy } from "../server/host_policy.ts";
import { ConnectionGuard, descriptorReserve } from "../server/connection_guard.ts";
import { serveApp } from "../server/serve.ts";
import { type ServeArgs, UsageError } from "./args.ts";
import { BUNDLED_GEOIP_CREDIT, bundledGeoipPath } from "./bundled_geoip.ts";

/** Connections served at once unless --max-connections says otherwise. */
const DEFAULT_MAX_CONNECTIONS = 1024;

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The token from --token, --token-file or NETWATCH_TOKEN (in that order), or undefined. */
export function resolveToken(args: ServeArgs): string | undefined {
  if (args.token !== undefined) return checkedToken(args.token, "--token");
  if (args.tokenFile !== undefined) {
    let text: string;
    try {
      text = Deno.readTextFileSync(args.tokenFile);
    } catch (error) {
      throw new UsageError(
        `Cannot read --token-file "${args.tokenFile}": ${(error as Error).message}`,
      );
    }
    const token = text.split(/\r?\n/)[0].trim();
    if (token === "") throw new UsageError(`--token-file "${args.tokenFile}" is empty`);
    return checkedToken(token, `--token-file "${args.tokenFile}"`);
  }
  const env = Deno.env.get("NETWATCH_TOKEN");
  return env === undefined || env === "" ? undefined : checkedToken(env, "NETWATCH_TOKEN");
}

/**
 * Shortest token accepted: the login throttle slows guessing, but 16 characters (64 bits as hex)
 * keep it hopeless even at the server's whole request rate.
 */
const MIN_TOKEN = 16;

/** `token` if it can guard the API; a usage error naming `from` otherwise. */
function checkedToken(token: string, from: string): string {
  if (token.trim() !== token || token.length < MIN_TOKEN) {
    throw new UsageError(
      `The token from ${from} must be at least ${MIN_TOKEN} characters without spaces at ` +
        "either end (for example: openssl rand -hex 16)",
    );
  }
  return token;
}

/**
 * The built-in country database's path, or undefined (with one line saying how to get it back)
 * when it is missing: places are then unknown, and everything else goes on. Only looked for
 * here: it is ours, and opening it (8 MB) in this thread too would only cost memory.
 */
function usableBundledGeoip(): string | undefined {
  const path = bundledGeoipPath();
  try {
    if (Deno.statSync(path).isFile) return path;
  } catch {
    // reported below
  }
  console.error(
    `netwatch: the built-in country database is missing (${path}): run "npx deno install" ` +
      "in the source tree to fetch it, or give --geoip FILE; places are unknown meanwhile",
  );
  return undefined;
}

/** Runs the server until SIGINT or SIGTERM. Returns the exit code. */
export async function serveCommand(args: ServeArgs): Promise<number> {
  const token = resolveToken(args);
  const { host, port } = args.listen;
  if (!isLoopback(host) && token === undefined && !args.insecureNoAuth) {
    console.error(
      `netwatch: refusing to serve on ${host}:${port} without a token: set --token, ` +
        `--token-file or NETWATCH_TOKEN, or pass --insecure-no-auth`,
    );
    return 2;
  }
  const source = sourceOf(args);
  let exportArgs;
  try {
    exportArgs = resolvePasswordFiles(args.export);
    // Opened here only to check them: each capture worker opens its own copy.
    if (args.geoip.length > 0) GeoIp.open(args.geoip);
  } catch (error) {
    console.error(`netwatch: ${(error as Error).message}`);
    return 2;
  }
  const geoip = args.geoip.map((path) => resolve(path));
  const bundled = args.bundledGeoip ? usableBundledGeoip() : undefined;
  if (bundled) geoip.push(bundled);
  const history = await openHistory(args);
  let monitor: Monitor;
  try {
    monitor = await Monitor.start(source, args.flows, {
      workers: args.workers ?? defaultWorkers(),
      export: exportArgs,
      geoip,
      history: history &&
        { port: () => history.writerPort(), idBase: history.status().max_flow_id },
    });
  } catch (error) {
    await history?.close();
    throw error;
  }
  const guard = new ConnectionGuard({ maxConnections: connectionCap(args.maxConnections) });
  const wildcard = host === "0.0.0.0" || host === "::";
  const hostPolicy = new HostPolicy({
    listenHost: host,
    allowedHosts: args.allowedHosts,
    localAddresses: wildcard ? localAddresses() : [],
  });
  const app = createApp({
    monitor,
    version: config.version,
    credits: bundled ? [BUNDLED_GEOIP_CREDIT] : [],
    token,
    listInterfaces,
    history,
    exportStatus: () => monitor.exportStatus,
    historyDropped: () => monitor.historyDropped,
    connections: guard,
    hostPolicy,
    cookieSecure: args.cookieSecure,
    loginRate: args.loginRate,
    streamLimits: args.maxStreamConnections === undefined
      ? {}
      : { maxConnections: args.maxStreamConnections },
  });
  let server;
  try {
    server = await serveApp(app, host, port, { guard });
  } catch (error) {
    await monitor.stop();
    await history?.close();
    monitor.close();
    app.close();
    console.error(`netwatch: cannot listen on ${host}:${port}${listenHint(error)}`);
    return 1;
  }
  const shown = server.hostname.includes(":") ? `[${server.hostname}]` : server.hostname;
  const what = source.kind === "file"
    ? `replaying "${source.path}"`
    : `capturing on "${source.device}"`;
  console.error(
    `netwatch: serving http://${shown}:${server.port}/ (${what}` +
      `${token === undefined ? "" : ", token required"})`,
  );
  if (args.export.destinations.length > 0) {
    const to = monitor.exportStatus.map((s) => s.destination).join(", ");
    console.error(`netwatch: exporting flows to ${to}`);
  }
  if (wildcard || args.allowedHosts.length) {
    console.error(`netwatch: answering Host names ${hostPolicy.names.join(", ")}`);
  }
  const watch = watchCapture(monitor, source);

  let stop = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, stop);
  await stopped;
  clearInterval(watch);
  // Stopping also exports every active flow as ended ("forced"), drains the export queues and
  // writes the current minute to history; then the history store commits and closes.
  await monitor.stop();
  await history?.close();
  await server.shutdown();
  monitor.close();
  // Only now: Ctrl-C under `npm start` brings SIGINT twice (from the terminal and forwarded by
  // npm), and a second one without a listener would kill the process mid-shutdown.
  for (const signal of signals) Deno.removeSignalListener(signal, stop);
  return 0;
}

/** What serve captures from: --read FILE, or -i IFACE (default: the default route's). */
function sourceOf(args: ServeArgs): SourceOptions {
  if (args.read !== undefined) {
    return {
      kind: "file",
      path: args.read,
      filter: args.filter,
      speed: args.speed,
      rebaseTime: true, // the monitor runs timeouts on the wall clock
    };
  }
  return {
    kind: "interface",
    device: args.interface ?? defaultInterface(),
    filter: args.filter,
    snaplen: args.snaplen,
    bufferBytes: args.bufferBytes,
    promiscuous: args.promiscuous,
    immediate: args.immediate,
  };
}

/** Why listening failed, for "cannot listen on HOST:PORT": what to do about it where we know. */
function listenHint(error: unknown): string {
  if (error instanceof Deno.errors.AddrInUse) {
    return ": another program (another Netwatch?) has it; stop it or pick another --listen HOST:PORT";
  }
  if (error instanceof Deno.errors.AddrNotAvailable) {
    return ": no interface of this machine has that address; see --listen in --help";
  }
  return `: ${(error as Error).message}`;
}

/**
 * Says when the capture stops and resumes. A capture that fails later (interface gone) keeps
 * the server up: /health reports it, and a live one is reopened every 2 s. Each change is said
 * once: stopped, then resumed. Returns the timer to clear at shutdown.
 */
function watchCapture(monitor: Monitor, source: SourceOptions): ReturnType<typeof setInterval> {
  let down = false;
  const watch = setInterval(() => {
    if (!down && monitor.state === "error" && monitor.error) {
      down = true;
      const retry = source.kind === "interface" ? " (retrying every 2 s)" : "";
      console.error(`netwatch: capture stopped: ${monitor.error.message}${retry}`);
      if (source.kind !== "interface") clearInterval(watch);
    } else if (down && monitor.state === "running") {
      down = false;
      console.error(
        `netwatch: capture resumed on ${source.kind === "interface" ? source.device : "the file"}`,
      );
    }
  }, 500);
  return watch;
}

/**
 * The history store of --data-dir (or the default directory), or undefined with --no-history
 * or when no directory can be found. A store that cannot be opened says so in one line and
 * Netwatch goes on memory-only (HistoryClient never throws).
 */
async function openHistory(args: ServeArgs): Promise<HistoryClient | undefined> {
  if (!args.history.enabled) return undefined;
  const dir = args.history.dataDir ?? defaultDataDir((n) => Deno.env.get(n), Deno.uid());
  if (dir === undefined) {
    console.error(
      "netwatch: history is off: no data directory (set --data-dir DIR, or --no-history)",
    );
    return undefined;
  }
  return await HistoryClient.open({
    path: join(dir, DATABASE_FILE),
    capBytes: args.history.capBytes,
    maxAgeSec: args.history.maxAgeSec,
    warn: (line) => console.error(`netwatch: ${line}`),
  });
}

/**
 * Capture workers for live capture: half the cores, at most 8. Each worker is a capture and
 * engine thread that can use a core; the other half is left for the kernel's receive path,
 * the HTTP thread and the rest of the machine.
 */
export function defaultWorkers(): number {
  const cores = navigator.hardwareConcurrency || 1;
  return Math.min(8, Math.max(1, Math.floor(cores / 2)));
}

/**
 * The connection cap: --max-connections (default 1024), held below the open-file limit with a
 * reserve for everything else the process opens, so the server never meets EMFILE.
 */
function connectionCap(asked: number | undefined): number {
  let limit: number;
  try {
    limit = raiseFileLimit().soft;
  } catch (error) {
    limit = 1024;
    console.error(`netwatch: assuming an open-file limit of ${limit}: ${(error as Error).message}`);
  }
  const room = Math.max(8, limit - descriptorReserve(limit));
  const wanted = asked ?? DEFAULT_MAX_CONNECTIONS;
  if (asked !== undefined && asked > room) {
    console.error(
      `netwatch: serving at most ${room} connections, not ${wanted}: the open-file limit is ` +
        `${limit} (raise it with LimitNOFILE= or ulimit -n)`,
    );
  }
  return Math.min(wanted, room);
}

/** The machine's addresses, read once at start: the Host names a wildcard --listen answers. */
function localAddresses(): string[] {
  try {
    return Deno.networkInterfaces().map((i) => i.address.replace(/%.*$/, ""));
  } catch {
    return [];
  }
}
