// The dashboard's server-side face: build the client assets, read their manifest, render the page.

export { type BuildResult, buildUiAssets, DEFAULT_OUT_DIR } from "./build_assets.ts";
export { MANIFEST_FILE, readManifest, type UiManifest } from "./asset_manifest.ts";
export { renderPage } from "./render_page.ts";
