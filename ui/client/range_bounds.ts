// What a view's time range means at a given moment: the span, whether it is live, and the
// chart's one resolution (seconds per point) for it.
//
// "Now" is the server's last finished second everywhere (the API's definition): a live range
// ends there, and a stepped range ends at the last finished step, so no point is a bucket still
// filling (which would read low and then jump).

import { RANGE_SECONDS, type ViewState } from "./view_state.ts";

/** Resolutions the API serves: memory 1 s (the last hour) and 60 s; history 60, 300, 3600 s. */
export const STEPS: readonly number[] = [1, 60, 300, 3600];
/** Most points a stepped chart asks for (the API allows 3600; a chart needs fewer). */
export const MAX_CHART_POINTS = 2100;

/** Seconds the live hour starts after the oldest second memory holds at 1 s. */
const LIVE_MARGIN = 10;

/** The span a view covers at `nowSec` (the server's clock). */
export interface RangeBounds {
  /** Ends now and follows the stream at 1 s per point. */
  live: boolean;
  /** First and last second covered (epoch seconds, inclusive). */
  from: number;
  to: number;
  /** Seconds per point the chart asks for (the answer says what it got). */
  step: number;
}

/** The smallest step that keeps [from, to] within MAX_CHART_POINTS points. */
export function stepFor(from: number, to: number): number {
  const span = to - from + 1;
  return STEPS.find((s) => span / s <= MAX_CHART_POINTS) ?? STEPS[STEPS.length - 1];
}

/** The bounds of `view`'s range at `nowSec`. */
export function rangeBounds(view: ViewState, nowSec: number): RangeBounds {
  const lastFinished = Math.floor(nowSec) - 1;
  if (view.range === "custom" && view.from !== null && view.to !== null) {
    const to = Math.min(view.to, lastFinished);
    const from = Math.min(view.from, to - 1);
    return { live: false, from, to, step: stepFor(from, to) };
  }
  const seconds = RANGE_SECONDS[view.range as Exclude<ViewState["range"], "custom">] ??
    RANGE_SECONDS["1h"];
  if (view.range === "5m" || view.range === "15m" || view.range === "1h") {
    // The per-second ring holds the hour up to now: stay a few seconds inside it, so a clock a
    // little off the server's never tips the answer into per-minute points.
    const inside = seconds >= 3600 ? LIVE_MARGIN : 0;
    return { live: true, from: lastFinished - seconds + 1 + inside, to: lastFinished, step: 1 };
  }
  const step = stepFor(lastFinished - seconds + 1, lastFinished);
  // The last whole step that has finished: its last second is at most lastFinished.
  const to = Math.floor((lastFinished + 1) / step) * step - 1;
  return { live: false, from: to - seconds + 1, to, step };
}

/** "1 s", "1 min", "5 min", "1 h": a step for people. */
export function stepLabel(step: number): string {
  if (step < 60) return `${step} s`;
  if (step < 3600) return `${step / 60} min`;
  if (step < 86400) return `${step / 3600} h`;
  return `${step / 86400} d`;
}
