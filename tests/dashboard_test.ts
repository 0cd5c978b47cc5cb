// The dashboard end to end in Debian's Chromium: the real CLI replays a capture, the page must
// show it live (chart, talkers, flows), filter, sort and page through the API, keep its view in
// the URL (Back undoes a step), survive the server going away and coming back on the same port,
// and ask for the token (with nothing behind the prompt) and log out when the server has one.

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { buildUiAssets } from "../ui/build_assets.ts";
import { runCli } from "./helpers/cli.ts";
import { corpusPath } from "./helpers/corpus.ts";
import { launchChromium } from "./helpers/dashboard.ts";
import { startServe } from "./helpers/serve.ts";

/** 334 flows over 146 s with one host clearly on top from the first seconds on. */
const CAPTURE = corpusPath("real/pcapplusplus_tls2.pcap");
/** Replay speed: about 73 s of live traffic, longer than the test needs before the restart. */
const SPEED = 2;

/** The host with the most bytes sent plus received over the whole capture, from the report. */
async function topTalkerOfCapture(): Promise<{ address: string; bytes: number; runnerUp: number }> {
  const result = await runCli(["report", "--flows", "--format", "json", CAPTURE]);
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout) as {
    flows: { src_ip: string; dst_ip: string; bytes_c2s: number; bytes_s2c: number }[];
  };
  const hosts = new Map<string, number>();
  for (const f of report.flows) {
    const bytes = f.bytes_c2s + f.bytes_s2c;
    hosts.set(f.src_ip, (hosts.get(f.src_ip) ?? 0) + bytes);
    hosts.set(f.dst_ip, (hosts.get(f.dst_ip) ?? 0) + bytes);
  }
  const ranked = [...hosts].sort((a, b) => b[1] - a[1]);
  return { address: ranked[0][0], bytes: ranked[0][1], runnerUp: ranked[1][1] };
}

function attr(page: Page, selector: string, name: string): Promise<string | null> {
  return page.locator(selector).first().getAttribute(name);
}

async function numberAttr(page: Page, selector: string, name: string): Promise<number> {
  return Number(await attr(page, selector, name));
}

/** Waits until the flow table's total is in [min, max] and returns it. */
async function waitForTotal(page: Page, min: number, max = Infinity): Promise<number> {
  await page.waitForFunction(
    ([lo, hi]) => {
      const el = document.querySelector<HTMLElement>("[data-testid=flow-count]");
      const t = Number(el?.dataset.total ?? -1);
      return t >= lo && t <= hi;
    },
    [min, max] as const,
    { timeout: 45_000, polling: 100 },
  );
  return await numberAttr(page, "[data-testid=flow-count]", "data-total");
}

/** Bytes of the rendered flow rows, in table order. */
function rowBytes(page: Page): Promise<number[]> {
  return page.$$eval(
    "[data-testid=flows] tbody tr",
    (rows) => rows.map((r) => Number((r as HTMLElement).dataset.bytes)),
  );
}

