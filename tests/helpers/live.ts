// Programs the live tests and the soak start inside test namespaces: Netwatch, tshark, a web
// server, and a client that reads Netwatch's API from inside the namespace it listens in.

import { cliCommand } from "./cli.ts";
import { type TestHost, type TestLink, waitForLine } from "./netns.ts";

/**
 * Starts `netwatch serve -i <host's veth>` on 127.0.0.1:`port` in the host's namespace, with
 * `extra` options (e.g. `--workers 2`); history in a fresh temporary directory unless `extra`
 * says otherwise.
 */
export async function startServeIn(
  link: TestLink,
  host: TestHost,
  port: number,
  extra: string[] = [],
): Promise<{ child: Deno.ChildProcess; rest: Promise<string> }> {
  const [program, ...lead] = cliCommand();
  const history = extra.some((a) => a === "--no-history" || a.startsWith("--data-dir"))
    ? []
    : ["--data-dir", Deno.makeTempDirSync({ prefix: "nwhist" })];
  const child = link.spawn(host, [
    program,
    ...lead,
    "serve",
    "-i",
    host.dev,
    "--listen",
    `127.0.0.1:${port}`,
    ...history,
    ...extra,
  ], { stdout: "null", stderr: "piped" });
  try {
    const ready = await waitForLine(child.stderr, /serving http/, 60_000, "netwatch serve");
    return { child, rest: ready.rest };
  } catch (error) {
    // Never leave a half-started server behind in the namespace.
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await child.status;
    throw error;
  }
}

/** Starts tshark writing every frame on the host's veth to `pcap`; resolves once it captures. */
export async function startTshark(
  link: TestLink,
  host: TestHost,
  pcap: string,
): Promise<Deno.ChildProcess> {
  const tshark = link.spawn(host, ["tshark", "-i", host.dev, "-F", "pcap", "-w", pcap, "-q"], {
    stdout: "null",
    stderr: "piped",
  });
  await waitForLine(tshark.stderr, /Capturing on/, 30_000, "tshark");
  return tshark;
}

/** Starts an HTTP server on the host's address, port 8080, answering every request with `bytes`. */
export async function startWebServer(
  link: TestLink,
  host: TestHost,
  bytes: number,
): Promise<Deno.ChildProcess> {
  const code = `Deno.serve({ hostname: "${host.ipv4}", port: 8080, onListen() {
    console.log("listening"); } }, () => new Response("x".repeat(${bytes})));`;
  const server = link.spawn(host, [Deno.execPath(), "eval", code], {
    stdout: "piped",
    stderr: "null",
  });
  await waitForLine(server.stdout, /listening/, 15_000, "the HTTP server");
  return server;
}

/** GETs `path` from Netwatch listening on 127.0.0.1:`port` in the host's namespace, as JSON. */
export async function getJsonIn<T>(
  link: TestLink,
  host: TestHost,
  port: number,
  path: string,
): Promise<T> {
  return JSON.parse(
    await link.run(host, ["curl", "-sS", "--fail", `http://127.0.0.1:${port}${path}`]),
  );
}
