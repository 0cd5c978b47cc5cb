// Human-readable units for the dashboard: every figure uses SI prefixes (k = 1000), stated once.

/** The unit convention the page states in its footer. */
export const UNITS_NOTE =
  "Units: SI prefixes everywhere (1 kB = 1000 bytes, 1 Mbit/s = 1,000,000 bit/s); times are local.";

const PREFIXES = ["", "k", "M", "G", "T", "P", "E"];

/** `value` scaled to an SI prefix: [number text, prefix]; 3 significant digits from 1 up. */
function si(value: number): [string, string] {
  if (!Number.isFinite(value)) return ["–", ""];
  const sign = value < 0 ? "-" : "";
  let v = Math.abs(value);
  let i = 0;
  while (v >= 999.5 && i < PREFIXES.length - 1) {
    v /= 1000;
    i++;
  }
  const text = i === 0 && Number.isInteger(v)
    ? String(v)
    : v >= 99.95
    ? v.toFixed(0)
    : v >= 9.995
    ? v.toFixed(1)
    : v.toFixed(2);
  return [sign + text, PREFIXES[i]];
}

/** Bits per second, e.g. `12.3 Mbit/s`. */
export function formatBitRate(bitsPerSec: number): string {
  const [n, p] = si(bitsPerSec);
  return `${n} ${p}bit/s`;
}

/** Bytes per second as a bit rate (the page states every rate in bit/s). */
export function formatByteRateAsBits(bytesPerSec: number): string {
  return formatBitRate(bytesPerSec * 8);
}

/** Packets per second, e.g. `1.20 kpkt/s`. */
export function formatPacketRate(packetsPerSec: number): string {
  const [n, p] = si(packetsPerSec);
  return `${n} ${p}pkt/s`;
}

/** A byte count with an SI prefix, e.g. `1.47 MB`. */
export function formatBytes(bytes: number): string {
  const [n, p] = si(bytes);
  return `${n} ${p}B`;
}

/** A count with thousands separators, e.g. `12,345`. */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–";
}

/** An exact value for tooltips, e.g. `12,345,678 bit/s`. */
export function formatExact(value: number, unit: string): string {
  const rounded = Math.abs(value) >= 100 ? Math.round(value) : Math.round(value * 100) / 100;
  return `${rounded.toLocaleString("en-US", { maximumFractionDigits: 2 })} ${unit}`;
}

/** A share of a whole as a percentage, e.g. `42.1 %`; `–` when the whole is 0. */
export function formatShare(part: number, whole: number): string {
  if (!(whole > 0)) return "–";
  const pct = part / whole * 100;
  return `${pct >= 99.95 ? pct.toFixed(0) : pct.toFixed(1)} %`;
}

/** A duration: `850 ms`, `12.4 s`, `3 min 05 s`, `2 h 07 min`, `3 d 04 h`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "–";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds < 9.95 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  const s = Math.floor(seconds);
  const pad = (n: number) => String(n).padStart(2, "0");
  if (s < 3600) return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${pad(Math.floor(s / 60) % 60)} min`;
  return `${Math.floor(s / 86400)} d ${pad(Math.floor(s / 3600) % 24)} h`;
}

/** Local wall-clock time of epoch seconds, `HH:MM:SS`. */
export function formatClock(epochSec: number): string {
  const d = new Date(epochSec * 1000);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `address:port`, with brackets around IPv6 addresses; the bare address when port is null. */
export function formatEndpoint(address: string, port: number | null): string {
  if (port === null) return address;
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

/** Local date and time of epoch seconds, `YYYY-MM-DD HH:MM` (with `:SS` when asked). */
export function formatDateTime(epochSec: number, seconds = false): string {
  const d = new Date(epochSec * 1000);
  const date = `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
  const time = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  return `${date} ${time}${seconds ? `:${pad2(d.getSeconds())}` : ""}`;
}

/**
 * When something was seen, as short as stays clear: `HH:MM:SS` on the day of `now` (epoch
 * seconds), else with the date in front, `MM-DD HH:MM:SS` within the year of `now` and
 * `YYYY-MM-DD HH:MM:SS` before it. `dated`: always with the date (a range over days, where
 * times of several days are compared).
 */
export function formatSeen(epochSec: number, now: number, dated = false): string {
  const d = new Date(epochSec * 1000);
  const today = new Date(now * 1000);
  const sameYear = d.getFullYear() === today.getFullYear();
  const sameDay = sameYear && d.getMonth() === today.getMonth() &&
    d.getDate() === today.getDate();
  if (sameDay && !dated) return formatClock(epochSec);
  const full = formatDateTime(epochSec, true);
  return sameYear ? full.slice(5) : full;
}

/**
 * A time-axis label for epoch seconds, as short as the axis allows: `HH:MM:SS` for ticks under
 * a minute apart, `HH:MM` within a day, `MM-DD HH:MM` over days, `MM-DD` for whole days.
 */
export function formatAxisTime(epochSec: number, tickStep: number, spanSec: number): string {
  const d = new Date(epochSec * 1000);
  const day = `${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
  const time = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  if (tickStep < 60) return `${time}:${pad2(d.getSeconds())}`;
  if (tickStep >= 86400) return day;
  return spanSec > 86400 ? `${day} ${time}` : time;
}

/** A country code and AS number as one short label: `DE · AS3320`, `DE`, `AS3320` or "". */
export function formatPlace(country: string | null, asn: number | null): string {
  return [country, asn === null ? null : `AS${asn}`].filter((x) => x).join(" · ");
}

const REGIONS = new Intl.DisplayNames(["en"], { type: "region" });

/** The English name of ISO 3166 country code `code` ("DE": "Germany"), or the code itself. */
export function countryName(code: string): string {
  try {
    return REGIONS.of(code) ?? code;
  } catch {
    return code; // not a well-formed region code
  }
}

/** A place spelled out: `Germany (DE) · AS3320`; `org` follows the AS number when known. */
export function describePlace(
  country: string | null,
  asn: number | null,
  org: string | null = null,
): string {
  return [
    country ? `${countryName(country)} (${country})` : null,
    asn === null ? null : `AS${asn}${org ? ` ${org}` : ""}`,
  ].filter((x) => x).join(" · ");
}
