// A throwaway ClickHouse server for tests: Debian's clickhouse-server started as a plain process
// with a temporary config (loopback only, free ports, a temporary data path) and a test user.
//
// What 18.16 needs in the config (from /etc/clickhouse-server/config.xml): the ports, the
// listen address, path, tmp_path, user_files_path, format_schema_path, the users file with
// profiles and quotas, default_profile and default_database; mark_cache_size is required.

import { protoNumber } from "../../flows/flow_record.ts";
import { addTo, oneWayKey, type Sum } from "./conversations.ts";
import { freePort } from "./serve.ts";

/** The test user's name and password (set in the generated users.xml). */
export const CLICKHOUSE_USER = "netwatch";
export const CLICKHOUSE_PASSWORD = "s3cret-for-tests";

/** A running test server. */
export interface ClickHouse {
  /** "http://127.0.0.1:PORT" */
  http: string;
  port: number;
  dir: string;
  /** Runs a statement as the test user; returns the answer's text; throws on an error. */
  query(sql: string): Promise<string>;
  /**
   * Stops the server and waits for it; the data stays for restart(). SIGTERM is a clean
   * shutdown (18.16 keeps answering for up to about 15 s while it winds down); SIGKILL is a
   * crash, at once.
   */
  stop(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** Starts it again on the same port and data. */
  restart(): Promise<void>;
  /** Stops it and removes its data. */
  destroy(): Promise<void>;
}

const SERVER = "/usr/sbin/clickhouse-server";

/** Starts a server; throws saying how to install it when the package is missing. */
export async function startClickHouse(): Promise<ClickHouse> {
  try {
    Deno.statSync(SERVER);
  } catch {
    throw new Error(`${SERVER} is needed for this test: apt-get install clickhouse-server`);
  }
  const dir = await Deno.makeTempDir({ prefix: "clickhouse-" });
  const port = freePort();
  const tcpPort = freePort();
  await Deno.writeTextFile(
    `${dir}/config.xml`,
    `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <http_port>${port}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/data/tmp/</tmp_path>
  <user_files_path>${dir}/data/user_files/</user_files_path>
  <format_schema_path>${dir}/data/format_schemas/</format_schema_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <timezone>UTC</timezone>
</yandex>
`,
  );
  await Deno.writeTextFile(
    `${dir}/users.xml`,
    `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>1000000000</max_memory_usage></default></profiles>
  <users>
    <${CLICKHOUSE_USER}>
      <password>${CLICKHOUSE_PASSWORD}</password>
      <networks><ip>127.0.0.1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </${CLICKHOUSE_USER}>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time>
  </interval></default></quotas>
</yandex>
`,
  );
  const http = `http://127.0.0.1:${port}`;
  const auth = "Basic " + btoa(`${CLICKHOUSE_USER}:${CLICKHOUSE_PASSWORD}`);
  let child: Deno.ChildProcess | undefined;
  let output: Promise<Deno.CommandOutput> | undefined;

  const launch = async () => {
    child = new Deno.Command(SERVER, {
      args: [`--config-file=${dir}/config.xml`],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    output = child.output();
    let exited = false;
    output.then(() => (exited = true));
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const answer = await fetch(`${http}/ping`);
        if ((await answer.text()).startsWith("Ok")) return;
      } catch {
        // not listening yet
      }
      if (exited || Date.now() > deadline) {
        child.kill("SIGKILL");
        const out = await output;
        throw new Error(
          `clickhouse-server did not start on ${port}: ${new TextDecoder().decode(out.stderr)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const stop = async (signal: "SIGTERM" | "SIGKILL" = "SIGTERM") => {
    if (!child) return;
    try {
      child.kill(signal);
    } catch {
      // exited already
    }
    const timer = setTimeout(() => child?.kill("SIGKILL"), 30_000);
    await output;
    clearTimeout(timer);
    child = undefined;
  };

  await launch();
  return {
    http,
    port,
    dir,
    async query(sql) {
      const answer = await fetch(`${http}/`, {
        method: "POST",
        body: sql,
        headers: { Authorization: auth },
      });
      const text = await answer.text();
      if (!answer.ok) throw new Error(`ClickHouse: ${sql}: ${text}`);
      return text;
    },
    stop,
    restart: launch,
    async destroy() {
      await stop("SIGKILL");
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/**
 * One-way packets and bytes per conversation of the flow rows `from` selects (a table, or a
 * subquery in parentheses), read back with SELECT sum(...).
 */
export async function storedSums(ch: ClickHouse, from: string): Promise<Map<string, Sum>> {
  const text = await ch.query(
    `SELECT proto, src_ip, src_port, dst_ip, dst_port, ifNull(vlan, 0) AS v,
       sum(packets_c2s) AS pc, sum(bytes_c2s) AS bc, sum(packets_s2c) AS ps, sum(bytes_s2c) AS bs
     FROM ${from}
     GROUP BY proto, src_ip, src_port, dst_ip, dst_port, v FORMAT JSONEachRow`,
  );
  const sums = new Map<string, Sum>();
  for (const line of text.split("\n").filter(Boolean)) {
    const r = JSON.parse(line);
    const proto = protoNumber(r.proto);
    const [sp, dp, vlan] = [Number(r.src_port), Number(r.dst_port), Number(r.v)];
    addTo(sums, oneWayKey(proto, r.src_ip, sp, r.dst_ip, dp, vlan), +r.pc, +r.bc);
    addTo(sums, oneWayKey(proto, r.dst_ip, dp, r.src_ip, sp, vlan), +r.ps, +r.bs);
  }
  return sums;
}
