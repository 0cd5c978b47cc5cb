// Two test hosts in network namespaces joined by a veth pair, made and torn down by a test.
//
// Traffic only ever flows between these namespaces: they have no route anywhere else and do not
// forward. Needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN) and iproute2.

/** One end of the pair: a namespace, its veth interface and addresses. */
export interface TestHost {
  ns: string;
  dev: string;
  ipv4: string;
  ipv6: string;
}

export interface TestLink {
  a: TestHost;
  b: TestHost;
  /** Runs a command in a host's namespace and returns its output; throws if it fails. */
  run(host: TestHost, command: string[]): Promise<string>;
  /** Starts a command in a host's namespace. */
  spawn(host: TestHost, command: string[], options?: Deno.CommandOptions): Deno.ChildProcess;
  /** Deletes the veth pair, as if the device were removed. */
  disconnect(): Promise<void>;
  /** (Re)creates the veth pair with the same names and addresses, up. */
  connect(): Promise<void>;
  /** Deletes both namespaces (and so the veth pair). Safe to call twice. */
  destroy(): Promise<void>;
}

/** Throws with a clear reason when this machine cannot make test namespaces. */
export async function requireNamespaces(): Promise<void> {
  if (Deno.uid() !== 0) {
    throw new Error(
      "live capture tests need root to create network namespaces (ip netns): run them as root, " +
        "as CI does",
    );
  }
  await requireCommands(["ip"]);
}

/** Throws naming the Debian package when a command is missing. */
export async function requireCommands(names: string[]): Promise<void> {
  const packages: Record<string, string> = {
    ip: "iproute2",
    ping: "iputils-ping",
    tshark: "tshark",
    tcpreplay: "tcpreplay",
    curl: "curl",
    iperf3: "iperf3",
    trafgen: "netsniff-ng",
    setpriv: "util-linux",
    "systemd-analyze": "systemd",
  };
  for (const name of names) {
    const found = await new Deno.Command("sh", { args: ["-c", `command -v ${name}`] }).output();
    if (!found.success) {
      throw new Error(`"${name}" is missing: apt-get install ${packages[name] ?? name}`);
    }
  }
}

export async function sh(command: string[]): Promise<string> {
  const out = await new Deno.Command(command[0], {
    args: command.slice(1),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  if (!out.success) {
    throw new Error(`${command.join(" ")} failed (${out.code}): ${text.decode(out.stderr).trim()}`);
  }
  return text.decode(out.stdout);
}

/**
 * Creates namespaces `nwA<id>` and `nwB<id>` joined by veth, with 10.213.<n>.1/.2 and
 * fd00:213:<n>::1/::2. IPv6 router solicitation and DAD are off and the links are left to
 * settle, so that nothing but the test's own traffic crosses them afterwards.
 */
export async function createTestLink(): Promise<TestLink> {
  await requireNamespaces();
  const id = `${Deno.pid % 100000}${Math.floor(Math.random() * 100)}`;
  const n = Number(id) % 250;
  const a: TestHost = {
    ns: `nwA${id}`,
    dev: `nwa${id}`,
    ipv4: `10.213.${n}.1`,
    ipv6: `fd00:213:${n}::1`,
  };
  const b: TestHost = {
    ns: `nwB${id}`,
    dev: `nwb${id}`,
    ipv4: `10.213.${n}.2`,
    ipv6: `fd00:213:${n}::2`,
  };
  let destroyed = false;
  const link: TestLink = {
    a,
    b,
    run: (host, command) => sh(["ip", "netns", "exec", host.ns, ...command]),
    spawn: (host, command, options = {}) =>
      new Deno.Command("ip", { args: ["netns", "exec", host.ns, ...command], ...options }).spawn(),
    async disconnect() {
      await sh(["ip", "-n", a.ns, "link", "del", a.dev]);
    },
    async connect() {
      await sh([
        "ip",
        "link",
        "add",
        a.dev,
        "netns",
        a.ns,
        "type",
        "veth",
        "peer",
        b.dev,
        "netns",
        b.ns,
      ]);
      for (const host of [a, b]) {
        await link.run(host, ["ip", "addr", "add", `${host.ipv4}/24`, "dev", host.dev]);
        await link.run(host, [
          "ip",
          "-6",
          "addr",
          "add",
          `${host.ipv6}/64`,
          "dev",
          host.dev,
          "nodad",
        ]);
        await link.run(host, ["ip", "link", "set", host.dev, "up"]);
      }
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      for (const host of [a, b]) {
        // Anything still running inside (a tool's forked worker, say) would keep sending and
        // keep the namespace alive after `ip netns del`: end it first.
        const pids = await sh(["ip", "netns", "pids", host.ns]).catch(() => "");
        for (const pid of pids.split("\n").filter(Boolean)) {
          try {
            Deno.kill(Number(pid), "SIGKILL");
          } catch {
            // already gone
          }
        }
        await sh(["ip", "netns", "del", host.ns]).catch(() => {});
      }
    },
  };
  try {
    for (const host of [a, b]) {
      await sh(["ip", "netns", "add", host.ns]);
      for (const key of ["all", "default"]) {
        await link.run(host, ["sysctl", "-qw", `net.ipv6.conf.${key}.router_solicitations=0`]);
        await link.run(host, ["sysctl", "-qw", `net.ipv6.conf.${key}.accept_dad=0`]);
        await link.run(host, ["sysctl", "-qw", `net.ipv6.conf.${key}.accept_ra=0`]);
      }
    }
    for (const host of [a, b]) await link.run(host, ["ip", "link", "set", "lo", "up"]);
    await link.connect();
    // Let the link-up chatter (MLD reports) finish before anyone starts counting.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    return link;
  } catch (error) {
    await link.destroy();
    throw error;
  }
}

/** Reads a child's stream until a line matches `pattern`; rejects after `timeoutMs`. */
export async function waitForLine(
  stream: ReadableStream<Uint8Array>,
  pattern: RegExp,
  timeoutMs: number,
  what: string,
): Promise<{ line: string; rest: Promise<string> }> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  const deadline = setTimeout(() => reader.cancel(), timeoutMs);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        throw new Error(`${what} did not say ${pattern} within ${timeoutMs} ms: ${buffered}`);
      }
      buffered += decoder.decode(value, { stream: true });
      const line = buffered.split("\n").find((l) => pattern.test(l));
      if (line) {
        clearTimeout(deadline);
        // Keep draining, so the child never blocks on a full pipe; hand back what follows.
        const rest = (async () => {
          let tail = buffered;
          for (;;) {
            const next = await reader.read();
            if (next.done) return tail;
            tail += decoder.decode(next.value, { stream: true });
          }
        })();
        return { line, rest };
      }
    }
  } catch (error) {
    clearTimeout(deadline);
    throw error;
  }
}
