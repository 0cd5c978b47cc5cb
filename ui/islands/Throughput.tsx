// Island: throughput (bit/s and packet/s, two axes) over the chosen range at one resolution,
// with the current rate large above it; a drag over the chart zooms into that span.

import { useSignalEffect } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import type { Chart as ChartType } from "chart.js";
import { onThemeChange } from "../client/chart_theme.ts";
import { formatBitRate, formatClock, formatDateTime, formatPacketRate } from "../client/format.ts";
import { stepLabel } from "../client/range_bounds.ts";
import { chartMeta, nowRate, stats, throughput, throughputVersion, view } from "../client/store.ts";
import {
  createThroughputChart,
  dragToZoom,
  frameChart,
  xLabelBoxes,
} from "../client/throughput_chart.ts";
import { withRange, withSpan } from "../client/view_state.ts";
import { RangePicker } from "../components/RangePicker.tsx";
import { streamDown } from "../components/StaleNote.tsx";

/** Where the chart's data came from, for people. */
function tierText(tier: string | null): string {
  if (tier === null) return "…";
  return tier === "memory" ? "from memory" : `from history (${tier} tier)`;
}

/** Sets the chart's x range: the span asked for (live: since the server started, if later). */
function frame(chart: ChartType<"line">): void {
  const meta = chartMeta.peek();
  const latest = throughput.latest();
  if (meta.live) {
    const max = Math.max(meta.to, latest?.x ?? 0);
    const uptime = stats.peek()?.uptime_sec ?? Infinity;
    // While the server has run for less than the range, start where it started (at least 20 s),
    // so new data is not squeezed to the right.
    const min = Math.max(meta.from, max - Math.max(20, Math.ceil(uptime)));
    frameChart(chart, min, max);
  } else {
    frameChart(chart, meta.from, meta.to);
  }
}

/** Frames and redraws `chart`, then publishes its time labels' boxes on `box`. */
function redraw(chart: ChartType<"line">, box: HTMLElement | null): void {
  frame(chart);
  chart.update("none");
  if (box) box.dataset.xLabels = JSON.stringify(xLabelBoxes(chart));
}

/** The throughput card. */
export default function Throughput() {
  const canvas = useRef<HTMLCanvasElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const band = useRef<HTMLDivElement>(null);
  const chart = useRef<ChartType<"line"> | null>(null);
  throughputVersion.value; // re-render the figures with every point
  const now = nowRate.value;
  const meta = chartMeta.value;
  const v = view.value;

  useEffect(() => {
    if (!canvas.current || !box.current || !band.current) return;
    const make = () => {
      chart.current?.destroy();
      chart.current = createThroughputChart(
        canvas.current!,
        throughput,
        () => chartMeta.peek().step,
      );
      frame(chart.current);
      chart.current.update("none");
    };
    make();
    const offTheme = onThemeChange(make);
    const offDrag = dragToZoom(box.current, band.current, () => chart.current, (from, to) => {
      view.value = withSpan(view.peek(), from, to);
    });
    const resize = new ResizeObserver(() => {
      if (chart.current) redraw(chart.current, box.current);
    });
    resize.observe(box.current);
    return () => {
      offTheme();
      offDrag();
      resize.disconnect();
      chart.current?.destroy();
    };
  }, []);

  useSignalEffect(() => {
    throughputVersion.value;
    chartMeta.value;
    if (chart.current) redraw(chart.current, box.current);
  });

  const spanText = meta.live
    ? `live, the last ${v.range === "1h" ? "hour" : v.range.replace("m", " min")}`
    : `${formatDateTime(meta.from)} to ${formatDateTime(meta.to + 1)}`;
  return (
    <div class="throughput">
      <div class="card-head">
        <h2>Throughput</h2>
        <div class={`now-figures${streamDown() ? " stale" : ""}`} aria-live="off">
          <span
            class="figure bps"
            data-testid="current-bps"
            title={now
              ? `Mean of the ${now.seconds} finished seconds to ${formatClock(now.to + 1)}`
              : undefined}
          >
            {now ? formatBitRate(now.bps) : "–"}
          </span>
          <span class="figure pps">{now ? formatPacketRate(now.pps) : "–"}</span>
          <span class="figure-note" data-testid="now-label">
            now: last {now?.seconds ?? 3} s{now ? ` to ${formatClock(now.to + 1)}` : ""}
          </span>
        </div>
      </div>
      <RangePicker v={v} />
      <div
        class="chart-box"
        ref={box}
        data-testid="throughput-chart"
        data-points={throughput.bps.length}
        data-live-points={throughput.livePoints}
        data-tier={meta.tier ?? ""}
        data-step={meta.step}
        data-from={meta.from}
        data-to={meta.to}
      >
        <canvas
          ref={canvas}
          role="img"
          aria-label={`Throughput, ${spanText}: bit/s (solid, left axis) and packet/s (dashed, right axis)`}
        >
        </canvas>
        <div class="zoom-band" ref={band} hidden></div>
      </div>
      {meta.error && <p class="error" role="alert">{meta.error}</p>}
      <p class="legend">
        <span class="key bps"></span>bit/s (left) <span class="key pps"></span>packet/s (right) ·
        {" "}
        <span data-testid="chart-resolution">
          1 point = {stepLabel(meta.step)} {tierText(meta.tier)}
        </span>{" "}
        · {spanText}
        {meta.live && meta.since !== undefined && (
          <span data-testid="chart-since">
            {` · since Netwatch started at ${formatClock(meta.since)}`}
            {(stats.value?.history?.oldest["1m"] ?? Infinity) < meta.since && (
              <>
                {" (before: "}
                <button
                  type="button"
                  class="link inline"
                  onClick={() => (view.value = withRange(view.peek(), "6h"))}
                >
                  6 h from history
                </button>)
              </>
            )}
          </span>
        )} · drag across the chart to zoom in
        {!meta.live && (
          <>
            {" "}·{" "}
            <button
              type="button"
              class="link inline"
              onClick={() => (view.value = withRange(view.peek(), "1h"))}
            >
              back to live
            </button>
          </>
        )}
      </p>
    </div>
  );
}
