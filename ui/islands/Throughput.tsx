// Island: live throughput (bit/s and packet/s, two axes) over the chosen range, with the
// current figures large above it.

import { useSignalEffect } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import type { Chart as ChartType } from "chart.js";
import { chartColors, onThemeChange } from "../client/chart_theme.ts";
import { Chart } from "../client/charts.ts";
import { formatBitRate, formatClock, formatExact, formatPacketRate } from "../client/format.ts";
import { stats, throughput, throughputVersion, view } from "../client/store.ts";
import { RANGES } from "../client/view_state.ts";

/** Seconds between x-axis ticks for a span of seconds. */
function tickStep(span: number): number {
  return span <= 30
    ? 5
    : span <= 60
    ? 10
    : span <= 120
    ? 20
    : span <= 300
    ? 60
    : span <= 900
    ? 180
    : 600;
}

function createChart(canvas: HTMLCanvasElement): ChartType<"line"> {
  const colors = chartColors();
  return new Chart(canvas, {
    type: "line",
    data: {
      datasets: [
        {
          label: "bit/s",
          data: throughput.bps,
          yAxisID: "bps",
          borderColor: colors.bps,
          backgroundColor: colors.bpsFill,
          fill: "origin",
          borderWidth: 1.5,
          pointRadius: 0,
          pointHitRadius: 6,
          tension: 0.2,
        },
        {
          label: "packet/s",
          data: throughput.pps,
          yAxisID: "pps",
          borderColor: colors.pps,
          borderWidth: 1.5,
          borderDash: [4, 3],
          pointRadius: 0,
          pointHitRadius: 6,
          tension: 0.2,
        },
      ],
    },
    options: {
      parsing: false,
      normalized: true,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        x: {
          type: "linear",
          grid: { color: colors.grid },
          ticks: { color: colors.text, callback: (v) => formatClock(Number(v)), maxRotation: 0 },
        },
        bps: {
          type: "linear",
          position: "left",
          beginAtZero: true,
          grid: { color: colors.grid },
          ticks: { color: colors.bps, callback: (v) => formatBitRate(Number(v)) },
        },
        pps: {
          type: "linear",
          position: "right",
          beginAtZero: true,
          grid: { drawOnChartArea: false },
          ticks: { color: colors.pps, callback: (v) => formatPacketRate(Number(v)) },
        },
      },
      plugins: {
        tooltip: {
          callbacks: {
            title: (items) => items.length ? formatClock(items[0].parsed.x ?? 0) : "",
            label: (item) => {
              const y = item.parsed.y ?? 0;
              return item.datasetIndex === 0
                ? `${formatBitRate(y)} (${formatExact(y, "bit/s")})`
                : `${formatPacketRate(y)} (${formatExact(y, "packet/s")})`;
            },
          },
        },
      },
    },
  });
}

/**
 * Sets the x range to the last `minutes` up to now; while the server has run for less than
 * that, the range starts when it started (at least 20 s), so new data is not squeezed right.
 */
function frame(chart: ChartType<"line">, minutes: number): void {
  const latest = throughput.latest();
  const max = Math.max(latest?.x ?? 0, Date.now() / 1000);
  const uptime = stats.peek()?.uptime_sec ?? Infinity;
  const x = chart.options.scales!.x!;
  const span = Math.min(minutes * 60, Math.max(20, Math.ceil(uptime)));
  x.min = max - span;
  x.max = max;
  (x.ticks as { stepSize?: number }).stepSize = tickStep(span);
}

/** The throughput card. */
export default function Throughput() {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<ChartType<"line"> | null>(null);
  throughputVersion.value; // re-render the figures with every point
  const latest = throughput.latest();
  const range = view.value.range;

  useEffect(() => {
    if (!canvas.current) return;
    chart.current = createChart(canvas.current);
    frame(chart.current, view.peek().range);
    chart.current.update("none");
    const offTheme = onThemeChange(() => {
      chart.current?.destroy();
      chart.current = createChart(canvas.current!);
      frame(chart.current, view.peek().range);
      chart.current.update("none");
    });
    return () => {
      offTheme();
      chart.current?.destroy();
    };
  }, []);

  useSignalEffect(() => {
    throughputVersion.value;
    const minutes = view.value.range;
    if (!chart.current) return;
    frame(chart.current, minutes);
    chart.current.update("none");
  });

  return (
    <div class="throughput">
      <div class="card-head">
        <h2>Throughput</h2>
        <div class="now-figures" aria-live="off">
          <span class="figure bps" data-testid="current-bps">
            {latest ? formatBitRate(latest.bps) : "–"}
          </span>
          <span class="figure pps">{latest ? formatPacketRate(latest.pps) : "–"}</span>
        </div>
        <div class="segmented" role="group" aria-label="Chart range">
          {RANGES.map((m) => (
            <button
              key={m}
              type="button"
              aria-pressed={range === m}
              onClick={() => (view.value = { ...view.peek(), range: m })}
            >
              {m} min
            </button>
          ))}
        </div>
      </div>
      <div
        class="chart-box"
        data-testid="throughput-chart"
        data-points={throughput.bps.length}
        data-live-points={throughput.livePoints}
      >
        <canvas
          ref={canvas}
          role="img"
          aria-label={`Throughput over the last ${range} minutes: bit/s (solid, left axis) and packet/s (dashed, right axis)`}
        >
        </canvas>
      </div>
      <p class="legend">
        <span class="key bps"></span>bit/s (left) <span class="key pps"></span>packet/s (right)
      </p>
    </div>
  );
}
