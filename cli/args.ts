// Command-line parsing: the commands and which options each takes.

import { parseArgs } from "node:util";
import { type ExportArgs, parseExportArgs } from "../export/export_url.ts";
import type { FlowConfig } from "../flows/flow_config.ts";
import { DEFAULT_CAP_BYTES, MIN_CAP_BYTES } from "../history/retention.ts";
import { formatBytes, parseAge, parseSize } from "../history/size_units.ts";
import { machineMemory, tableSizeProblem } from "./memory_bound.ts";
import {
  boundedInteger,
  bufferSize,
  type Format,
  MAX_SNAPLEN,
  onceEach,
  parseAllowedHost,
  parseFormat,
  parseListen,
  parseSpeed,
  positive,
  positiveInteger,
} from "./arg_values.ts";
import { appliesTo, type Command, COMMANDS, MULTIPLE, OPTIONS } from "./options.ts";
import { UsageError } from "./usage.ts";

export { type Format, parseListen } from "./arg_values.ts";
export { USAGE, UsageError } from "./usage.ts";

export interface CaptureArgs {
  command: "capture";
  interface?: string;
  filter?: string;
  durationSec?: number;
  count?: number;
  snaplen?: number;
  bufferBytes?: number;
  promiscuous: boolean;
  immediate: boolean;
  quiet: boolean;
  format: Format;
}

/** Default --listen: loopback only, port 7500. */
export interface ServeArgs {
  command: "serve";
  interface?: string;
  filter?: string;
  /** Replay this file instead of capturing live. */
  read?: string;
  /** Replay speed; Infinity for "max". */
  speed: number;
  listen: { host: string; port: number };
  /** From --token; the command also reads --token-file and NETWATCH_TOKEN. */
  token?: string;
  tokenFile?: string;
  insecureNoAuth: boolean;
  /** Open WebSocket streams at most (default: the hub's, 256). */
  maxStreamConnections?: number;
  /** Live capture workers (PACKET_FANOUT); unset: chosen from the core count. */
  workers?: number;
  /** Open HTTP connections at most (default: 1024, below the open-file limit). */
  maxConnections?: number;
  /** Host names accepted besides the listen address and localhost (--allowed-host). */
  allowedHosts: string[];
  /** Mark the login cookie Secure. */
  cookieSecure: boolean;
  /** Wrong tokens a second per address before 429s (undefined: default; 0: off). */
  loginRate?: number;
  /** Flow engine limits and timeouts; unset ones keep the engine's defaults. */
  flows: Partial<FlowConfig>;
  snaplen?: number;
  bufferBytes?: number;
  promiscuous: boolean;
  immediate: boolean;
  /** Flow export destinations and settings (--export*). */
  export: ExportArgs;
  /** --geoip databases, in order (the first that knows a field wins). */
  geoip: string[];
  /** Use the built-in country database after the --geoip ones (false with --no-geoip). */
  bundledGeoip: boolean;
  /** On-disk history: where, how big, how old. */
  history: HistoryArgs;
}

/** The history options of `serve`. */
export interface HistoryArgs {
  /** False with --no-history: memory only. */
  enabled: boolean;
  /** --data-dir; undefined: the default (history/data_dir.ts defaultDataDir()). */
  dataDir?: string;
  /** --retention-size in bytes. */
  capBytes: number;
  /** --retention in seconds; undefined: no age limit, only the size. */
  maxAgeSec?: number;
}

export interface ReportArgs {
  command: "report";
  file: string;
  filter?: string;
  /** List flow records in the report. */
  flows: boolean;
  format: Format;
}

export interface InterfacesArgs {
  command: "interfaces";
  format: Format;
}

export type Args =
  | ServeArgs
  | CaptureArgs
  | ReportArgs
  | InterfacesArgs
  | { command: "help" }
  | { command: "version" };

