// The dashboard at phone width (390 px) in Debian's Chromium, on a replay with long names: no
// text leaves the screen, is clipped or overlaps other text (checked by the boxes of every text
// node), the chart's time labels do not overlap, names wrap only at dots, each flow shows its
// fields without sideways scrolling, and the host view fits too. Also: the dark theme and the
// keyboard.

import assert from "node:assert/strict";
import { buildUiAssets } from "../ui/build_assets.ts";
import { corpusPath } from "./helpers/corpus.ts";
import { launchChromium } from "./helpers/dashboard.ts";
import { chartLabelProblems, layoutProblems } from "./helpers/layout_check.ts";
import { startServe } from "./helpers/serve.ts";

/** An iPhone's traffic: TLS and DNS names up to 30 characters, IPv6 link-local addresses. */
const CAPTURE = corpusPath("real/ndpi_iphone.pcap");

Deno.test({
  name: "dashboard at 390 px: nothing clipped or overlapping, chart labels apart, host view fits",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await buildUiAssets();
    // At full speed: a paced replay (--speed N) loses the payloads names are read from (see the
    // branch notes), so names come only from a full-speed read here.
    const server = await startServe({ file: CAPTURE });
    const browser = await launchChromium({ width: 390, height: 844 }, "dark");
    const errors: string[] = [];
    try {
      const page = browser.context.pages()[0] ?? await browser.context.newPage();
      page.on("pageerror", (e) => errors.push(e.message));
      // The last hour's talkers: every host of the replay so far, with its name.
      await page.goto(`${server.url}?window=60m`);
      await page.waitForSelector("[data-testid=stream-status][data-status=live]");
      await page.waitForFunction(
        () =>
          document.querySelectorAll("[data-testid=talkers] tbody tr").length >= 5 &&
          document.querySelectorAll("[data-testid=flows] tbody tr").length >= 5 &&
          document.querySelectorAll("[data-testid=mix] li").length >= 2 &&
          [...document.querySelectorAll("[data-testid=talkers] tbody button")]
            .some((b) => /[a-z]\.[a-z]/.test(b.textContent ?? "")),
        undefined,
        { timeout: 45_000, polling: 200 },
      );
      await page.waitForFunction(
        () =>
          Number(
            document.querySelector<HTMLElement>("[data-testid=throughput-chart]")?.dataset
              .livePoints,
          ) >= 5,
        undefined,
        { timeout: 20_000 },
      );

      const overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth",
      );
      const wide = await page.$$eval(
        "body *",
        (all) =>
          all.filter((e) => e.getBoundingClientRect().right > innerWidth + 0.5)
            .map((e) =>
              `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`
            ),
      );
      assert.ok(Number(overflow) <= 0, `page wider than the screen by ${overflow} px: ${wide}`);
      assert.deepEqual(await layoutProblems(page), [], "text fits at 390 px");
      assert.deepEqual(await chartLabelProblems(page), [], "time labels apart");
      // Host names wrap only after a dot or colon (each piece between is a text node of its
      // own), and the headline rate never apart from its unit.
      const broken = await page.$$eval(
        "[data-testid=talkers] button.host-name, [data-testid=current-bps]",
        (all) =>
          all.flatMap((el) => [...el.childNodes]).filter((n) => {
            const range = document.createRange();
            range.selectNodeContents(n);
            return n.nodeType === Node.TEXT_NODE && range.getClientRects().length > 1;
          }).map((n) => n.textContent),
      );
      assert.deepEqual(broken, [], "text broken inside a label or between a figure and its unit");

      // Each flow shows client, server, app, state, bytes and both rates, all on screen.
      const cells = await page.$$eval(
        "[data-testid=flows] tbody tr:first-child td",
        (tds) =>
          tds.filter((td) => td.getBoundingClientRect().width > 0).map((td) => {
            const r = td.getBoundingClientRect();
            return { label: (td as HTMLElement).dataset.label, left: r.left, right: r.right };
          }),
      );
      const labels = cells.map((c) => c.label);
      for (const l of ["Client", "Server", "App", "State", "Bytes", "Now", "Avg"]) {
        assert.ok(labels.includes(l), `${l} shown: ${labels.join(", ")}`);
      }
      for (const c of cells) assert.ok(c.left >= 0 && c.right <= 390, JSON.stringify(c));

      // The host view of a named host fits the screen too.
      await page.locator("[data-testid=talkers] tbody tr button", { hasText: /[a-z]\.[a-z]/ })
        .first().click();
      await page.waitForSelector("[data-testid=host-view][open] [data-testid=host-names] li", {
        timeout: 15_000,
      });
      assert.deepEqual(await layoutProblems(page, "[data-testid=host-view]"), [], "host view");
      await page.keyboard.press("Escape");
      await page.waitForFunction(() => !new URL(location.href).searchParams.has("hostview"));

      const background = await page.evaluate(
        "getComputedStyle(document.documentElement).backgroundColor",
      );
      assert.equal(background, "rgb(13, 17, 23)", "dark theme follows the system");
      // Keyboard, on a fresh page: Tab reaches the range buttons before the talkers.
      await page.goto(server.url);
      await page.waitForSelector("[data-testid=stream-status][data-status=live]");
      const focused: string[] = [];
      for (let i = 0; i < 8; i++) {
        await page.keyboard.press("Tab");
        focused.push(String(await page.evaluate("document.activeElement?.textContent ?? ''")));
      }
      assert.ok(focused.some((t) => t.includes("5 min")), focused.join(" | "));
      assert.deepEqual(errors, [], "no script errors");
    } finally {
      await browser.close();
      await server.stop();
    }
  },
});
