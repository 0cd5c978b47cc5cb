// Renders the dashboard page to HTML on the server (preact-render-to-string).

import { h } from "preact";
import { renderToString } from "preact-render-to-string";
import type { UiManifest } from "./asset_manifest.ts";
import { type Credit, Page } from "./components/Page.tsx";

/**
 * The page's HTML for `manifest`'s assets served under `assetsPath` (default "/assets/");
 * `auth`: the server requires a token (the page offers to log out); `credits`: attributions
 * for the footer.
 */
export function renderPage(
  options: {
    version: string;
    manifest: UiManifest;
    assetsPath?: string;
    auth?: boolean;
    credits?: readonly Credit[];
  },
): string {
  const base = options.assetsPath ?? "/assets/";
  return "<!doctype html>" + renderToString(h(Page, {
    version: options.version,
    auth: options.auth ?? false,
    credits: options.credits ?? [],
    script: base + options.manifest.script,
    stylesheet: base + options.manifest.stylesheet,
  }));
}