/** Parses `argv` (without the program name). Throws UsageError on anything it cannot accept. */
export function parseCommandLine(argv: string[]): Args {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      tokens: true,
      options: OPTIONS,
    });
  } catch (error) {
    throw new UsageError(parseErrorLine(error));
  }
  const { values, positionals } = parsed;
  onceEach(parsed.tokens, MULTIPLE);
  if (values.help) return { command: "help" };
  if (values.version) return { command: "version" };
  const [command = "serve", ...rest] = positionals;
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(`Unknown command "${command}": expected one of ${COMMANDS.join(", ")}`);
  }
  for (const key of Object.keys(values)) {
    if (!appliesTo(key, command as Command)) {
      throw new UsageError(`Option --${key} does not apply to "${command}"`);
    }
  }
  const format = parseFormat(values.format);
  switch (command) {
    case "report": {
      if (rest.length !== 1) throw new UsageError(`"report" takes one FILE, got ${rest.length}`);
      return {
        command,
        file: rest[0],
        filter: values.filter,
        flows: values.flows === true,
        format,
      };
    }
    case "serve":
      if (rest.length) throw new UsageError(`"serve" takes no arguments, got "${rest[0]}"`);
      return serveArgs(values);
    case "interfaces":
      if (rest.length) throw new UsageError(`"interfaces" takes no arguments, got "${rest[0]}"`);
      return { command, format };
    default: {
      if (rest.length) throw new UsageError(`"capture" takes no arguments, got "${rest[0]}"`);
      const bufferMib = bufferSize(values["buffer-size"]);
      return {
        command: "capture",
        interface: values.interface,
        filter: values.filter,
        durationSec: positive("duration", values.duration),
        count: positiveInteger("count", values.count),
        snaplen: boundedInteger("snaplen", values.snaplen, 1, MAX_SNAPLEN),
        bufferBytes: bufferMib === undefined ? undefined : Math.round(bufferMib * 1048576),
        promiscuous: !values["no-promisc"],
        immediate: values.immediate === true,
        quiet: values.quiet === true,
        format,
      };
    }
  }
}

/** The option values parseArgs gives for OPTIONS. */
type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; tokens: true }>>["values"];

/** `serve`'s options, checked together where they exclude each other. */
function serveArgs(values: Values): ServeArgs {
  if (values.read !== undefined && values.interface !== undefined) {
    throw new UsageError("Give either -i IFACE or --read FILE, not both");
  }
  if (values.speed !== undefined && values.read === undefined) {
    throw new UsageError("--speed applies to --read FILE only");
  }
  if (values.token !== undefined && values["token-file"] !== undefined) {
    throw new UsageError("Give either --token or --token-file, not both");
  }
  if (values.token === "") throw new UsageError("--token is empty");
  if (values.geoip !== undefined && values["no-geoip"]) {
    throw new UsageError("Give either --geoip FILE or --no-geoip, not both");
  }
  if (values.workers !== undefined && values.read !== undefined) {
    throw new UsageError("--workers applies to live capture only (a file is read by one)");
  }
  const bufferMib = bufferSize(values["buffer-size"]);
  return {
    command: "serve",
    interface: values.interface,
    filter: values.filter,
    read: values.read,
    speed: parseSpeed(values.speed),
    listen: parseListen(values.listen),
    token: values.token,
    tokenFile: values["token-file"],
    insecureNoAuth: values["insecure-no-auth"] === true,
    flows: flowLimits(values),
    maxStreamConnections: positiveInteger(
      "max-stream-connections",
      values["max-stream-connections"],
    ),
    workers: boundedInteger("workers", values.workers, 1, 64),
    maxConnections: positiveInteger("max-connections", values["max-connections"]),
    allowedHosts: (values["allowed-host"] ?? []).map(parseAllowedHost),
    cookieSecure: values["cookie-secure"] === true,
    loginRate: values["login-rate"] === "0" ? 0 : positive("login-rate", values["login-rate"]),
    snaplen: boundedInteger("snaplen", values.snaplen, 1, MAX_SNAPLEN),
    bufferBytes: bufferMib === undefined ? undefined : Math.round(bufferMib * 1048576),
    promiscuous: !values["no-promisc"],
    immediate: values.immediate === true,
    export: exportArgs(values),
    geoip: values.geoip ?? [],
    bundledGeoip: !values["no-geoip"],
    history: historyArgs(values),
  };
}

