// Browser-test helpers: Debian's Chromium via playwright-core (servers start through serve.ts).

import { type BrowserContext, chromium } from "playwright-core";

/** Where Debian installs Chromium; never downloaded. */
export const CHROMIUM = "/usr/bin/chromium";

/** Flags for headless Chromium on a loopback-only machine. */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A browser with a temporary profile; close() removes the profile too. */
export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches headless Chromium; throws (never skips) when it is not installed. */
export async function launchChromium(
  viewport = { width: 1280, height: 720 },
  colorScheme: "light" | "dark" = "light",
): Promise<TestBrowser> {
  try {
    Deno.statSync(CHROMIUM);
  } catch {
    throw new Error(
      `Chromium is missing at ${CHROMIUM}: install Debian's chromium package (apt-get install ` +
        `chromium). The dashboard tests need a real browser and do not skip without one.`,
    );
  }
  const profile = await Deno.makeTempDir({ prefix: "netwatch-chromium-" });
  const context = await chromium.launchPersistentContext(profile, {
    headless: true,
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    viewport,
    colorScheme,
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}
