// A small SVG line chart for benchmark reports: one x axis, one or more series, no dependencies.

export interface PlotSeries {
  name: string;
  values: number[];
  color?: string;
}

export interface PlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  x: number[];
  series: PlotSeries[];
  width?: number;
  height?: number;
}

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd"];

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * magnitude >= value) return step * magnitude;
  }
  return 10 * magnitude;
}

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The chart as an SVG document. */
export function svgLineChart(options: PlotOptions): string {
  const width = options.width ?? 720;
  const height = options.height ?? 360;
  const left = 70;
  const right = 20;
  const top = 40;
  const bottom = 50;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const xMin = Math.min(...options.x);
  const xMax = Math.max(...options.x, xMin + 1);
  const yMax = niceMax(Math.max(...options.series.flatMap((s) => s.values)));
  const px = (x: number) => left + ((x - xMin) / (xMax - xMin)) * plotW;
  const py = (y: number) => top + plotH - (y / yMax) * plotH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${
      escape(options.title)
    }</text>`,
  ];
  for (let k = 0; k <= 4; k++) {
    const y = (yMax * k) / 4;
    parts.push(
      `<line x1="${left}" x2="${left + plotW}" y1="${py(y)}" y2="${py(y)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${py(y) + 4}" text-anchor="end">${Number(y.toPrecision(3))}</text>`,
    );
  }
  for (let k = 0; k <= 5; k++) {
    const x = xMin + ((xMax - xMin) * k) / 5;
    parts.push(
      `<text x="${px(x)}" y="${top + plotH + 18}" text-anchor="middle">${
        Number(x.toPrecision(3))
      }</text>`,
    );
  }
  parts.push(
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#333"/>`,
    `<line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${
      top + plotH
    }" stroke="#333"/>`,
    `<text x="${left + plotW / 2}" y="${height - 10}" text-anchor="middle">${
      escape(options.xLabel)
    }</text>`,
    `<text transform="translate(16 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">${
      escape(options.yLabel)
    }</text>`,
  );
  options.series.forEach((series, n) => {
    const color = series.color ?? COLORS[n % COLORS.length];
    const points = series.values.map((v, i) =>
      `${px(options.x[i]).toFixed(1)},${py(v).toFixed(1)}`
    );
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.join(" ")}"/>`,
      `<text x="${left + 10}" y="${top + 14 + n * 16}" fill="${color}">${
        escape(series.name)
      }</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n");
}