Deno.test({
  name: "dashboard shows a replay live, filters, sorts and pages flows, and recovers a restart",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await buildUiAssets();
    const top = await topTalkerOfCapture();
    assert.ok(top.bytes > top.runnerUp, "the capture must have one clear top talker");
    let server = await startServe({ file: CAPTURE, speed: SPEED });
    const port = server.port;
    const browser = await launchChromium();
    const errors: string[] = [];
    try {
      const page = browser.context.pages()[0] ?? await browser.context.newPage();
      page.on("pageerror", (e) => errors.push(e.message));
      const external: string[] = [];
      page.on("request", (r) => {
        if (!r.url().startsWith(server.url.replace(/\/$/, "")) && !r.url().startsWith("data:")) {
          external.push(r.url());
        }
      });
      // Talkers by total bytes over the last hour: the capture's top talker comes first.
      await page.goto(`${server.url}?window=60m&tsort=total`);

      // Live: the stream is up and the chart gets new points over time.
      await page.waitForSelector("[data-testid=stream-status][data-status=live]");
      await page.waitForFunction(
        () =>
          Number(
            document.querySelector<HTMLElement>("[data-testid=throughput-chart]")?.dataset
              .livePoints,
          ) >= 1,
        undefined,
        { timeout: 10_000 },
      );
      const before = await numberAttr(page, "[data-testid=throughput-chart]", "data-live-points");
      await page.waitForTimeout(3500);
      const after = await numberAttr(page, "[data-testid=throughput-chart]", "data-live-points");
      assert.ok(after >= before + 2, `chart points: ${before} then ${after} 3.5 s later`);

      // The capture's top talker is first in the talkers table.
      await page.waitForFunction(
        (address) =>
          document.querySelector<HTMLElement>("[data-testid=talkers] tbody tr")?.dataset
            .address === address,
        top.address,
        { timeout: 30_000 },
      );
      await page.waitForSelector("[data-testid=flows] tbody tr");
      // Long IPv6 clients lose the middle of the address to fit, never the port.
      const ends = await page.$$eval(
        "[data-testid=flows] td.addr .endpoint",
        (all) =>
          all.map((e) => ({
            cut: [...e.querySelectorAll<HTMLElement>(".cut")].some((c) =>
              c.scrollWidth > c.clientWidth
            ),
            hidden: e.lastElementChild!.getBoundingClientRect().right >
              e.closest("td")!.getBoundingClientRect().right + 1,
          })),
      );
      assert.ok(ends.some((e) => e.cut), "some endpoint is long enough to be cut");
      assert.deepEqual(ends.filter((e) => e.hidden), [], "no port is hidden");

      // Searching the top talker's address narrows the flow table.
      const all = await waitForTotal(page, 30);
      await page.fill("input[type=search]", top.address);
      const narrowed = await waitForTotal(page, 1, all - 1);
      assert.ok(narrowed < all, `search: ${narrowed} of ${all} flows`);
      const addresses = await page.$$eval(
        "[data-testid=flows] tbody tr",
        (rows) => rows.map((r) => r.textContent ?? ""),
      );
      assert.ok(addresses.length > 0);
      for (const text of addresses) assert.ok(text.includes(top.address), text);
      assert.match(page.url(), new RegExp(`[?&]q=${encodeURIComponent(top.address)}`));

      // A bad host typed with pauses is one history entry; the field is marked and no count
      // shows for the refused query; Back takes the filter away again.
      const entries = await page.evaluate(() => history.length);
      await page.locator("input[name=host]").pressSequentially("not-ip", { delay: 400 });
      await page.waitForSelector("input[name=host][aria-invalid=true]", { timeout: 10_000 });
      assert.match(await page.locator("#flows-error").innerText(), /Invalid host "not-ip"/);
      assert.equal(await page.locator("[data-testid=flow-count]").innerText(), "");
      assert.equal(await page.evaluate(() => history.length), entries + 1);
      await page.goBack();
      await page.waitForSelector("input[name=host]:not([aria-invalid])");
      assert.equal(await page.inputValue("input[name=host]"), "");
      await waitForTotal(page, 1);

      // Sorting by bytes orders the rows; clicking again flips the order.
      const bytesHeader = page.locator("button[data-sort=bytes]");
      for (let i = 0; i < 2; i++) {
        await bytesHeader.click();
        const th = page.locator("th:has(button[data-sort=bytes])");
        const order = await th.getAttribute("aria-sort");
        const expected = order === "ascending" ? "asc" : "desc";
        await page.waitForFunction(
          (direction) => {
            const rows = document.querySelectorAll<HTMLElement>("[data-testid=flows] tbody tr");
            const b = [...rows].map((r) => Number(r.dataset.bytes));
            return b.length > 1 &&
              b.every((x, i) => i === 0 || (direction === "asc" ? b[i - 1] <= x : b[i - 1] >= x));
          },
          expected,
          { timeout: 10_000, polling: 100 },
        );
        const bytes = await rowBytes(page);
        const sorted = [...bytes].sort((a, b) => expected === "asc" ? a - b : b - a);
        assert.deepEqual(bytes, sorted, `rows sorted by bytes ${expected}`);
      }

      // Paging: 25 rows a page, the next page shows other flows and says where it is.
      await page.locator("button", { hasText: "Clear filters" }).click();
      await page.locator(".pager select").selectOption("25");
      const total = await waitForTotal(page, 51);
      await page.waitForFunction(
        () => document.querySelectorAll("[data-testid=flows] tbody tr").length === 25,
      );
      const firstPage = await page.$$eval(
        "[data-testid=flows] tbody tr",
        (rows) => rows.map((r) => (r as HTMLElement).dataset.flowId),
      );
      await page.locator("button", { hasText: "Next" }).click();
      await page.waitForFunction(() =>
        document.querySelector("[data-testid=page]")?.textContent?.startsWith("Page 2 of") &&
        document.querySelector("[data-testid=flow-count]")?.textContent?.startsWith("26–50 of")
      );
      // The pager's text changes with the request, the rows when its answer comes: wait for them
      // (a page that never shows other rows times out here).
      await page.waitForFunction(
        (before) =>
          [...document.querySelectorAll("[data-testid=flows] tbody tr")].some((r) =>
            !before.includes((r as HTMLElement).dataset.flowId)
          ),
        firstPage,
        { timeout: 10_000, polling: 100 },
      );
      const secondPage = await page.$$eval(
        "[data-testid=flows] tbody tr",
        (rows) => rows.map((r) => (r as HTMLElement).dataset.flowId),
      );
      assert.ok(secondPage.length > 0 && secondPage.length <= 25);
      assert.ok(total > 25);
      assert.ok(
        secondPage.some((id) => !firstPage.includes(id)),
        "page 2 shows other flows than page 1",
      );
      assert.match(page.url(), /[?&]limit=25/);
      assert.match(page.url(), /[?&]page=2/);

      // A row opens the flow's details.
      await page.locator("[data-testid=flows] tbody tr").first().click();
      await page.waitForSelector("[data-testid=flow-details][open]");
      await page.keyboard.press("Escape");
      await page.waitForSelector("[data-testid=flow-details]", { state: "detached" });

      // A host in the talkers table opens its host view, which shows the flows of the host.
      await page.locator("[data-testid=talkers] tbody tr button").first().click();
      await page.waitForSelector("[data-testid=host-view][open]");
      // Back closes it (opening it was a step) and stays on this page; Forward opens it again.
      await page.evaluate("window.__beforeBack = true");
      await page.goBack();
      await page.waitForSelector("[data-testid=host-view][open]", { state: "detached" });
      assert.equal(await page.evaluate("window.__beforeBack"), true, "Back stayed on the page");
      assert.equal(
        await page.evaluate("location.search"),
        "?window=60m&tsort=total&limit=25&page=2",
      );
      await page.goForward();
      await page.waitForSelector("[data-testid=host-view][open]");
      await page.locator("[data-testid=host-view] button", { hasText: "Show its flows" }).click();
      await page.waitForFunction(
        (address) =>
          document.querySelector<HTMLInputElement>("input[name=host]")?.value === address,
        top.address,
      );
      await page.waitForSelector("[data-testid=host-view][open]", { state: "detached" });
      assert.match(page.url(), new RegExp(`[?&]host=${encodeURIComponent(top.address)}`));
      assert.doesNotMatch(page.url(), /hostview=/);

      // The view survives a reload from the URL.
      await page.reload();
      await page.waitForSelector("[data-testid=stream-status][data-status=live]");
      assert.equal(await page.inputValue("input[name=host]"), top.address);
      assert.equal(await page.locator(".pager select").inputValue(), "25");

      // Stop the server: the page says so. Restart it: the page recovers by itself.
      await page.evaluate("window.__sameDocument = true");
      assert.equal(await server.stop(), 0, "netwatch serve exits 0 on SIGTERM");
      await page.waitForSelector("[data-testid=stream-status][data-status=retrying]", {
        timeout: 10_000,
      });
      assert.ok(await page.locator("[data-testid=stream-banner]").isVisible());
      // The header does not claim a capture it cannot see, nor the talkers a current figure.
      assert.notEqual(await page.locator("[data-testid=capture-state]").innerText(), "running");
      await page.waitForSelector("[data-testid=talkers].stale");
      assert.ok(await page.locator(".talkers [data-testid=stale-note]").isVisible());
      const pointsWhileDown = await numberAttr(
        page,
        "[data-testid=throughput-chart]",
        "data-live-points",
      );
      server = await startServe({ file: CAPTURE, speed: SPEED, port });
      await page.waitForSelector("[data-testid=stream-status][data-status=live]", {
        timeout: 20_000,
      });
      await page.waitForFunction(
        (n) =>
          Number(
            document.querySelector<HTMLElement>("[data-testid=throughput-chart]")?.dataset
              .livePoints,
          ) > n,
        pointsWhileDown + 1,
        { timeout: 10_000 },
      );
      assert.equal(await page.evaluate("window.__sameDocument"), true, "no reload happened");
      assert.equal(await page.locator("[data-testid=stream-banner]").count(), 0);
      assert.equal(await page.locator("[data-testid=stale-note]").count(), 0);

      assert.deepEqual(external, [], "the page fetched nothing from outside");
      assert.deepEqual(errors, [], "no script errors");
    } finally {
      await browser.close();
      await server.stop();
    }
  },
});

