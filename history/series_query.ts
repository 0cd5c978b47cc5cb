// series(): bits or packets per second over any range, from the tier that fits the step.
//
// The step (asked for, or picked so the range has at most DEFAULT_POINTS points) decides the
// tier: the coarsest whose rows fit whole into a step, since every tier sums to the same totals
// and coarser ones read fewer rows. When that tier was trimmed after `from`, a coarser one that
// still holds the range serves it instead, and the step grows to its resolution.

import type { DatabaseSync } from "node:sqlite";
import { L4_CLASS_NAMES } from "../flows/time_series.ts";
import { LabelKind, TIER_ID } from "./schema.ts";
import type { SeriesQuery, SeriesResult, Tier } from "./types.ts";
import { TIER_SECONDS, TIERS } from "./types.ts";

/** Most points one answer may hold (as the live /series). */
export const MAX_POINTS = 3600;
/** Points a range gets when no step is asked for, at most. */
export const DEFAULT_POINTS = 1000;
/** Steps picked when none is asked for: round numbers of minutes, hours and days. */
const NICE_STEPS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

/** Checks a from/to pair; throws RangeError naming the bad one. */
export function checkRange(from: number, to: number): void {
  if (!Number.isFinite(from) || from < 0) {
    throw new RangeError(`Invalid from "${from}": expected epoch seconds`);
  }
  if (!Number.isFinite(to) || to < 0) {
    throw new RangeError(`Invalid to "${to}": expected epoch seconds`);
  }
  if (from > to) throw new RangeError(`Invalid from "${from}": expected at most to (${to})`);
}

function pointsOf(from: number, to: number, step: number): number {
  return Math.floor(to / step) - Math.floor(from / step) + 1;
}

/** The tier and step for a range: see the file comment. */
export function chooseTier(
  from: number,
  to: number,
  askedStep: number | undefined,
  horizons: Record<Tier, number>,
): { tier: Tier; step: number } {
  let step: number;
  if (askedStep !== undefined) {
    if (!Number.isInteger(askedStep) || askedStep < 1) {
      throw new RangeError(`Invalid step "${askedStep}": expected a whole number of seconds`);
    }
    step = Math.ceil(askedStep / 60) * 60;
  } else {
    step = NICE_STEPS.find((s) => pointsOf(from, to, s) <= DEFAULT_POINTS) ??
      Math.ceil((to - from) / (DEFAULT_POINTS - 1) / 86400) * 86400;
  }
  let index = 0;
  for (let i = TIERS.length - 1; i >= 0; i--) {
    if (step % TIER_SECONDS[TIERS[i]] === 0) {
      index = i;
      break;
    }
  }
  while (index < TIERS.length - 1 && horizons[TIERS[index]] > from) {
    index++;
    const res = TIER_SECONDS[TIERS[index]];
    step = Math.ceil(step / res) * res;
  }
  const tier = TIERS[index];
  const points = pointsOf(from, to, step);
  if (points > MAX_POINTS) {
    const res = TIER_SECONDS[tier];
    const least = Math.ceil((to - from) / (MAX_POINTS - 1) / res) * res;
    throw new RangeError(
      `Invalid step "${askedStep ?? step}": expected at least ${least} for this range ` +
        `(at most ${MAX_POINTS} points)`,
    );
  }
  return { tier, step };
}

/** The series of `q` from the database; see the file comment for the tier. */
export function querySeries(
  db: DatabaseSync,
  horizons: Record<Tier, number>,
  q: SeriesQuery,
): SeriesResult {
  checkRange(q.from, q.to);
  const metric = q.metric ?? "bps";
  if (metric !== "bps" && metric !== "pps") {
    throw new TypeError(`Invalid metric "${metric}": expected bps or pps`);
  }
  const breakdown = q.breakdown ?? "none";
  const kinds = { protocol: LabelKind.Protocol, service: LabelKind.Service, app: LabelKind.App };
  if (breakdown !== "none" && !(breakdown in kinds)) {
    throw new TypeError(`Invalid breakdown "${breakdown}": expected none, protocol, service, app`);
  }
  const { tier, step } = chooseTier(q.from, q.to, q.step, horizons);
  const start = Math.floor(q.from / step) * step;
  const end = Math.floor(q.to / step) * step;
  const count = (end - start) / step + 1;
  const column = metric === "bps" ? "bytes" : "packets";
  const scale = (metric === "bps" ? 8 : 1) / step;
  const sums = new Map<string, Float64Array>();
  const add = (name: string, t: number, value: number) => {
    let values = sums.get(name);
    if (!values) sums.set(name, values = new Float64Array(count));
    values[Math.floor((t - start) / step)] += value;
  };
  if (breakdown === "none") {
    sums.set("total", new Float64Array(count));
    const rows = db.prepare(
      `SELECT t, ${column} AS v FROM totals WHERE tier = ? AND t >= ? AND t < ?`,
    ).all(TIER_ID[tier], start, end + step);
    for (const row of rows) add("total", row.t as number, row.v as number);
  } else {
    if (breakdown === "protocol") {
      for (const name of L4_CLASS_NAMES) sums.set(name, new Float64Array(count));
    }
    const rows = db.prepare(
      `SELECT b.t AS t, l.name AS name, b.${column} AS v FROM breakdown b
       JOIN label l ON l.id = b.label
       WHERE b.tier = ? AND b.t >= ? AND b.t < ? AND l.kind = ?`,
    ).all(TIER_ID[tier], start, end + step, kinds[breakdown as keyof typeof kinds]);
    for (const row of rows) add(row.name as string, row.t as number, row.v as number);
  }
  const series = [...sums].map(([name, values]) => {
    let total = 0;
    for (const v of values) total += v;
    return { name, values: Array.from(values, (v) => v * scale), total };
  });
  // Protocols keep the live view's fixed order; services and apps go largest first.
  if (breakdown === "service" || breakdown === "app") series.sort((a, b) => b.total - a.total);
  const horizon = horizons[tier];
  return {
    tier,
    metric,
    unit: metric === "bps" ? "bit/s" : "packet/s",
    step,
    from: start,
    to: end,
    covered_from: horizon === -Infinity ? null : horizon,
    t: Array.from({ length: count }, (_, i) => start + i * step),
    series: series.map(({ name, values }) => ({ name, values })),
  };
}