/** The --export* options, checked together (bad URLs are usage errors naming the URL). */
function exportArgs(values: Parameters<typeof parseExportArgs>[0]): ExportArgs {
  try {
    return parseExportArgs(values);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * node:util parseArgs errors are several lines long; users get one. Its messages quote the
 * option as declared ("'-i, --interface <value>'" or "'--read <value>'"), so the names are
 * taken from that quote: the long name, and the short one in brackets when there is one.
 */
function parseErrorLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  const quoted = /'(?:-(\w), )?(--?[^' ,]+)/.exec(message);
  const option = quoted?.[2];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option) return `Unknown option "${option}"`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option) {
    if (/does not take an argument/.test(message)) return `Option "${option}" takes no value`;
    const short = quoted?.[1] ? ` (-${quoted[1]})` : "";
    return `Option "${option}"${short} needs a value ` +
      `(write ${option}=VALUE for one starting with "-")`;
  }
  return message.split("\n")[0];
}

/** --timeouts keys and the flow config field each sets. */
const TIMEOUT_KEYS: Record<string, keyof FlowConfig> = {
  tcp: "tcpTimeoutSec",
  "tcp-closed": "tcpClosedTimeoutSec",
  udp: "udpTimeoutSec",
  icmp: "icmpTimeoutSec",
  other: "otherTimeoutSec",
  active: "activeTimeoutSec",
};

/** The flow engine options of `serve`: table sizes, history span and timeouts. */
function flowLimits(values: Record<string, unknown>): Partial<FlowConfig> {
  const get = (name: string) => values[name] as string | undefined;
  const limits: Partial<FlowConfig> = {};
  const maxFlows = positiveInteger("max-flows", get("max-flows"));
  if (maxFlows !== undefined) limits.maxActiveFlows = maxFlows;
  const maxHistory = positiveInteger("max-history", get("max-history"));
  if (maxHistory !== undefined) limits.maxHistoryRecords = maxHistory;
  const maxHosts = positiveInteger("max-hosts", get("max-hosts"));
  if (maxHosts !== undefined) limits.maxHosts = maxHosts;
  const minutes = positive("history-minutes", get("history-minutes"));
  if (minutes !== undefined) limits.historyRetentionSec = minutes * 60;
  const timeouts = get("timeouts");
  for (const pair of timeouts ? timeouts.split(",") : []) {
    const [key, value] = pair.split("=");
    const field = TIMEOUT_KEYS[key?.trim() ?? ""];
    if (!field || value === undefined) {
      throw new UsageError(
        `Invalid --timeouts "${pair}": expected KEY=SECONDS with KEY one of ` +
          Object.keys(TIMEOUT_KEYS).join(", "),
      );
    }
    limits[field] = positive(`timeouts ${key}`, value.trim()) as never;
  }
  const problem = tableSizeProblem(limits, machineMemory());
  if (problem) throw new UsageError(problem);
  return limits;
}

/** The history options of `serve`, checked. */
function historyArgs(values: Record<string, string | string[] | boolean | undefined>): HistoryArgs {
  const dataDir = values["data-dir"] as string | undefined;
  const size = values["retention-size"] as string | undefined;
  const age = values.retention as string | undefined;
  if (values["no-history"]) {
    const given = ["data-dir", "retention-size", "retention"].find((k) => values[k] !== undefined);
    if (given) throw new UsageError(`--${given} does not apply with --no-history`);
    return { enabled: false, capBytes: DEFAULT_CAP_BYTES };
  }
  if (dataDir !== undefined && dataDir.trim() === "") throw new UsageError("--data-dir is empty");
  let capBytes = DEFAULT_CAP_BYTES;
  if (size !== undefined) {
    try {
      capBytes = parseSize(size);
    } catch (error) {
      throw new UsageError(
        (error as Error).message.replace("Invalid size", "Invalid --retention-size"),
      );
    }
    if (capBytes < MIN_CAP_BYTES) {
      throw new UsageError(
        `Invalid --retention-size "${size}": expected at least ${formatBytes(MIN_CAP_BYTES)}`,
      );
    }
  }
  let maxAgeSec: number | undefined;
  if (age !== undefined) {
    try {
      maxAgeSec = parseAge(age);
    } catch (error) {
      throw new UsageError((error as Error).message.replace("Invalid age", "Invalid --retention"));
    }
    if (maxAgeSec < 3600) {
      throw new UsageError(`Invalid --retention "${age}": expected at least 1h`);
    }
  }
  return { enabled: true, dataDir, capBytes, maxAgeSec };
}