Deno.test({
  name: "dashboard asks for the token with nothing behind the prompt, goes live, and logs out",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const server = await startServe({
      file: CAPTURE,
      speed: SPEED,
      extra: ["--token", "s3cret-token-for-tests"],
    });
    const browser = await launchChromium();
    try {
      const page = browser.context.pages()[0] ?? await browser.context.newPage();
      const refused: string[] = [];
      page.on("response", (r) => r.status() === 401 && refused.push(r.url()));
      const sockets: string[] = [];
      page.on("websocket", (ws) => sockets.push(ws.url()));
      await page.goto(server.url);
      await page.waitForSelector("[data-testid=token-prompt][open]", { timeout: 10_000 });
      // The first 401 stops the page: no other call, no stream, no logout for a session it
      // does not have.
      await page.waitForTimeout(1000);
      assert.equal(refused.length, 1, refused.join(", "));
      assert.deepEqual(sockets, []);
      assert.equal(await page.locator("[data-testid=logout]").count(), 0);
      // On a phone the prompt keeps option names whole ("--token", not "--" and "token").
      await page.setViewportSize({ width: 390, height: 844 });
      const options = await page.$$eval(
        "[data-testid=token-prompt] code",
        (all) => all.map((c) => c.getClientRects().length),
      );
      assert.ok(options.length >= 2 && options.every((lines) => lines === 1), `${options}`);
      await page.setViewportSize({ width: 1280, height: 720 });
      // Behind the prompt: nothing the page could not load, no raw API error.
      assert.equal(
        await page.evaluate("getComputedStyle(document.querySelector('main')).visibility"),
        "hidden",
      );
      assert.equal(await page.locator("main .error").count(), 0);
      assert.doesNotMatch(await page.locator("main").innerText(), /token|unauthori[sz]ed/i);
      const promptError = () => page.locator("[data-testid=token-prompt] .error").innerText();
      await page.fill("input[name=token]", "wrong");
      await page.locator("[data-testid=token-prompt] button[type=submit]").click();
      await page.waitForSelector("[data-testid=token-prompt] .error");
      assert.match(await promptError(), /not accepted/);
      // Past the throttle's burst of wrong tokens from this address, even the right one is
      // refused for a moment: the prompt says so and when to try again, not "not accepted".
      for (let i = 0; i < 8; i++) {
        const r = await fetch(`${server.base}/login`, {
          method: "POST",
          body: new URLSearchParams({ token: `wrong-${i}` }),
          redirect: "manual",
        });
        await r.body?.cancel();
      }
      await page.fill("input[name=token]", "s3cret-token-for-tests");
      await page.locator("[data-testid=token-prompt] button[type=submit]").click();
      // A function, not a string: polling a string predicate evals it in the page, which the
      // page's CSP (no 'unsafe-eval') refuses whenever the first check is not yet true.
      await page.waitForFunction(
        () =>
          /Too many wrong tokens/.test(
            document.querySelector("[data-testid=token-prompt] .error")?.textContent ?? "",
          ),
        undefined,
        { timeout: 10_000 },
      );
      assert.match(await promptError(), /try again in \d+ s/);
      await new Promise((resolve) => setTimeout(resolve, 8_000)); // the throttle refills
      await page.locator("[data-testid=token-prompt] button[type=submit]").click();
      await page.waitForSelector("[data-testid=stream-status][data-status=live]", {
        timeout: 15_000,
      });
      await page.waitForSelector("[data-testid=talkers] tbody tr", { timeout: 15_000 });
      assert.equal(await page.locator("[data-testid=token-prompt][open]").count(), 0);
      assert.equal(
        await page.evaluate("getComputedStyle(document.querySelector('main')).visibility"),
        "visible",
      );

      // Log out: the session ends on the server (its cookie no longer opens the API) and the
      // page asks for the token again.
      const cookie = (await browser.context.cookies()).find((c) => c.name === "netwatch_session");
      assert.ok(cookie, "the login set the session cookie");
      assert.notEqual(cookie.value, "s3cret-token-for-tests", "the cookie is not the token");
      const withCookie = () =>
        fetch(`${server.base}/api/v1/health`, {
          headers: { cookie: `netwatch_session=${cookie.value}` },
        }).then(async (r) => (await r.body?.cancel(), r.status));
      assert.equal(await withCookie(), 200);
      await page.locator("[data-testid=logout]").click();
      await page.waitForSelector("[data-testid=token-prompt][open]", { timeout: 10_000 });
      assert.equal(await withCookie(), 401, "the old session is over");
      assert.equal(
        (await browser.context.cookies()).filter((c) => c.name === "netwatch_session").length,
        0,
        "the cookie is cleared",
      );
    } finally {
      await browser.close();
      await server.stop();
    }
  },
});
