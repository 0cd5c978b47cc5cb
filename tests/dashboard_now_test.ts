// "Now" on the dashboard, in Debian's Chromium during a real-time replay whose heaviest host
// changes halfway: the top talker follows within 3 s, and a flow's current rate drops to 0
// within 5 s of its last packet while its average stays (the figures, asserted as
// deadlines from the moments the capture sets, on the wall clock the replay is stamped with).

import assert from "node:assert/strict";
import type { FlowRecord, FlowsResponse } from "../server/wire.ts";
import { formatBitRate } from "../ui/client/format.ts";
import { buildUiAssets } from "../ui/build_assets.ts";
import { launchChromium } from "./helpers/dashboard.ts";
import { startServe } from "./helpers/serve.ts";
import { writeSwitchCapture } from "./helpers/switch_capture.ts";

/** The first flow the API lists for `query`, once there is one (polled up to 15 s). */
async function firstFlow(base: string, query: string): Promise<FlowRecord> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const page = await (await fetch(`${base}/api/v1/flows?${query}`)).json() as FlowsResponse;
    if (page.flows.length > 0) return page.flows[0];
    if (Date.now() > deadline) throw new Error(`no flow for ${query}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Milliseconds from now until the epoch-ms `deadline` (at least 1, so a wait checks once). */
function until(deadline: number): number {
  return Math.max(1, deadline - Date.now());
}

Deno.test({
  name: "dashboard: the top talker follows the current rate within 3 s, and a quiet flow's " +
    "current rate drops to 0 within 5 s while its average stays",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await buildUiAssets();
    const dir = await Deno.makeTempDir({ prefix: "netwatch-now-" });
    const capture = writeSwitchCapture(`${dir}/switch.pcap`);
    const server = await startServe({ file: capture.path, speed: 1 });
    const browser = await launchChromium();
    const errors: string[] = [];
    try {
      const page = browser.context.pages()[0] ?? await browser.context.newPage();
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(server.url);
      await page.waitForSelector("[data-testid=stream-status][data-status=live]");
      // The replay's start on the wall clock: the first packet opens A's flow to its receiver.
      const flow = await firstFlow(
        server.base,
        `src=${capture.a}&dst=${capture.receiverOfA}&port=${capture.heavyPortA}`,
      );
      const start = flow.first_ts * 1000;
      const half = start + capture.half * 1000;
      const topIs = (address: string) =>
        document.querySelector<HTMLElement>("[data-testid=talkers] tbody tr")?.dataset
          .address === address;
      const rowOf = `[data-testid=flows] tbody tr[data-flow-id="${flow.id}"]`;

      // First half: A is on top, ranked by its current rate, and its flow is sending now.
      await page.waitForFunction(topIs, capture.a, { timeout: until(half), polling: 100 });
      await page.waitForFunction(
        (row) => Number(document.querySelector<HTMLElement>(row)?.dataset.rateNow) > 0,
        rowOf,
        { timeout: until(half), polling: 100 },
      );
      assert.match(
        await page.locator("[data-testid=now-label]").innerText(),
        /last 3 s/,
        "the headline says which seconds it averages",
      );

      // B takes over at the half: it is on top within 3 s.
      await page.waitForFunction(topIs, capture.b, { timeout: until(half + 3000), polling: 100 });

      // A's flow sent its last packet: its current rate reads 0 within 5 s.
      const last = start + capture.lastOfA * 1000;
      await page.waitForFunction(
        (row) => document.querySelector<HTMLElement>(row)?.dataset.rateNow === "0",
        rowOf,
        { timeout: until(last + 5000), polling: 100 },
      );
      // ...while its average is still its bytes over its duration, not 0.
      const ended = await (await fetch(`${server.base}/api/v1/flows/${flow.id}`))
        .json() as FlowRecord;
      const average = (ended.bytes_c2s + ended.bytes_s2c) * 8 /
        Math.max(1, ended.last_ts - ended.first_ts);
      assert.ok(average > 0);
      const row = page.locator(rowOf);
      assert.equal(Number(await row.getAttribute("data-avg")), average);
      assert.equal(await row.locator("td[data-label=Avg]").innerText(), formatBitRate(average));
      assert.equal(await row.locator("td[data-label=Now]").innerText(), "0 bit/s");
      assert.deepEqual(errors, [], "no script errors");
    } finally {
      await browser.close();
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
