// The build's manifest: which hashed files hold the client script and stylesheet.

/** File name of the manifest inside the assets directory. */
export const MANIFEST_FILE = "manifest.json";

/** What buildUiAssets() writes and the server reads. Names are relative to the directory. */
export interface UiManifest {
  /** The bundled islands, e.g. "app-3K5J2Q7A.js". */
  script: string;
  /** The stylesheet, e.g. "styles-W2XJ4N6B.css". */
  stylesheet: string;
  /** Every file served under /assets/ (each may have a gzipped `.gz` twin beside it). */
  files: string[];
}

/** Reads and checks the manifest in `dir`; throws a message saying how to build when absent. */
export async function readManifest(dir: string): Promise<UiManifest> {
  const path = `${dir.replace(/\/$/, "")}/${MANIFEST_FILE}`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(
        `The dashboard assets are not built (no ${path}): run "deno task build:ui"`,
      );
    }
    throw error;
  }
  const manifest = JSON.parse(text) as UiManifest;
  if (typeof manifest.script !== "string" || typeof manifest.stylesheet !== "string") {
    throw new Error(`${path} is not a dashboard manifest: rebuild with "deno task build:ui"`);
  }
  return manifest;
}
