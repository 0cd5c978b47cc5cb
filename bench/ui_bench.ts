// The dashboard's weight and speed: bundle size (raw and gzip) and, in Chromium against a
// replaying server, the time from navigation to the first chart point from the live stream.
//
// Run alone with `deno run --allow-all bench/ui_bench.ts`; uiBench() returns the figures. The
// first stream point waits for the rates topic's 1 s grid, so it lands 0-1 s after connecting
// (the chart's history comes from /series before that, over REST).

import { corpusPath } from "../tests/helpers/corpus.ts";
import { launchChromium } from "../tests/helpers/dashboard.ts";
import { startServe } from "../tests/helpers/serve.ts";
import { buildUiAssets } from "../ui/build_assets.ts";
import { median } from "./stats.ts";

/** What uiBench() measures. */
export interface UiBenchFigures {
  scriptBytes: number;
  scriptGzipBytes: number;
  stylesheetBytes: number;
  stylesheetGzipBytes: number;
  /** Milliseconds from navigation start to the first stream point on the chart, per load. */
  firstLiveMs: number[];
  /** The first load (empty browser cache) and the median of the rest (cached assets). */
  firstLiveColdMs: number;
  firstLiveWarmMedianMs: number;
  /** Milliseconds from navigation start to DOMContentLoaded, median over the loads. */
  domContentLoadedMedianMs: number;
}

/** Builds the assets, serves a replay, and loads the page `loads` times in one browser. */
export async function uiBench(loads = 7): Promise<UiBenchFigures> {
  const { sizes } = await buildUiAssets();
  const server = await startServe({
    file: corpusPath("real/pcapplusplus_tls2.pcap"),
    speed: 1,
  });
  const browser = await launchChromium();
  const firstLiveMs: number[] = [];
  const domContentLoaded: number[] = [];
  try {
    const page = browser.context.pages()[0] ?? await browser.context.newPage();
    for (let i = 0; i < loads; i++) {
      await page.goto(server.url);
      const handle = await page.waitForFunction(
        () => {
          const mark = performance.getEntriesByName("netwatch:first-live-point")[0];
          const nav = performance.getEntriesByType("navigation")[0] as
            | PerformanceNavigationTiming
            | undefined;
          return mark && nav ? [mark.startTime, nav.domContentLoadedEventEnd] : null;
        },
        undefined,
        { timeout: 20_000, polling: 20 },
      );
      const [live, dcl] = await handle.jsonValue() as [number, number];
      firstLiveMs.push(live);
      domContentLoaded.push(dcl);
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  return {
    scriptBytes: sizes.script,
    scriptGzipBytes: sizes.scriptGzip,
    stylesheetBytes: sizes.stylesheet,
    stylesheetGzipBytes: sizes.stylesheetGzip,
    firstLiveMs,
    firstLiveColdMs: firstLiveMs[0],
    firstLiveWarmMedianMs: median(firstLiveMs.slice(1)),
    domContentLoadedMedianMs: median(domContentLoaded),
  };
}

/** The figures as a plain table. */
export function uiBenchTable(f: UiBenchFigures): string {
  const kb = (n: number) => `${(n / 1000).toFixed(1)} kB`;
  const ms = (n: number) => `${Math.round(n)} ms`;
  const rows: [string, string][] = [
    ["script (app-*.js)", `${kb(f.scriptBytes)} raw, ${kb(f.scriptGzipBytes)} gzip`],
    [
      "stylesheet (styles-*.css)",
      `${kb(f.stylesheetBytes)} raw, ${kb(f.stylesheetGzipBytes)} gzip`,
    ],
    [
      "total transferred (gzip)",
      kb(f.scriptGzipBytes + f.stylesheetGzipBytes),
    ],
    ["DOMContentLoaded (median)", ms(f.domContentLoadedMedianMs)],
    ["first live chart point, cold cache", ms(f.firstLiveColdMs)],
    [
      `first live chart point, warm (median of ${f.firstLiveMs.length - 1})`,
      ms(f.firstLiveWarmMedianMs),
    ],
    ["first live chart point, every load", f.firstLiveMs.map(ms).join(", ")],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return [
    "Dashboard (Chromium, loopback, replay of pcapplusplus_tls2.pcap; times from navigation start)",
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
  ].join("\n");
}

if (import.meta.main) {
  console.log(uiBenchTable(await uiBench()));
}
