// Names and apps on the dashboard, in Debian's Chromium, over a capture with DNS and TLS: the
// talkers show a host's name, its host view lists the name the capture's DNS or SNI gave it
// (with where it came from), and clicking an app in the traffic mix filters the flows.

import assert from "node:assert/strict";
import { buildUiAssets } from "../ui/build_assets.ts";
import { runCli } from "./helpers/cli.ts";
import { corpusPath } from "./helpers/corpus.ts";
import { launchChromium } from "./helpers/dashboard.ts";
import { startServe } from "./helpers/serve.ts";

/** An iPhone's traffic: DNS queries and answers, then TLS to the names they resolved. */
const CAPTURE = corpusPath("real/ndpi_iphone.pcap");

/** The server of the capture's biggest flow that named its server (TLS SNI), per the report. */
async function namedServer(): Promise<{ address: string; name: string }> {
  const result = await runCli(["report", "--flows", "--format", "json", CAPTURE]);
  assert.equal(result.code, 0, result.stderr);
  const flows = (JSON.parse(result.stdout) as {
    flows: {
      dst_ip: string;
      dst_port: number;
      server_name: string | null;
      bytes_c2s: number;
      bytes_s2c: number;
    }[];
  }).flows.filter((f) => f.server_name && f.dst_port === 443);
  assert.ok(flows.length > 0, "the capture has TLS flows with a server name");
  flows.sort((a, b) => b.bytes_c2s + b.bytes_s2c - a.bytes_c2s - a.bytes_s2c);
  return { address: flows[0].dst_ip, name: flows[0].server_name! };
}

Deno.test({
  name: "dashboard shows names, a host view with the capture's name, and filters flows by app",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await buildUiAssets();
    const server = await namedServer();
    // At full speed: a paced replay (--speed N) loses the payloads names are read from.
    const serve = await startServe({ file: CAPTURE });
    const browser = await launchChromium();
    const errors: string[] = [];
    try {
      const page = browser.context.pages()[0] ?? await browser.context.newPage();
      page.on("pageerror", (e) => errors.push(e.message));
      // The replay is over at once: rank the last hour, where every host of it is.
      await page.goto(`${serve.url}?window=60m`);
      await page.waitForSelector("[data-testid=stream-status][data-status=live]");
      const row = page.locator(`[data-testid=talkers] tbody tr[data-address="${server.address}"]`);
      await row.waitFor({ timeout: 20_000 });

      // The talkers show a name instead of the address, which stays on hover.
      const button = row.locator("button.host-name");
      await page.waitForFunction(
        (address) =>
          !/^[\d.:]+$/.test(
            document.querySelector(
              `[data-testid=talkers] tr[data-address="${address}"] button.host-name`,
            )?.textContent ?? "",
          ),
        server.address,
        { timeout: 10_000 },
      );
      assert.match((await button.getAttribute("title")) ?? "", new RegExp(server.address));

      // Its host view lists the name the capture gave it, with the source, and its address.
      await button.click();
      const view = page.locator("[data-testid=host-view][open]");
      await view.locator("[data-testid=host-names] li").first().waitFor({ timeout: 15_000 });
      const names = await view.locator("[data-testid=host-names] li").allInnerTexts();
      assert.ok(
        names.some((n) => n.includes(server.name)),
        `${server.name} among the names: ${names.join(" | ")}`,
      );
      assert.ok(names.every((n) => /DNS|SNI|HTTP|DHCP|NetBIOS|mDNS/.test(n)), names.join(" | "));
      assert.equal(await view.getAttribute("data-address"), server.address);
      assert.match(page.url(), new RegExp(`hostview=${encodeURIComponent(server.address)}`));
      assert.ok((await view.locator("[data-testid=host-peers] li").count()) > 0, "top peers");
      assert.ok((await view.locator("[data-testid=host-apps] li").count()) > 0, "top apps");
      await page.keyboard.press("Escape");
      await page.waitForSelector("[data-testid=host-view][open]", { state: "detached" });

      // Clicking an app in the mix filters the flows to it, and clicking it again clears it.
      const all = await page.waitForFunction(() => {
        const n = Number(
          document.querySelector<HTMLElement>("[data-testid=flow-count]")
            ?.dataset.total,
        );
        return n > 0 ? n : null;
      });
      const total = Number(await all.jsonValue());
      const app = page.locator("[data-testid=mix] button[data-filter=app]").first();
      await app.waitFor({ timeout: 15_000 });
      const name = (await app.getAttribute("data-name"))!;
      await app.click();
      await page.waitForFunction(
        ([label, before]) => {
          const rows = [...document.querySelectorAll<HTMLElement>("[data-testid=flows] tbody tr")];
          const count = Number(
            document.querySelector<HTMLElement>("[data-testid=flow-count]")
              ?.dataset.total,
          );
          return rows.length > 0 && count < Number(before) &&
            rows.every((r) => r.dataset.app === label);
        },
        [name, String(total)] as const,
        { timeout: 15_000, polling: 100 },
      );
      assert.match(page.url(), new RegExp(`[?&]app=${encodeURIComponent(name)}`));
      assert.equal(await app.getAttribute("aria-pressed"), "true");
      await app.click();
      await page.waitForFunction(
        (before) =>
          Number(
            document.querySelector<HTMLElement>("[data-testid=flow-count]")?.dataset
              .total,
          ) === before,
        total,
        { timeout: 15_000 },
      );
      assert.doesNotMatch(page.url(), /[?&]app=/);
      assert.deepEqual(errors, [], "no script errors");
    } finally {
      await browser.close();
      await serve.stop();
    }
  },
});
