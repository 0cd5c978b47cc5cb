// Parses --export URLs into destination settings; errors name the URL (without its password).
//
//   ipfix://HOST[:PORT][?domain=N&pen=N&ifindex=N&mtu=BYTES&queue=N]  IPFIX over UDP (4739)
//   ipfix+tcp://HOST[:PORT][?domain=N&pen=N&ifindex=N&queue=N]         IPFIX over TCP
//   clickhouse+http://[USER[:PASSWORD]@]HOST[:PORT]/DATABASE[?password_file=F&exporter=NAME&queue=N]
//   clickhouse+https://...                                         the same over TLS (port 8443)

import { IDENTIFIER } from "./clickhouse_schema.ts";
import type { ExportKind } from "./types.ts";

/** Settings of one IPFIX destination. */
export interface IpfixDestinationConfig {
  kind: "ipfix" | "ipfix+tcp";
  /** The URL as shown in /stats. */
  name: string;
  host: string;
  port: number;
  observationDomainId: number;
  /** The operator's PEN for enterprise elements, or 0. */
  pen: number;
  /** Largest message (UDP), or undefined for the transport's default. */
  maxMessageBytes?: number;
  /** ingressInterface to send (default: the captured interface's index). */
  ingressInterface?: number;
  queueCapacity?: number;
}

/** Settings of one ClickHouse destination. */
export interface ClickHouseDestinationConfig {
  kind: "clickhouse";
  name: string;
  /** "http://host:port/" or https. */
  endpoint: string;
  database: string;
  user?: string;
  password?: string;
  passwordFile?: string;
  /** Overrides this host's name in the `exporter` column. */
  exporter?: string;
  queueCapacity?: number;
}

export type DestinationConfig = IpfixDestinationConfig | ClickHouseDestinationConfig;

const SCHEMES: Record<string, ExportKind> = {
  "ipfix:": "ipfix",
  "ipfix+udp:": "ipfix",
  "ipfix+tcp:": "ipfix+tcp",
  "clickhouse+http:": "clickhouse",
  "clickhouse+https:": "clickhouse",
};
const IPFIX_PARAMS = ["domain", "pen", "ifindex", "mtu", "queue"];
const IPFIX_TCP_PARAMS = ["domain", "pen", "ifindex", "queue"];
const CLICKHOUSE_PARAMS = ["password_file", "exporter", "queue"];
/** Most records one destination's queue may hold (about 1 KiB each in memory). */
export const MAX_QUEUE = 10_000_000;

/** The URL with any password replaced by "***", for messages and /stats. */
export function redactUrl(text: string): string {
  return text.replace(/^([a-z+]+:\/\/[^:@/]*):[^@/]*@/i, "$1:***@");
}

