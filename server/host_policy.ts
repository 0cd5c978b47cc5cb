// Which Host and Origin values the server answers: its own names only, against DNS rebinding
// and cross-site WebSocket hijacking.
//
// A rebinding page reaches the server under the attacker's name, so the Host it sends is that
// name: only the machine's own names and addresses (and --allowed-host names, for a reverse
// proxy) are answered. Ports are not compared for Host (an SSH tunnel may use any local port,
// and rebinding needs a foreign name, not a foreign port). A browser's WebSocket carries the
// page's Origin; it must be the very origin the request was sent to (scheme-less host and port
// equal to Host), or an --allowed-host name: another port of 127.0.0.1 is another site.

/** What the policy is built from. */
export interface HostPolicyOptions {
  /** The --listen host ("0.0.0.0" and "::" mean every address of the machine). */
  listenHost: string;
  /** --allowed-host values, lower case, each NAME or NAME:PORT. */
  allowedHosts?: string[];
  /** The machine's interface addresses (used when listening on every address). */
  localAddresses?: string[];
}

/** Host and Origin checks of one server. */
export class HostPolicy {
  /** Host names (no port), lower case, IPv6 without brackets. */
  readonly #names = new Set<string>(["localhost", "127.0.0.1", "::1"]);
  /** --allowed-host entries: bare names match any port, NAME:PORT only that port. */
  readonly #proxyNames = new Set<string>();
  readonly #proxyHostPorts = new Set<string>();

  constructor(options: HostPolicyOptions) {
    const listen = bare(options.listenHost.toLowerCase());
    // On a wildcard the machine's own addresses are its names; the wildcard itself too (the
    // "serving" line shows it, and no page of another site can make a browser send it).
    if (listen === "0.0.0.0" || listen === "::") {
      for (const address of options.localAddresses ?? []) this.#names.add(bare(address));
    }
    this.#names.add(listen);
    for (const entry of options.allowedHosts ?? []) {
      const { name, port } = splitHost(entry.toLowerCase());
      if (port === undefined) this.#proxyNames.add(name);
      else this.#proxyHostPorts.add(`${name}:${port}`);
    }
  }

  /** The names answered, for the startup line and the docs. */
  get names(): string[] {
    return [...this.#names, ...this.#proxyNames, ...this.#proxyHostPorts];
  }

  /** True when a request with this Host may be answered (none: not a browser, allowed). */
  hostAllowed(host: string | undefined): boolean {
    if (host === undefined || host === "") return host === undefined;
    const { name, port } = splitHost(host.toLowerCase());
    if (this.#names.has(name) || name.endsWith(".localhost")) return true;
    return this.#isProxy(name, port);
  }

  /** True when this Host came through an --allowed-host name (a reverse proxy). */
  viaProxy(host: string | undefined): boolean {
    if (!host) return false;
    const { name, port } = splitHost(host.toLowerCase());
    return this.#isProxy(name, port);
  }

  /**
   * True when a browser page of `origin` may use a request sent to `host`: the same origin,
   * http or https, or an --allowed-host name. No Origin (not a browser) is allowed.
   */
  originAllowed(origin: string | undefined, host: string | undefined): boolean {
    if (origin === undefined) return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // "null" (sandboxed frames, files) and garbage
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return false;
    if (url.pathname !== "/" || url.search || url.username) return false;
    const name = bare(url.hostname);
    const port = url.port || (url.protocol === "https:" ? "443" : "80");
    if (this.#isProxy(name, port)) return true;
    if (!host || !this.hostAllowed(host)) return false;
    const target = splitHost(host.toLowerCase());
    return target.name === name && (target.port ?? "80") === port;
  }

  #isProxy(name: string, port: string | undefined): boolean {
    return this.#proxyNames.has(name) ||
      (port !== undefined && this.#proxyHostPorts.has(`${name}:${port}`));
  }
}

/** "name:port", "[v6]:port", "name" or "[v6]" into name (no brackets) and port. */
function splitHost(host: string): { name: string; port?: string } {
  const match = /^(?:\[([^\]]*)\]|([^:]*))(?::(\d*))?$/.exec(host);
  if (!match) return { name: host }; // a bare IPv6 address, or junk that matches nothing
  return { name: match[1] ?? match[2], port: match[3] || undefined };
}

/** An address without IPv6 brackets. */
function bare(address: string): string {
  return address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
}
