// The Deno adapter: serves a NetwatchApp with Deno.serve and shuts it down cleanly.

import type { NetwatchApp } from "./app.ts";

/** A running HTTP server. */
export interface RunningServer {
  /** The bound address (the real port when 0 was asked for). */
  hostname: string;
  port: number;
  /** Closes streams (1001), stops accepting, waits for requests in flight. Safe to call twice. */
  shutdown(): Promise<void>;
}

/** Serves `app` on `hostname`:`port`. Rejects when the address cannot be bound. */
export function serveApp(app: NetwatchApp, hostname: string, port: number): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    let server: Deno.HttpServer<Deno.NetAddr>;
    try {
      server = Deno.serve({
        hostname,
        port,
        onListen: (addr) => {
          let stopping: Promise<void> | undefined;
          resolve({
            hostname: addr.hostname,
            port: addr.port,
            shutdown() {
              stopping ??= (async () => {
                app.close();
                await server.shutdown();
              })();
              return stopping;
            },
          });
        },
      }, (request) => app.fetch(request));
    } catch (error) {
      reject(error);
    }
  });
}
