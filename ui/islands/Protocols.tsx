// Island: where the bytes go by protocol class or by service, as a doughnut and a small table.

import { useSignalEffect } from "@preact/signals";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Chart as ChartType } from "chart.js";
import { chartColors, onThemeChange } from "../client/chart_theme.ts";
import { Chart } from "../client/charts.ts";
import { formatBytes, formatCount, formatShare } from "../client/format.ts";
import { protocols } from "../client/store.ts";

/** Slices drawn; the rest are summed into "rest". */
const SLICES = 7;

type Mode = "protocols" | "services";

function rowsOf(mode: Mode): { name: string; bytes: number; packets: number }[] {
  const data = protocols.value;
  if (!data) return [];
  const all = data[mode].filter((r) => r.bytes > 0);
  if (all.length <= SLICES + 1) return all;
  const rest = all.slice(SLICES).reduce(
    (sum, r) => ({ name: "rest", bytes: sum.bytes + r.bytes, packets: sum.packets + r.packets }),
    { name: "rest", bytes: 0, packets: 0 },
  );
  return [...all.slice(0, SLICES), rest];
}

function createChart(canvas: HTMLCanvasElement): ChartType<"doughnut"> {
  const colors = chartColors();
  return new Chart(canvas, {
    type: "doughnut",
    data: { labels: [], datasets: [{ data: [], backgroundColor: colors.palette, borderWidth: 0 }] },
    options: {
      maintainAspectRatio: false,
      cutout: "60%",
      plugins: {
        tooltip: {
          callbacks: {
            label: (item) => `${item.label}: ${formatBytes(Number(item.raw))}`,
          },
        },
      },
    },
  });
}

/** The protocol and service breakdown card. */
export default function Protocols() {
  const [mode, setMode] = useState<Mode>("services");
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<ChartType<"doughnut"> | null>(null);
  const modeRef = useRef(mode);
  modeRef.current = mode;
  const rows = rowsOf(mode);
  const data = protocols.value;
  const whole = rows.reduce((sum, r) => sum + r.bytes, 0);

  function draw(): void {
    const c = chart.current;
    if (!c) return;
    const r = rowsOf(modeRef.current);
    c.data.labels = r.map((x) => x.name);
    c.data.datasets[0].data = r.map((x) => x.bytes);
    c.update("none");
  }

  useEffect(() => {
    if (!canvas.current) return;
    chart.current = createChart(canvas.current);
    draw();
    const off = onThemeChange(() => {
      chart.current?.destroy();
      chart.current = createChart(canvas.current!);
      draw();
    });
    return () => {
      off();
      chart.current?.destroy();
    };
  }, []);
  useEffect(draw, [mode]);
  useSignalEffect(() => {
    protocols.value;
    draw();
  });

  const palette = ["1", "2", "3", "4", "5", "6", "7", "8"];
  return (
    <div class="protocols">
      <div class="card-head">
        <h2 id="protocols-title">Protocols and services</h2>
        <div class="segmented" role="group" aria-label="Breakdown by">
          <button
            type="button"
            aria-pressed={mode === "services"}
            onClick={() => setMode("services")}
          >
            Services
          </button>
          <button
            type="button"
            aria-pressed={mode === "protocols"}
            onClick={() => setMode("protocols")}
          >
            Protocols
          </button>
        </div>
      </div>
      <div class="breakdown">
        <div class="doughnut-box">
          <canvas
            ref={canvas}
            role="img"
            aria-label={`Bytes by ${mode === "services" ? "service" : "protocol"}`}
          >
          </canvas>
        </div>
        <table class="data compact" aria-labelledby="protocols-title">
          <thead>
            <tr>
              <th scope="col">{mode === "services" ? "Service" : "Protocol"}</th>
              <th scope="col" class="num">Bytes</th>
              <th scope="col" class="num">Packets</th>
              <th scope="col" class="num">Share</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={r.name}>
                <td>
                  <span class={`swatch s${palette[i % 8]}`} aria-hidden="true"></span>
                  {r.name}
                </td>
                <td class="num" title={`${formatCount(r.bytes)} bytes`}>{formatBytes(r.bytes)}</td>
                <td class="num">{formatCount(r.packets)}</td>
                <td class="num">{formatShare(r.bytes, whole)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {data && rows.length === 0 && <p class="empty">No traffic in this window.</p>}
      <p class="legend">Share of bytes over the talkers' window ("other": no known service).</p>
    </div>
  );
}
