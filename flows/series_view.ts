// Bits or packets per second over a time range from the in-memory rings, downsampled, broken down.

import { ParameterError } from "./param_error.ts";
import { SERVICE_NAMES } from "./services.ts";
import { L4_CLASS_NAMES, type TimeSeries } from "./time_series.ts";

/** Most points one answer may hold. */
export const MAX_POINTS = 3600;

/** A series answer (GET /series). `t` and every `values` array line up. */
export interface SeriesAnswer {
  metric: "bps" | "pps";
  /** "bit/s" or "packet/s". */
  unit: string;
  /** Seconds per point. */
  step: number;
  from: number;
  to: number;
  /** Start of each point, epoch seconds. */
  t: number[];
  /** "total", or one entry per protocol class or service when a breakdown was asked for. */
  series: { name: string; values: number[] }[];
}

/** Validated /series parameters. */
export interface SeriesParams {
  metric?: "bps" | "pps";
  breakdown?: "none" | "protocol" | "service";
  from?: number;
  to?: number;
  step?: number;
}

const L4_CLASSES = L4_CLASS_NAMES.length;
const SERVICES = SERVICE_NAMES.length;

/**
 * Points from `from` to `to` (default: the last 5 minutes) at `step` seconds. The per-second
 * ring serves ranges that start within its hour, the per-minute ring older ones; `step` is
 * rounded up to a multiple of the ring's period. Periods the rings no longer hold read as 0.
 */
export function seriesView(series: TimeSeries, nowSec: number, p: SeriesParams): SeriesAnswer {
  const metric = p.metric ?? "bps";
  const breakdown = p.breakdown ?? "none";
  const to = p.to ?? nowSec;
  const from = p.from ?? to - 300;
  if (from > to) throw new ParameterError("from", p.from, `expected at most to (${to})`);
  const ring = from >= Math.floor(nowSec) - series.seconds.length + 1
    ? series.seconds
    : series.minutes;
  const res = ring.period;
  // Not asked for: the ring's own period, or the least multiple of it that fits the range.
  const fitting = Math.ceil((to - from) / (MAX_POINTS - 2) / res) * res;
  const step = Math.max(res, Math.ceil((p.step ?? fitting) / res) * res);
  const start = Math.floor(from / step) * step;
  const end = Math.floor(to / step) * step;
  const count = (end - start) / step + 1;
  if (count > MAX_POINTS) {
    const least = Math.ceil((end - start) / (MAX_POINTS - 1) / res) * res;
    throw new ParameterError(
      "step",
      p.step ?? res,
      `expected at least ${least} for this range (at most ${MAX_POINTS} points)`,
    );
  }
  const width = breakdown === "protocol" ? L4_CLASSES : breakdown === "service" ? SERVICES : 1;
  const sums = new Float64Array(count * width);
  // Only the periods the ring holds can be non-zero: walk those that fall in the range.
  const newest = Math.floor(nowSec / res);
  const first = Math.max(Math.floor(start / res), newest - ring.length + 1);
  const last = Math.min(Math.floor((end + step - 1) / res), newest);
  for (let period = first; period <= last; period++) {
    const slot = ring.slotOf(period);
    if (slot < 0) continue;
    const point = Math.floor((period * res - start) / step);
    if (point < 0 || point >= count) continue;
    if (breakdown === "none") {
      sums[point] += metric === "bps" ? ring.bytes[slot] : ring.packets[slot];
      continue;
    }
    const values = breakdown === "protocol"
      ? (metric === "bps" ? ring.l4Bytes : ring.l4Packets)
      : (metric === "bps" ? ring.serviceBytes : ring.servicePackets);
    for (let k = 0; k < width; k++) sums[point * width + k] += values[slot * width + k];
  }
  const scale = (metric === "bps" ? 8 : 1) / step;
  const t = Array.from({ length: count }, (_, i) => start + i * step);
  const names = breakdown === "protocol"
    ? L4_CLASS_NAMES
    : breakdown === "service"
    ? SERVICE_NAMES.map((name, i) => i === 0 ? "other" : name)
    : ["total"];
  const out: SeriesAnswer["series"] = [];
  for (let k = 0; k < width; k++) {
    const values = new Array<number>(count);
    let any = false;
    for (let i = 0; i < count; i++) {
      values[i] = sums[i * width + k] * scale;
      if (values[i] !== 0) any = true;
    }
    // A service breakdown lists only the services seen in the range.
    if (breakdown === "service" && !any) continue;
    out.push({ name: names[k], values });
  }
  return {
    metric,
    unit: metric === "bps" ? "bit/s" : "packet/s",
    step,
    from: start,
    to: end,
    t,
    series: out,
  };
}
