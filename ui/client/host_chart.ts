// The host view's chart: what a host sent and received per minute over the last hour, as bit/s.

import type { Chart as ChartType } from "chart.js";
import type { HostResponse } from "../../server/wire.ts";
import { chartColors } from "./chart_theme.ts";
import { Chart } from "./charts.ts";
import { formatAxisTime, formatBitRate, formatClock } from "./format.ts";

/** Points of one direction: bytes per minute as mean bit/s, x the minute's start. */
export function minutePoints(t: number[], bytes: number[]): { x: number; y: number }[] {
  return t.map((x, i) => ({ x, y: (bytes[i] ?? 0) * 8 / 60 }));
}

/** A line chart of `minutes` (sent and received) on `canvas`. */
export function createHostChart(
  canvas: HTMLCanvasElement,
  minutes: HostResponse["minutes"],
): ChartType<"line"> {
  const colors = chartColors();
  const css = getComputedStyle(document.documentElement);
  const sent = css.getPropertyValue("--sent").trim();
  const received = css.getPropertyValue("--received").trim();
  const first = minutes.t[0] ?? 0;
  const last = minutes.t[minutes.t.length - 1] ?? first + 60;
  const span = Math.max(60, last - first);
  return new Chart(canvas, {
    type: "line",
    data: {
      datasets: [
        {
          label: "sent",
          data: minutePoints(minutes.t, minutes.sent),
          borderColor: sent,
          borderWidth: 1.5,
          pointRadius: 0,
          pointHitRadius: 6,
        },
        {
          label: "received",
          data: minutePoints(minutes.t, minutes.received),
          borderColor: received,
          borderWidth: 1.5,
          pointRadius: 0,
          pointHitRadius: 6,
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
          min: first,
          max: last,
          grid: { color: colors.grid },
          ticks: {
            color: colors.text,
            maxRotation: 0,
            stepSize: span > 1800 ? 900 : 300,
            callback: (v) => formatAxisTime(Number(v), 300, span),
          },
        },
        y: {
          type: "linear",
          beginAtZero: true,
          grid: { color: colors.grid },
          ticks: {
            color: colors.text,
            maxTicksLimit: 5,
            callback: (v) => formatBitRate(Number(v)),
          },
        },
      },
      plugins: {
        tooltip: {
          callbacks: {
            title: (items) =>
              items.length ? `minute from ${formatClock(items[0].parsed.x ?? 0)}` : "",
            label: (item) => `${item.dataset.label}: ${formatBitRate(item.parsed.y ?? 0)}`,
          },
        },
      },
    },
  });
}
