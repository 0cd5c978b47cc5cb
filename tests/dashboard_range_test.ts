// The range picker and drag-to-zoom in Debian's Chromium, over a replay on top of three days of
// history on disk: each range changes the URL and the chart's tier and step (live: memory at
// 1 s; past ranges: history, coarser), a drag over the chart zooms into that span and lists
// its flows, and a reload keeps the range.

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { buildUiAssets } from "../ui/build_assets.ts";
import { corpusPath } from "./helpers/corpus.ts";
import { launchChromium } from "./helpers/dashboard.ts";
import { seedHistory } from "./helpers/seed_history.ts";
import { startServe } from "./helpers/serve.ts";

/** 146 s of TLS with flows starting and ending throughout. */
const CAPTURE = corpusPath("real/pcapplusplus_tls2.pcap");

/** The chart's tier, step and span as the page says them. */
async function chart(
  page: Page,
): Promise<{ tier: string; step: number; from: number; to: number }> {
  const box = page.locator("[data-testid=throughput-chart]");
  return {
    tier: (await box.getAttribute("data-tier")) ?? "",
    step: Number(await box.getAttribute("data-step")),
    from: Number(await box.getAttribute("data-from")),
    to: Number(await box.getAttribute("data-to")),
  };
}

/** Clicks range button `range` and waits until the chart's step is in [least, most]. */
async function pick(page: Page, range: string, least: number, most = least): Promise<void> {
  await page.locator(`.range-picker button[data-range="${range}"]`).click();
  await page.waitForFunction(
    ([lo, hi]) => {
      const step = Number(
        document.querySelector<HTMLElement>("[data-testid=throughput-chart]")?.dataset.step,
      );
      return step >= lo && step <= hi;
    },
    [least, most] as const,
    { timeout: 15_000 },
  );
}

Deno.test({
  name: "dashboard range picker: URL, tier and step follow the range; a drag zooms into a span",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await buildUiAssets();
    const dir = await Deno.makeTempDir({ prefix: "netwatch-range-" });
    await seedHistory(dir, 3);
    const server = await startServe({ file: CAPTURE, speed: 1, dataDir: dir });
    const browser = await launchChromium();
    const errors: string[] = [];
    try {
      const page = browser.context.pages()[0] ?? await browser.context.newPage();
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(server.url);
      await page.waitForSelector("[data-testid=stream-status][data-status=live]");
      // The live hour: memory at 1 s, and a dozen seconds of the replay on it.
      await page.waitForFunction(
        () => {
          const box = document.querySelector<HTMLElement>("[data-testid=throughput-chart]");
          return box?.dataset.tier === "memory" && box.dataset.step === "1" &&
            Number(box.dataset.livePoints) >= 12;
        },
        undefined,
        { timeout: 30_000 },
      );
      assert.equal(new URL(page.url()).search, "", "the default view has a bare URL");
      // The live hour starts at the server's start; the seeded hours before it are offered.
      const since = await page.locator("[data-testid=chart-since]").textContent();
      assert.match(
        since ?? "",
        /since Netwatch started at \d\d:\d\d:\d\d \(before: 6 h from history\)/,
      );

      // Drag across the right part of the plot: the chart zooms into that span.
      const canvas = await page.locator("[data-testid=throughput-chart] canvas").boundingBox();
      assert.ok(canvas);
      const y = canvas.y + canvas.height / 2;
      await page.mouse.move(canvas.x + canvas.width * 0.5, y);
      await page.mouse.down();
      await page.mouse.move(canvas.x + canvas.width * 0.7, y, { steps: 5 });
      await page.mouse.move(canvas.x + canvas.width * 0.9, y, { steps: 5 });
      await page.mouse.up();
      await page.waitForFunction(() => new URL(location.href).searchParams.has("from"));
      const url = new URL(page.url());
      const from = Number(url.searchParams.get("from"));
      const to = Number(url.searchParams.get("to"));
      assert.ok(to - from >= 10 && to - from < 60, `a span of seconds: ${from}-${to}`);
      // (Its end is the last finished second at most: a span reaching "now" stops there.)
      const zoomed = (a: number, b: number) =>
        page.waitForFunction(
          ([a, b]) => {
            const box = document.querySelector<HTMLElement>("[data-testid=throughput-chart]");
            const end = Number(box?.dataset.to);
            return Number(box?.dataset.from) === a && end <= b && end >= b - 3;
          },
          [a, b] as const,
          { timeout: 15_000 },
        );
      await zoomed(from, to);
      const span = await chart(page);
      assert.deepEqual([span.tier, span.step], ["memory", 1]);
      // ...and the flows are those with traffic in the span.
      await page.waitForSelector("[data-testid=flows-span]");
      await page.waitForSelector("[data-testid=flows] tbody tr", { timeout: 15_000 });
      const spans = await page.$$eval(
        "[data-testid=flows] tbody tr",
        (rows) => rows.map((r) => [Number(r.dataset.first), Number(r.dataset.last)]),
      );
      for (const [first, last] of spans) {
        assert.ok(first < to + 1 && last >= from, `flow ${first}-${last} in ${from}-${to}`);
      }

      // A reload keeps the span.
      await page.reload();
      await zoomed(from, to);

      // The last 6 hours reach into history: per-minute points from disk.
      await pick(page, "6h", 60);
      assert.match(page.url(), /[?&]range=6h(&|$)/);
      assert.doesNotMatch(page.url(), /[?&]from=/);
      const sixHours = await chart(page);
      assert.notEqual(sixHours.tier, "memory", "six hours ago is on disk only");
      assert.ok(sixHours.to - sixHours.from + 1 >= 6 * 3600 - 60, JSON.stringify(sixHours));

      // Seven days: coarser still, and talkers for the range from history (no "Now" column).
      await pick(page, "7d", 300, 3600);
      assert.match(page.url(), /[?&]range=7d(&|$)/);
      assert.notEqual((await chart(page)).tier, "memory");
      await page.waitForSelector("[data-testid=talkers] tbody tr", { timeout: 15_000 });
      assert.equal(
        await page.locator("[data-testid=talkers] th button[data-tsort=now]").count(),
        0,
      );
      assert.match(await page.locator("[data-testid=chart-resolution]").innerText(), /history/);

      // Back to the live hour: memory at 1 s, and a bare URL again.
      await pick(page, "1h", 1);
      assert.equal((await chart(page)).tier, "memory");
      assert.equal(new URL(page.url()).search, "");
      assert.deepEqual(errors, [], "no script errors");
    } finally {
      await browser.close();
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