/** Parses one --export value; throws TypeError naming the URL and what is wrong with it. */
export function parseExportUrl(text: string): DestinationConfig {
  const shown = redactUrl(text);
  const fail = (why: string): never => {
    throw new TypeError(`Invalid --export "${shown}": ${why}`);
  };
  const port = /^[a-z+]+:\/\/(?:[^@/]*@)?(?:\[[^\]]*\]|[^:/?#\[]*):(\d+)/i.exec(text)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
    fail(`port ${port} is not in 1-65535`);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail(
      "expected ipfix://HOST:PORT, ipfix+tcp://HOST:PORT or " +
        "clickhouse+http://[USER[:PASSWORD]@]HOST:8123/DATABASE",
    );
  }
  const kind = SCHEMES[url.protocol];
  if (!kind) {
    fail(`unknown scheme "${url.protocol}": use ipfix:, ipfix+tcp:, clickhouse+http: or https:`);
  }
  if (url.hostname === "") fail("no host");
  if (url.hash) fail("no #fragment allowed");
  const accepted = kind === "clickhouse"
    ? CLICKHOUSE_PARAMS
    : kind === "ipfix"
    ? IPFIX_PARAMS
    : IPFIX_TCP_PARAMS;
  for (const key of url.searchParams.keys()) {
    if (!accepted.includes(key)) {
      fail(`unknown parameter "${key}" (accepted: ${accepted.join(", ")})`);
    }
  }
  const number = (key: string, min: number, max: number): number | undefined => {
    const value = url.searchParams.get(key);
    if (value === null) return undefined;
    const n = Number(value);
    if (value.trim() === "" || !Number.isInteger(n) || n < min || n > max) {
      fail(`${key}=${value} is not a whole number in ${min}-${max}`);
    }
    return n;
  };
  const queueCapacity = number("queue", 1, MAX_QUEUE);
  const secure = url.protocol === "clickhouse+https:";
  const portNumber = url.port === ""
    ? (kind === "clickhouse" ? (secure ? 8443 : 8123) : 4739)
    : Number(url.port);
  if (kind !== "clickhouse") {
    if (url.username || url.password) fail("IPFIX takes no user or password");
    if (url.pathname !== "" && url.pathname !== "/") fail("IPFIX takes no path");
    return {
      kind,
      name: shown,
      host: url.hostname,
      port: portNumber,
      observationDomainId: number("domain", 0, 0xffffffff) ?? 1,
      pen: number("pen", 1, 0xffffffff) ?? 0,
      maxMessageBytes: number("mtu", 512, 65535),
      ingressInterface: number("ifindex", 0, 0xffffffff),
      queueCapacity,
    };
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, "").replace(/\/$/, ""));
  if (database === "") fail("no database: add /DATABASE, e.g. /netwatch");
  if (!IDENTIFIER.test(database)) fail(`database "${database}" is not [A-Za-z_][A-Za-z0-9_]*`);
  const passwordFile = url.searchParams.get("password_file") ?? undefined;
  if (passwordFile !== undefined && url.password) {
    fail("give the password in the URL or in password_file, not both");
  }
  const exporter = url.searchParams.get("exporter") ?? undefined;
  if (exporter === "") fail("exporter= is empty");
  return {
    kind,
    name: shown,
    endpoint: `${secure ? "https" : "http"}://${url.hostname}:${portNumber}/`,
    database,
    user: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    passwordFile,
    exporter,
    queueCapacity,
  };
}

/** The export settings of `serve`, from its --export* options. */
export interface ExportArgs {
  destinations: DestinationConfig[];
  biflow: boolean;
  retentionDays?: number;
  passwordFile?: string;
}

/**
 * Checks the --export* options together: URLs parse, and each option applies to a
 * destination given. Throws TypeError with the message for the user.
 */
export function parseExportArgs(options: {
  export?: string[];
  "export-biflow"?: boolean;
  "export-retention"?: string;
  "export-password-file"?: string;
}): ExportArgs {
  const destinations = (options.export ?? []).map(parseExportUrl);
  const has = (kind: "ipfix" | "clickhouse") =>
    destinations.some((d) => (kind === "clickhouse") === (d.kind === "clickhouse"));
  const biflow = options["export-biflow"] === true;
  if (biflow && !has("ipfix")) {
    throw new TypeError("--export-biflow applies to ipfix:// and ipfix+tcp:// destinations only");
  }
  const retention = options["export-retention"];
  let retentionDays: number | undefined;
  if (retention !== undefined) {
    retentionDays = Number(retention);
    if (retention.trim() === "" || !Number.isInteger(retentionDays) || retentionDays < 1) {
      throw new TypeError(`Invalid --export-retention "${retention}": expected whole days, >= 1`);
    }
    if (!has("clickhouse")) {
      throw new TypeError("--export-retention applies to clickhouse+http:// destinations only");
    }
  }
  const passwordFile = options["export-password-file"];
  if (passwordFile !== undefined && !has("clickhouse")) {
    throw new TypeError("--export-password-file applies to clickhouse+http:// destinations only");
  }
  return { destinations, biflow, retentionDays, passwordFile };
}
