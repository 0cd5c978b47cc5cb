// Values of command-line options, checked: each bad one is a UsageError naming its option.

import { MAX_SPEED, MIN_SPEED } from "../capture/replay_pacing.ts";
import { UsageError } from "./usage.ts";

/** --format. */
export type Format = "text" | "json";

/** Where serve listens unless --listen says otherwise. */
export const DEFAULT_LISTEN = { host: "127.0.0.1", port: 7500 };

/** "HOST:PORT", "[IPV6]:PORT" or ":PORT" (loopback); undefined: DEFAULT_LISTEN. */
export function parseListen(value: string | undefined): { host: string; port: number } {
  if (value === undefined) return { ...DEFAULT_LISTEN };
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\[\]]*)):(\d{1,5})$/.exec(value.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) {
    throw new UsageError(
      `Invalid --listen "${value}": expected HOST:PORT, e.g. 127.0.0.1:7500 or [::1]:7500`,
    );
  }
  return { host: match[1] ?? (match[2] || DEFAULT_LISTEN.host), port };
}

/** An --allowed-host value: a host name or address, with an optional :PORT; lower-cased. */
export function parseAllowedHost(value: string): string {
  const name = value.trim().toLowerCase();
  if (!/^(?:\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::\d{1,5})?$/.test(name)) {
    throw new UsageError(
      `Invalid --allowed-host "${value}": expected a host name or address, e.g. netwatch.example.org`,
    );
  }
  return name;
}

/**
 * A plain decimal number ("10", "0.5", "1e3"): Number() also takes " 1", "0x10", "0b1" and
 * "", which an option given by mistake should not turn into a value.
 */
const DECIMAL = /^[+]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** --speed: "max" (Infinity, the default) or a factor from MIN_SPEED to MAX_SPEED. */
export function parseSpeed(value: string | undefined): number {
  if (value === undefined || value === "max") return Infinity;
  const n = Number(value);
  if (!DECIMAL.test(value) || !(n >= MIN_SPEED && n <= MAX_SPEED)) {
    throw new UsageError(
      `Invalid --speed "${value}": expected max or a number from ${MIN_SPEED} to ${MAX_SPEED} ` +
        "(1 is real time)",
    );
  }
  return n;
}

/** --format: text (the default) or json. */
export function parseFormat(value: string | undefined): Format {
  if (value === undefined || value === "text" || value === "json") return value ?? "text";
  throw new UsageError(`Invalid --format "${value}": expected text or json`);
}

/** A positive number, or undefined when the option was not given. */
export function positive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!DECIMAL.test(value) || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(`Invalid --${name} "${value}": expected a positive number`);
  }
  return n;
}

/** A positive whole number, or undefined when the option was not given. */
export function positiveInteger(name: string, value: string | undefined): number | undefined {
  const n = positive(name, value);
  if (n !== undefined && !Number.isInteger(n)) {
    throw new UsageError(`Invalid --${name} "${value}": expected a whole number`);
  }
  return n;
}

/**
 * Refuses an option given twice that takes one value: parseArgs keeps the last one without a
 * word, so "--listen A ... --listen B" would serve on B while the user reads A.
 */
export function onceEach(
  tokens: { kind: string; name?: string }[],
  multiple: ReadonlySet<string>,
): void {
  const seen = new Set<string>();
  for (const token of tokens) {
    if (token.kind !== "option" || token.name === undefined || multiple.has(token.name)) continue;
    if (seen.has(token.name)) {
      throw new UsageError(`Option --${token.name} is given more than once`);
    }
    seen.add(token.name);
  }
}

/** libpcap's largest snapshot length (MAXIMUM_SNAPLEN): it cuts anything larger to this. */
export const MAX_SNAPLEN = 262_144;
/**
 * Largest --buffer-size in MiB: libpcap takes the size in bytes as a C int (2 GiB overflows it),
 * and a kernel ring past 1 GiB holds more than 10 s of 1 GbE at line rate anyway.
 */
const MAX_BUFFER_MIB = 1024;

/** --buffer-size in MiB (fractions allowed), or undefined when not given. */
export function bufferSize(value: string | undefined): number | undefined {
  const n = positive("buffer-size", value);
  if (n !== undefined && (n * 1048576 < 1 || n > MAX_BUFFER_MIB)) {
    throw new UsageError(
      `Invalid --buffer-size "${value}": expected up to ${MAX_BUFFER_MIB} (MiB)`,
    );
  }
  return n;
}

/** A whole number in [min, max], or undefined when the option was not given. */
export function boundedInteger(
  name: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  const n = positiveInteger(name, value);
  if (n !== undefined && (n < min || n > max)) {
    throw new UsageError(`Invalid --${name} "${value}": expected ${min} to ${max}`);
  }
  return n;
}
