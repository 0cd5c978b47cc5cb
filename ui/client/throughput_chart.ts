// The throughput chart: bit/s and packet/s on two axes, time ticks that fit the width, and a
// drag over the plot that picks a span (to zoom into).

import type { Chart as ChartType } from "chart.js";
import { chartColors } from "./chart_theme.ts";
import { Chart } from "./charts.ts";
import {
  formatAxisTime,
  formatBitRate,
  formatDateTime,
  formatExact,
  formatPacketRate,
} from "./format.ts";
import type { ThroughputBuffer } from "./throughput_buffer.ts";

/** Tick spacings of the time axis, seconds: round figures a clock reader expects. */
const TICK_STEPS = [
  1,
  2,
  5,
  10,
  15,
  30,
  60,
  120,
  300,
  600,
  900,
  1800,
  3600,
  7200,
  10800,
  21600,
  43200,
  86400,
  172800,
  604800,
];

/** Pixels a time label needs (12 px system font, with room between labels). */
function labelWidth(step: number, span: number): number {
  if (step < 60) return 72;
  if (step >= 86400) return 56;
  return span > 86400 ? 96 : 56;
}

/** The smallest round tick spacing whose labels fit in `width` pixels over `span` seconds. */
export function tickStep(span: number, width: number): number {
  for (const step of TICK_STEPS) {
    if ((span / step) * labelWidth(step, span) <= width) return step;
  }
  return TICK_STEPS[TICK_STEPS.length - 1];
}

/** A chart over `data`, whose arrays it draws in place. */
export function createThroughputChart(
  canvas: HTMLCanvasElement,
  data: ThroughputBuffer,
  stepOf: () => number,
): ChartType<"line"> {
  const colors = chartColors();
  return new Chart(canvas, {
    type: "line",
    data: {
      datasets: [
        {
          label: "bit/s",
          data: data.bps,
          yAxisID: "bps",
          borderColor: colors.bps,
          backgroundColor: colors.bpsFill,
          fill: "origin",
          borderWidth: 1.5,
          pointRadius: 0,
          pointHitRadius: 6,
          // Straight segments: a curve would invent values between the measured points.
          tension: 0,
        },
        {
          label: "packet/s",
          data: data.pps,
          yAxisID: "pps",
          borderColor: colors.pps,
          borderWidth: 1.5,
          borderDash: [4, 3],
          pointRadius: 0,
          pointHitRadius: 6,
          tension: 0,
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
          // Round times only: the axis's ends are wherever the range starts and stops.
          ticks: { color: colors.text, maxRotation: 0, autoSkipPadding: 12, includeBounds: false },
        },
        bps: {
          type: "linear",
          position: "left",
          beginAtZero: true,
          grid: { color: colors.grid },
          ticks: { color: colors.bps, maxTicksLimit: 6, callback: (v) => formatBitRate(Number(v)) },
        },
        pps: {
          type: "linear",
          position: "right",
          beginAtZero: true,
          grid: { drawOnChartArea: false },
          ticks: {
            color: colors.pps,
            maxTicksLimit: 6,
            callback: (v) => formatPacketRate(Number(v)),
          },
        },
      },
      plugins: {
        tooltip: {
          callbacks: {
            title: (items) => {
              if (!items.length) return "";
              const t = items[0].parsed.x ?? 0;
              const step = stepOf();
              return step === 1
                ? formatDateTime(t, true)
                : `${formatDateTime(t)} (${step / 60} min mean)`;
            },
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

/** Sets the time axis to [min, max] with ticks that fit the chart's width. */
export function frameChart(chart: ChartType<"line">, min: number, max: number): void {
  const x = chart.options.scales!.x!;
  const span = Math.max(1, max - min);
  const width = chart.chartArea?.width || chart.width || 300;
  const step = tickStep(span, width);
  x.min = min;
  x.max = max;
  const ticks = x.ticks as { stepSize?: number; maxTicksLimit?: number; callback?: unknown };
  ticks.stepSize = step;
  ticks.maxTicksLimit = Math.ceil(span / step) + 2;
  ticks.callback = (v: unknown) => formatAxisTime(Number(v), step, span);
}

/**
 * Lets a drag across the plot pick a span: `band` shows it while dragging, and `onSpan` gets
 * its ends in axis units (epoch seconds) when the pointer is let go after at least 8 px.
 * Returns a function that removes the listeners.
 */
export function dragToZoom(
  box: HTMLElement,
  band: HTMLElement,
  chartOf: () => ChartType<"line"> | null,
  onSpan: (from: number, to: number) => void,
): () => void {
  let start: number | null = null;
  const localX = (e: PointerEvent) => e.clientX - box.getBoundingClientRect().left;
  const clamp = (x: number, chart: ChartType<"line">) =>
    Math.min(chart.chartArea.right, Math.max(chart.chartArea.left, x));
  function down(e: PointerEvent) {
    const chart = chartOf();
    if (!chart || e.button !== 0) return;
    const x = localX(e);
    if (x < chart.chartArea.left || x > chart.chartArea.right) return;
    start = x;
    box.setPointerCapture(e.pointerId);
  }
  function move(e: PointerEvent) {
    const chart = chartOf();
    if (start === null || !chart) return;
    const x = clamp(localX(e), chart);
    band.style.left = `${Math.min(start, x)}px`;
    band.style.width = `${Math.abs(x - start)}px`;
    band.style.top = `${chart.chartArea.top}px`;
    band.style.height = `${chart.chartArea.height}px`;
    band.hidden = false;
  }
  function up(e: PointerEvent) {
    const chart = chartOf();
    const from = start;
    start = null;
    band.hidden = true;
    if (from === null || !chart) return;
    const to = clamp(localX(e), chart);
    if (Math.abs(to - from) < 8) return;
    const scale = chart.scales.x;
    onSpan(
      scale.getValueForPixel(Math.min(from, to))!,
      scale.getValueForPixel(Math.max(from, to))!,
    );
  }
  function cancel() {
    start = null;
    band.hidden = true;
  }
  box.addEventListener("pointerdown", down);
  box.addEventListener("pointermove", move);
  box.addEventListener("pointerup", up);
  box.addEventListener("pointercancel", cancel);
  return () => {
    box.removeEventListener("pointerdown", down);
    box.removeEventListener("pointermove", move);
    box.removeEventListener("pointerup", up);
    box.removeEventListener("pointercancel", cancel);
  };
}

/**
 * Where the time axis's labels are drawn, [left, right] in canvas pixels, one per label chart.js
 * kept: the page publishes them so a test can check they neither overlap nor leave the canvas.
 */
export function xLabelBoxes(chart: ChartType<"line">): [number, number][] {
  const scale = chart.scales.x;
  const ctx = chart.ctx;
  ctx.save();
  ctx.font = `${Chart.defaults.font.size}px ${Chart.defaults.font.family}`;
  const boxes = scale.ticks.map((tick): [number, number] => {
    const label = String(tick.label ?? "");
    const width = ctx.measureText(label).width;
    const x = scale.getPixelForValue(tick.value);
    return [Math.round(x - width / 2), Math.round(x + width / 2)];
  });
  ctx.restore();
  return boxes;
}
